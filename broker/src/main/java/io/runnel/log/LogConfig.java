package io.runnel.log;

import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Range.atLeast;
import static org.apache.kafka.common.config.ConfigDef.Range.between;
import static org.apache.kafka.common.config.ConfigDef.ValidString.in;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.TopicConfig;

/**
 * Topic-level configs, with Kafka's names, types, defaults and validation, and the broker config that
 * supplies each default (its "synonym", as DescribeConfigs reports it).
 *
 * <p>A topic stores only its overrides; its effective config is the defaults with the overrides on
 * top. An instance of this class is that effective config, parsed.
 */
public final class LogConfig {

    /** A topic config name and the broker config that holds its default. */
    public record Definition(ConfigDef.ConfigKey key, String brokerSynonym) {}

    private static final ConfigDef DEF = new ConfigDef();
    private static final Map<String, Definition> DEFINITIONS = new LinkedHashMap<>();

    static {
        define(
                TopicConfig.CLEANUP_POLICY_CONFIG,
                "log.cleanup.policy",
                Type.LIST,
                "delete",
                ConfigDef.ValidList.in(TopicConfig.CLEANUP_POLICY_COMPACT, TopicConfig.CLEANUP_POLICY_DELETE),
                TopicConfig.CLEANUP_POLICY_DOC);
        define(
                TopicConfig.COMPRESSION_TYPE_CONFIG,
                "compression.type",
                Type.STRING,
                "producer",
                in("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"),
                TopicConfig.COMPRESSION_TYPE_DOC);
        define(
                TopicConfig.COMPRESSION_GZIP_LEVEL_CONFIG,
                "compression.gzip.level",
                Type.INT,
                -1,
                org.apache.kafka.common.record.CompressionType.GZIP.levelValidator(),
                TopicConfig.COMPRESSION_GZIP_LEVEL_DOC);
        define(
                TopicConfig.COMPRESSION_LZ4_LEVEL_CONFIG,
                "compression.lz4.level",
                Type.INT,
                9,
                between(1, 17),
                TopicConfig.COMPRESSION_LZ4_LEVEL_DOC);
        define(
                TopicConfig.COMPRESSION_ZSTD_LEVEL_CONFIG,
                "compression.zstd.level",
                Type.INT,
                3,
                between(-131072, 22),
                TopicConfig.COMPRESSION_ZSTD_LEVEL_DOC);
        define(
                TopicConfig.DELETE_RETENTION_MS_CONFIG,
                "log.cleaner.delete.retention.ms",
                Type.LONG,
                86_400_000L,
                atLeast(0),
                TopicConfig.DELETE_RETENTION_MS_DOC);
        define(
                TopicConfig.FILE_DELETE_DELAY_MS_CONFIG,
                "log.segment.delete.delay.ms",
                Type.LONG,
                60_000L,
                atLeast(0),
                TopicConfig.FILE_DELETE_DELAY_MS_DOC);
        define(
                TopicConfig.FLUSH_MESSAGES_INTERVAL_CONFIG,
                "log.flush.interval.messages",
                Type.LONG,
                Long.MAX_VALUE,
                atLeast(1),
                TopicConfig.FLUSH_MESSAGES_INTERVAL_DOC);
        define(
                TopicConfig.FLUSH_MS_CONFIG,
                "log.flush.interval.ms",
                Type.LONG,
                Long.MAX_VALUE,
                atLeast(0),
                TopicConfig.FLUSH_MS_DOC);
        define(
                TopicConfig.INDEX_INTERVAL_BYTES_CONFIG,
                "log.index.interval.bytes",
                Type.INT,
                4096,
                atLeast(0),
                TopicConfig.INDEX_INTERVAL_BYTES_DOC);
        define(
                TopicConfig.MAX_COMPACTION_LAG_MS_CONFIG,
                "log.cleaner.max.compaction.lag.ms",
                Type.LONG,
                Long.MAX_VALUE,
                atLeast(1),
                TopicConfig.MAX_COMPACTION_LAG_MS_DOC);
        define(
                TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                "message.max.bytes",
                Type.INT,
                1_048_588,
                atLeast(0),
                TopicConfig.MAX_MESSAGE_BYTES_DOC);
        define(
                TopicConfig.MESSAGE_TIMESTAMP_AFTER_MAX_MS_CONFIG,
                "log.message.timestamp.after.max.ms",
                Type.LONG,
                3_600_000L,
                atLeast(0),
                TopicConfig.MESSAGE_TIMESTAMP_AFTER_MAX_MS_DOC);
        define(
                TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_CONFIG,
                "log.message.timestamp.before.max.ms",
                Type.LONG,
                Long.MAX_VALUE,
                atLeast(0),
                TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_DOC);
        define(
                TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG,
                "log.message.timestamp.type",
                Type.STRING,
                "CreateTime",
                in("CreateTime", "LogAppendTime"),
                TopicConfig.MESSAGE_TIMESTAMP_TYPE_DOC);
        define(
                TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG,
                "log.cleaner.min.cleanable.ratio",
                Type.DOUBLE,
                0.5,
                between(0, 1),
                TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_DOC);
        define(
                TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG,
                "log.cleaner.min.compaction.lag.ms",
                Type.LONG,
                0L,
                atLeast(0),
                TopicConfig.MIN_COMPACTION_LAG_MS_DOC);
        define(
                TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG,
                "min.insync.replicas",
                Type.INT,
                1,
                atLeast(1),
                TopicConfig.MIN_IN_SYNC_REPLICAS_DOC);
        define(
                TopicConfig.PREALLOCATE_CONFIG,
                "log.preallocate",
                Type.BOOLEAN,
                false,
                null,
                TopicConfig.PREALLOCATE_DOC);
        define(
                TopicConfig.RETENTION_BYTES_CONFIG,
                "log.retention.bytes",
                Type.LONG,
                -1L,
                null,
                TopicConfig.RETENTION_BYTES_DOC);
        define(
                TopicConfig.RETENTION_MS_CONFIG,
                "log.retention.ms",
                Type.LONG,
                604_800_000L,
                atLeast(-1),
                TopicConfig.RETENTION_MS_DOC);
        define(
                TopicConfig.SEGMENT_BYTES_CONFIG,
                "log.segment.bytes",
                Type.INT,
                1_073_741_824,
                atLeast(1024 * 1024),
                TopicConfig.SEGMENT_BYTES_DOC);
        define(
                TopicConfig.SEGMENT_INDEX_BYTES_CONFIG,
                "log.index.size.max.bytes",
                Type.INT,
                10_485_760,
                atLeast(4),
                TopicConfig.SEGMENT_INDEX_BYTES_DOC);
        define(
                TopicConfig.SEGMENT_JITTER_MS_CONFIG,
                "log.roll.jitter.ms",
                Type.LONG,
                0L,
                atLeast(0),
                TopicConfig.SEGMENT_JITTER_MS_DOC);
        define(
                TopicConfig.SEGMENT_MS_CONFIG,
                "log.roll.ms",
                Type.LONG,
                604_800_000L,
                atLeast(1),
                TopicConfig.SEGMENT_MS_DOC);
        define(
                TopicConfig.UNCLEAN_LEADER_ELECTION_ENABLE_CONFIG,
                "unclean.leader.election.enable",
                Type.BOOLEAN,
                false,
                null,
                TopicConfig.UNCLEAN_LEADER_ELECTION_ENABLE_DOC);
    }

    private static void define(
            String name,
            String brokerSynonym,
            Type type,
            Object defaultValue,
            ConfigDef.Validator validator,
            String doc) {
        DEF.define(name, type, defaultValue, validator, MEDIUM, doc);
        DEFINITIONS.put(name, new Definition(DEF.configKeys().get(name), brokerSynonym));
    }

    /** Every topic config, in a stable order. */
    public static Map<String, Definition> definitions() {
        return DEFINITIONS;
    }

    public static Optional<Definition> definition(String name) {
        return Optional.ofNullable(DEFINITIONS.get(name));
    }

    /** Kafka's default of a config as a string, as DescribeConfigs shows it. */
    public static String defaultValue(String name) {
        ConfigDef.ConfigKey key = DEFINITIONS.get(name).key();
        return key.defaultValue == null ? null : ConfigDef.convertToString(key.defaultValue, key.type);
    }

    /** Topic config name to the value this broker's config sets as its default (see {@link #setBrokerDefaults}). */
    private static volatile Map<String, String> brokerDefaults = Map.of();

    /**
     * Sets this broker's defaults for topic configs, by topic config name: what Kafka's broker
     * configs ({@code log.retention.ms}, {@code log.flush.interval.messages}, ...) set. Called once
     * at start-up, before any topic config is parsed.
     *
     * @throws ConfigException for an invalid value, naming the broker config
     */
    public static void setBrokerDefaults(Map<String, String> defaults) {
        for (Map.Entry<String, String> entry : defaults.entrySet()) {
            try {
                DEF.parse(Map.of(entry.getKey(), entry.getValue()));
            } catch (ConfigException e) {
                throw new ConfigException("Invalid value " + entry.getValue() + " for broker config "
                        + DEFINITIONS.get(entry.getKey()).brokerSynonym() + ": " + e.getMessage());
            }
        }
        brokerDefaults = Map.copyOf(defaults);
    }

    /** The broker's own default of a topic config, when its config sets one. */
    public static Optional<String> brokerDefault(String name) {
        return Optional.ofNullable(brokerDefaults.get(name));
    }

    /**
     * Checks topic overrides: every name known, every value of the right type and range, and the
     * combination consistent.
     *
     * @throws ConfigException with Kafka's message for the first problem found
     */
    public static void validate(Map<String, String> overrides) {
        for (String name : overrides.keySet()) {
            if (!DEFINITIONS.containsKey(name)) {
                throw new ConfigException("Unknown topic config name: " + name);
            }
            if (overrides.get(name) == null) {
                throw new ConfigException("Null value not supported for topic configs: " + name);
            }
        }
        LogConfig config = new LogConfig(overrides);
        if (config.minCompactionLagMs > config.maxCompactionLagMs) {
            throw new ConfigException("conflict topic config setting " + TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG
                    + " (" + config.minCompactionLagMs + ") > " + TopicConfig.MAX_COMPACTION_LAG_MS_CONFIG + " ("
                    + config.maxCompactionLagMs + ")");
        }
    }

    private final Map<String, Object> values;

    public final List<String> cleanupPolicy;
    public final long retentionMs;
    public final long retentionBytes;
    public final int segmentBytes;
    public final long segmentMs;
    public final int segmentIndexBytes;
    public final int indexIntervalBytes;
    public final int maxMessageBytes;
    public final int minInsyncReplicas;
    public final boolean messageTimestampLogAppendTime;
    public final long messageTimestampBeforeMaxMs;
    public final long messageTimestampAfterMaxMs;
    public final long flushMessages;
    public final long flushMs;
    public final long deleteRetentionMs;
    public final long minCompactionLagMs;
    public final long maxCompactionLagMs;
    public final long fileDeleteDelayMs;
    public final boolean uncleanLeaderElectionEnable;

    /** The effective config of a topic with these overrides over the defaults. */
    public LogConfig(Map<String, String> overrides) {
        Map<String, String> effective = new HashMap<>(brokerDefaults);
        effective.putAll(overrides);
        this.values = DEF.parse(effective);
        this.cleanupPolicy = list(TopicConfig.CLEANUP_POLICY_CONFIG);
        this.retentionMs = (Long) values.get(TopicConfig.RETENTION_MS_CONFIG);
        this.retentionBytes = (Long) values.get(TopicConfig.RETENTION_BYTES_CONFIG);
        this.segmentBytes = (Integer) values.get(TopicConfig.SEGMENT_BYTES_CONFIG);
        this.segmentMs = (Long) values.get(TopicConfig.SEGMENT_MS_CONFIG);
        this.segmentIndexBytes = (Integer) values.get(TopicConfig.SEGMENT_INDEX_BYTES_CONFIG);
        this.indexIntervalBytes = (Integer) values.get(TopicConfig.INDEX_INTERVAL_BYTES_CONFIG);
        this.maxMessageBytes = (Integer) values.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
        this.minInsyncReplicas = (Integer) values.get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG);
        this.messageTimestampLogAppendTime =
                "LogAppendTime".equals(values.get(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG));
        this.messageTimestampBeforeMaxMs = (Long) values.get(TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_CONFIG);
        this.messageTimestampAfterMaxMs = (Long) values.get(TopicConfig.MESSAGE_TIMESTAMP_AFTER_MAX_MS_CONFIG);
        this.flushMessages = (Long) values.get(TopicConfig.FLUSH_MESSAGES_INTERVAL_CONFIG);
        this.flushMs = (Long) values.get(TopicConfig.FLUSH_MS_CONFIG);
        this.deleteRetentionMs = (Long) values.get(TopicConfig.DELETE_RETENTION_MS_CONFIG);
        this.minCompactionLagMs = (Long) values.get(TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG);
        this.maxCompactionLagMs = (Long) values.get(TopicConfig.MAX_COMPACTION_LAG_MS_CONFIG);
        this.fileDeleteDelayMs = (Long) values.get(TopicConfig.FILE_DELETE_DELAY_MS_CONFIG);
        this.uncleanLeaderElectionEnable = (Boolean) values.get(TopicConfig.UNCLEAN_LEADER_ELECTION_ENABLE_CONFIG);
    }

    @SuppressWarnings("unchecked")
    private List<String> list(String name) {
        return (List<String>) values.get(name);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LogConfig other && values.equals(other.values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    public boolean compact() {
        return cleanupPolicy.contains(TopicConfig.CLEANUP_POLICY_COMPACT);
    }

    public boolean delete() {
        return cleanupPolicy.contains(TopicConfig.CLEANUP_POLICY_DELETE);
    }
}
