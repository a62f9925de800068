package io.runnel.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.record.CompressionType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class LogConfigTest {

    /** Kafka 4.1's topic config defaults, as DescribeConfigs shows them (kafka.log.LogConfig / ServerLogConfigs). */
    private static final Map<String, String> KAFKA_DEFAULTS = new LinkedHashMap<>();

    /** The broker config Kafka names as each topic config's synonym. */
    private static final Map<String, String> KAFKA_SYNONYMS = new LinkedHashMap<>();

    private static void kafka(String topicConfig, String defaultValue, String brokerSynonym) {
        KAFKA_DEFAULTS.put(topicConfig, defaultValue);
        KAFKA_SYNONYMS.put(topicConfig, brokerSynonym);
    }

    static {
        kafka(TopicConfig.CLEANUP_POLICY_CONFIG, "delete", "log.cleanup.policy");
        kafka(TopicConfig.COMPRESSION_TYPE_CONFIG, "producer", "compression.type");
        kafka(TopicConfig.COMPRESSION_GZIP_LEVEL_CONFIG, "-1", "compression.gzip.level");
        kafka(TopicConfig.COMPRESSION_LZ4_LEVEL_CONFIG, "9", "compression.lz4.level");
        kafka(TopicConfig.COMPRESSION_ZSTD_LEVEL_CONFIG, "3", "compression.zstd.level");
        kafka(TopicConfig.DELETE_RETENTION_MS_CONFIG, "86400000", "log.cleaner.delete.retention.ms");
        kafka(TopicConfig.FILE_DELETE_DELAY_MS_CONFIG, "60000", "log.segment.delete.delay.ms");
        kafka(TopicConfig.FLUSH_MESSAGES_INTERVAL_CONFIG, "9223372036854775807", "log.flush.interval.messages");
        kafka(TopicConfig.FLUSH_MS_CONFIG, "9223372036854775807", "log.flush.interval.ms");
        kafka(TopicConfig.INDEX_INTERVAL_BYTES_CONFIG, "4096", "log.index.interval.bytes");
        kafka(TopicConfig.MAX_COMPACTION_LAG_MS_CONFIG, "9223372036854775807", "log.cleaner.max.compaction.lag.ms");
        kafka(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "1048588", "message.max.bytes");
        kafka(TopicConfig.MESSAGE_TIMESTAMP_AFTER_MAX_MS_CONFIG, "3600000", "log.message.timestamp.after.max.ms");
        kafka(
                TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_CONFIG,
                "9223372036854775807",
                "log.message.timestamp.before.max.ms");
        kafka(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "CreateTime", "log.message.timestamp.type");
        kafka(TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG, "0.5", "log.cleaner.min.cleanable.ratio");
        kafka(TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG, "0", "log.cleaner.min.compaction.lag.ms");
        kafka(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, "1", "min.insync.replicas");
        kafka(TopicConfig.PREALLOCATE_CONFIG, "false", "log.preallocate");
        kafka(TopicConfig.RETENTION_BYTES_CONFIG, "-1", "log.retention.bytes");
        kafka(TopicConfig.RETENTION_MS_CONFIG, "604800000", "log.retention.ms");
        kafka(TopicConfig.SEGMENT_BYTES_CONFIG, "1073741824", "log.segment.bytes");
        kafka(TopicConfig.SEGMENT_INDEX_BYTES_CONFIG, "10485760", "log.index.size.max.bytes");
        kafka(TopicConfig.SEGMENT_JITTER_MS_CONFIG, "0", "log.roll.jitter.ms");
        kafka(TopicConfig.SEGMENT_MS_CONFIG, "604800000", "log.roll.ms");
        kafka(TopicConfig.UNCLEAN_LEADER_ELECTION_ENABLE_CONFIG, "false", "unclean.leader.election.enable");
    }

    private static Map<String, String> override(String name, String value) {
        Map<String, String> overrides = new HashMap<>();
        overrides.put(name, value);
        return overrides;
    }

    // ---- defaults ----

    @Test
    void definesExactlyTheKafkaTopicConfigsItSupports() {
        assertThat(LogConfig.definitions().keySet()).containsExactlyInAnyOrderElementsOf(KAFKA_DEFAULTS.keySet());
    }

    @Test
    void everyDefaultIsKafkasTopicDefault() {
        for (String name : LogConfig.definitions().keySet()) {
            assertThat(LogConfig.defaultValue(name)).as("default of %s", name).isEqualTo(KAFKA_DEFAULTS.get(name));
        }
    }

    @Test
    void everyBrokerSynonymIsKafkas() {
        LogConfig.definitions()
                .forEach((name, definition) -> assertThat(definition.brokerSynonym())
                        .as("broker synonym of %s", name)
                        .isEqualTo(KAFKA_SYNONYMS.get(name)));
    }

    @Test
    void definitionKeyCarriesTheTopicConfigName() {
        LogConfig.definitions()
                .forEach((name, definition) -> assertThat(definition.key().name).isEqualTo(name));
    }

    @Test
    void compressionLevelDefaultsMatchKafkasCodecs() {
        assertThat(LogConfig.defaultValue(TopicConfig.COMPRESSION_GZIP_LEVEL_CONFIG))
                .isEqualTo(String.valueOf(CompressionType.GZIP.defaultLevel()));
        assertThat(LogConfig.defaultValue(TopicConfig.COMPRESSION_LZ4_LEVEL_CONFIG))
                .isEqualTo(String.valueOf(CompressionType.LZ4.defaultLevel()));
        assertThat(LogConfig.defaultValue(TopicConfig.COMPRESSION_ZSTD_LEVEL_CONFIG))
                .isEqualTo(String.valueOf(CompressionType.ZSTD.defaultLevel()));
    }

    @Test
    void configWithoutOverridesHasTheDefaults() {
        LogConfig config = new LogConfig(Map.of());

        assertThat(config.cleanupPolicy).containsExactly("delete");
        assertThat(config.delete()).isTrue();
        assertThat(config.compact()).isFalse();
        assertThat(config.retentionMs).isEqualTo(604_800_000L);
        assertThat(config.retentionBytes).isEqualTo(-1L);
        assertThat(config.segmentBytes).isEqualTo(1_073_741_824);
        assertThat(config.segmentMs).isEqualTo(604_800_000L);
        assertThat(config.segmentIndexBytes).isEqualTo(10_485_760);
        assertThat(config.indexIntervalBytes).isEqualTo(4096);
        assertThat(config.maxMessageBytes).isEqualTo(1_048_588);
        assertThat(config.minInsyncReplicas).isEqualTo(1);
        assertThat(config.messageTimestampLogAppendTime).isFalse();
        assertThat(config.messageTimestampBeforeMaxMs).isEqualTo(Long.MAX_VALUE);
        assertThat(config.messageTimestampAfterMaxMs).isEqualTo(3_600_000L);
        assertThat(config.flushMessages).isEqualTo(Long.MAX_VALUE);
        assertThat(config.flushMs).isEqualTo(Long.MAX_VALUE);
        assertThat(config.deleteRetentionMs).isEqualTo(86_400_000L);
        assertThat(config.minCompactionLagMs).isZero();
        assertThat(config.maxCompactionLagMs).isEqualTo(Long.MAX_VALUE);
        assertThat(config.fileDeleteDelayMs).isEqualTo(60_000L);
        assertThat(config.uncleanLeaderElectionEnable).isFalse();
    }

    // ---- overrides ----

    @Test
    void overridesReplaceDefaults() {
        Map<String, String> overrides = new HashMap<>();
        overrides.put(TopicConfig.RETENTION_MS_CONFIG, "1000");
        overrides.put(TopicConfig.SEGMENT_BYTES_CONFIG, "2097152");
        overrides.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, "2");
        overrides.put(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime");
        overrides.put(TopicConfig.UNCLEAN_LEADER_ELECTION_ENABLE_CONFIG, "true");

        LogConfig config = new LogConfig(overrides);

        assertThat(config.retentionMs).isEqualTo(1000L);
        assertThat(config.segmentBytes).isEqualTo(2_097_152);
        assertThat(config.minInsyncReplicas).isEqualTo(2);
        assertThat(config.messageTimestampLogAppendTime).isTrue();
        assertThat(config.uncleanLeaderElectionEnable).isTrue();
        assertThat(config.segmentMs).as("not overridden").isEqualTo(604_800_000L);
    }

    @Test
    void compactPolicyCompactsAndDoesNotDelete() {
        LogConfig config = new LogConfig(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, "compact"));

        assertThat(config.compact()).isTrue();
        assertThat(config.delete()).isFalse();
    }

    @Test
    void bothPoliciesCompactAndDelete() {
        LogConfig config = new LogConfig(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, "compact,delete"));

        assertThat(config.cleanupPolicy).containsExactly("compact", "delete");
        assertThat(config.compact()).isTrue();
        assertThat(config.delete()).isTrue();
    }

    @Test
    void configsWithTheSameEffectiveValuesAreEqual() {
        LogConfig defaults = new LogConfig(Map.of());
        LogConfig explicitDefault = new LogConfig(Map.of(TopicConfig.RETENTION_MS_CONFIG, "604800000"));
        LogConfig different = new LogConfig(Map.of(TopicConfig.RETENTION_MS_CONFIG, "1"));

        assertThat(explicitDefault).isEqualTo(defaults).hasSameHashCodeAs(defaults);
        assertThat(different).isNotEqualTo(defaults);
    }

    @Test
    void definitionOfAKnownNameIsPresentAndOfAnUnknownNameIsEmpty() {
        assertThat(LogConfig.definition(TopicConfig.RETENTION_MS_CONFIG))
                .get()
                .extracting(LogConfig.Definition::brokerSynonym)
                .isEqualTo("log.retention.ms");
        assertThat(LogConfig.definition(TopicConfig.RETENTION_MS_CONFIG)
                        .orElseThrow()
                        .key()
                        .type)
                .isEqualTo(ConfigDef.Type.LONG);
        assertThat(LogConfig.definition("retention.hours")).isEmpty();
    }

    // ---- validation ----

    @Test
    void noOverridesAreValid() {
        assertThatCode(() -> LogConfig.validate(Map.of())).doesNotThrowAnyException();
    }

    @Test
    void everyDefaultIsItselfAValidOverride() {
        for (String name : LogConfig.definitions().keySet()) {
            assertThatCode(() -> LogConfig.validate(override(name, LogConfig.defaultValue(name))))
                    .as(name)
                    .doesNotThrowAnyException();
        }
    }

    @Test
    void unknownNameIsRejectedWithKafkasMessage() {
        assertThatThrownBy(() -> LogConfig.validate(Map.of("retention.hours", "1")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Unknown topic config name: retention.hours");
    }

    @Test
    void brokerConfigNameIsNotATopicConfig() {
        assertThatThrownBy(() -> LogConfig.validate(Map.of("log.retention.ms", "1")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("Unknown topic config name");
    }

    @Test
    void unknownNameIsReportedEvenAlongsideABadValue() {
        Map<String, String> overrides = new LinkedHashMap<>();
        overrides.put(TopicConfig.RETENTION_MS_CONFIG, "not-a-number");
        overrides.put("no.such.config", "1");

        assertThatThrownBy(() -> LogConfig.validate(overrides))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("no.such.config");
    }

    @Test
    void nullValueIsRejected() {
        assertThatThrownBy(() -> LogConfig.validate(override(TopicConfig.RETENTION_MS_CONFIG, null)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("Null value not supported")
                .hasMessageContaining(TopicConfig.RETENTION_MS_CONFIG);
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource({
        "retention.ms, abc",
        "retention.ms, 1.5",
        "retention.ms, -2",
        "retention.bytes, lots",
        "segment.bytes, 1048575",
        "segment.bytes, 0",
        "segment.bytes, 2147483648",
        "segment.ms, 0",
        "segment.index.bytes, 3",
        "segment.jitter.ms, -1",
        "index.interval.bytes, -1",
        "max.message.bytes, -1",
        "min.insync.replicas, 0",
        "min.cleanable.dirty.ratio, 1.01",
        "min.cleanable.dirty.ratio, -0.1",
        "min.compaction.lag.ms, -1",
        "max.compaction.lag.ms, 0",
        "delete.retention.ms, -1",
        "file.delete.delay.ms, -1",
        "flush.messages, 0",
        "flush.ms, -1",
        "message.timestamp.after.max.ms, -1",
        "message.timestamp.before.max.ms, -1",
        "message.timestamp.type, createtime",
        "message.timestamp.type, NoTime",
        "cleanup.policy, purge",
        "cleanup.policy, 'compact,purge'",
        "compression.type, none",
        "compression.type, brotli",
        "compression.gzip.level, 10",
        "compression.gzip.level, -2",
        "compression.lz4.level, 0",
        "compression.lz4.level, 18",
        "compression.zstd.level, 23",
        "compression.zstd.level, -131073",
        "preallocate, maybe",
        "unclean.leader.election.enable, yes",
    })
    void badValueIsRejectedNamingTheConfig(String name, String value) {
        assertThatThrownBy(() -> LogConfig.validate(override(name, value)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(name);
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource({
        "retention.ms, -1",
        "retention.ms, 0",
        "retention.bytes, -1",
        "retention.bytes, 1073741824",
        "segment.bytes, 1048576",
        "segment.ms, 1",
        "segment.index.bytes, 4",
        "min.insync.replicas, 3",
        "min.cleanable.dirty.ratio, 0",
        "min.cleanable.dirty.ratio, 1",
        "max.compaction.lag.ms, 1",
        "flush.messages, 1",
        "message.timestamp.type, LogAppendTime",
        "cleanup.policy, compact",
        "cleanup.policy, 'delete,compact'",
        "compression.type, uncompressed",
        "compression.type, zstd",
        "compression.type, lz4",
        "compression.type, snappy",
        "compression.type, gzip",
        "compression.type, producer",
        "preallocate, true",
        "unclean.leader.election.enable, TRUE",
    })
    void goodValueIsAccepted(String name, String value) {
        assertThatCode(() -> LogConfig.validate(override(name, value))).doesNotThrowAnyException();
    }

    @ParameterizedTest
    @ValueSource(ints = {-2, -1, 1, 5, 9, 10})
    void gzipLevelIsValidatedAsKafkaDoes(int level) {
        assertSameVerdictAsKafka(TopicConfig.COMPRESSION_GZIP_LEVEL_CONFIG, CompressionType.GZIP, level);
    }

    @Test
    void gzipLevelZeroIsRejectedAsKafkaDoes() {
        assertThatThrownBy(() -> LogConfig.validate(Map.of(TopicConfig.COMPRESSION_GZIP_LEVEL_CONFIG, "0")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(TopicConfig.COMPRESSION_GZIP_LEVEL_CONFIG);
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 0, 1, 9, 17, 18})
    void lz4LevelIsValidatedAsKafkaDoes(int level) {
        assertSameVerdictAsKafka(TopicConfig.COMPRESSION_LZ4_LEVEL_CONFIG, CompressionType.LZ4, level);
    }

    @ParameterizedTest
    @ValueSource(ints = {-131073, -131072, -1, 0, 3, 22, 23})
    void zstdLevelIsValidatedAsKafkaDoes(int level) {
        assertSameVerdictAsKafka(TopicConfig.COMPRESSION_ZSTD_LEVEL_CONFIG, CompressionType.ZSTD, level);
    }

    private static void assertSameVerdictAsKafka(String name, CompressionType type, int level) {
        boolean kafkaAccepts = accepts(() -> type.levelValidator().ensureValid(name, level));
        boolean runnelAccepts = accepts(() -> LogConfig.validate(Map.of(name, String.valueOf(level))));
        assertThat(runnelAccepts).as("%s=%d accepted", name, level).isEqualTo(kafkaAccepts);
    }

    private static boolean accepts(Runnable check) {
        try {
            check.run();
            return true;
        } catch (ConfigException e) {
            return false;
        }
    }

    @Test
    void minCompactionLagAboveMaxIsAConflict() {
        Map<String, String> overrides = new HashMap<>();
        overrides.put(TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG, "2000");
        overrides.put(TopicConfig.MAX_COMPACTION_LAG_MS_CONFIG, "1000");

        assertThatThrownBy(() -> LogConfig.validate(overrides))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("conflict topic config setting")
                .hasMessageContaining(TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG)
                .hasMessageContaining(TopicConfig.MAX_COMPACTION_LAG_MS_CONFIG);
    }

    @Test
    void minCompactionLagAboveTheDefaultMaxIsFine() {
        assertThatCode(() -> LogConfig.validate(Map.of(TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG, "1000000000")))
                .doesNotThrowAnyException();
    }

    @Test
    void maxCompactionLagIsCheckedAgainstTheEffectiveMin() {
        assertThatCode(() -> LogConfig.validate(Map.of(TopicConfig.MAX_COMPACTION_LAG_MS_CONFIG, "1")))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> LogConfig.validate(Map.of(
                        TopicConfig.MAX_COMPACTION_LAG_MS_CONFIG, "1",
                        TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG, "2")))
                .isInstanceOf(ConfigException.class);
    }

    @Test
    void equalMinAndMaxCompactionLagIsFine() {
        assertThatCode(() -> LogConfig.validate(Map.of(
                        TopicConfig.MAX_COMPACTION_LAG_MS_CONFIG, "500",
                        TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG, "500")))
                .doesNotThrowAnyException();
    }
}
