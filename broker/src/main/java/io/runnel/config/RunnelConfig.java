package io.runnel.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The broker's own settings, under the {@code runnel.} prefix. These names are part of the operator
 * contract (README, scripts, Kubernetes manifests); the usual Quarkus environment-variable forms
 * ({@code RUNNEL_NODE_ID}, ...) work too.
 */
@ConfigMapping(prefix = "runnel")
public interface RunnelConfig {

    /** This broker's id, unique in the cluster (Kafka's {@code node.id}). */
    @WithDefault("1")
    int nodeId();

    /** Root of everything this broker keeps on disk: partition logs and the embedded PostgreSQL. */
    @WithDefault("./runnel-data")
    Path dataDir();

    /** Where the Kafka protocol is served, as {@code NAME://host:port}, comma separated. */
    @WithDefault("PLAINTEXT://0.0.0.0:9092")
    List<String> listeners();

    /**
     * What clients are told to connect to, per listener name. Defaults to each listener with a host
     * name clients can reach (the machine's host name where the listener binds a wildcard address).
     */
    Optional<List<String>> advertisedListeners();

    /** The rack this broker is in, for rack-aware replica placement ({@code broker.rack}). */
    Optional<String> rack();

    /** Create a topic when a client asks for metadata of one that does not exist. */
    @WithDefault("true")
    boolean autoCreateTopics();

    /** Partitions of an auto-created topic, or of a topic created without a count. */
    @WithDefault("1")
    int numPartitions();

    /** Replicas of an auto-created topic, or of a topic created without a factor. */
    @WithDefault("1")
    short defaultReplicationFactor();

    /** Largest request a client may send; a larger frame closes the connection. */
    @WithDefault("104857600")
    int socketRequestMaxBytes();

    /** Requests a connection may have in flight before the broker stops reading from it. */
    @WithDefault("64")
    int maxInflightRequestsPerConnection();

    /** Replication between brokers: followers fetching from leaders, the ISR and the high watermark. */
    ReplicationSettings replication();

    interface ReplicationSettings {

        /** How long a follower may stay behind the leader's log end before it leaves the ISR ({@code replica.lag.time.max.ms}). */
        @WithDefault("30000")
        long replicaLagTimeMaxMs();

        /** How long a follower's fetch waits at the leader for new records ({@code replica.fetch.wait.max.ms}). */
        @WithDefault("500")
        int replicaFetchWaitMaxMs();

        /** Bytes a follower fetches per partition ({@code replica.fetch.max.bytes}). */
        @WithDefault("1048576")
        int replicaFetchMaxBytes();

        /** Bytes a follower fetches per request ({@code replica.fetch.response.max.bytes}). */
        @WithDefault("10485760")
        int replicaFetchResponseMaxBytes();

        /** How long a follower waits before fetching again after an error ({@code replica.fetch.backoff.ms}). */
        @WithDefault("1000")
        long replicaFetchBackoffMs();

        /** The listener followers fetch through; defaults to the first of {@code runnel.listeners} ({@code inter.broker.listener.name}). */
        Optional<String> interBrokerListenerName();
    }

    /** Brokers, the controller and how metadata changes reach every broker. */
    ClusterSettings cluster();

    interface ClusterSettings {

        /**
         * How long a broker's lease lasts without a renewal before the controller fences it; also the
         * length of the controller lease ({@code broker.session.timeout.ms}).
         */
        @WithDefault("9000")
        long brokerSessionTimeoutMs();

        /** How often a broker renews its lease ({@code broker.heartbeat.interval.ms}). */
        @WithDefault("2000")
        long brokerHeartbeatIntervalMs();

        /** Move leadership back to each partition's preferred replica ({@code auto.leader.rebalance.enable}). */
        @WithDefault("true")
        boolean autoLeaderRebalanceEnable();

        /** How often the controller looks for partitions not led by their preferred replica. */
        @WithDefault("300000")
        long leaderImbalanceCheckIntervalMs();

        /**
         * The longest a broker's metadata image goes without a full reload from PostgreSQL; changes
         * normally arrive at once through LISTEN/NOTIFY.
         */
        @WithDefault("10000")
        long metadataPollIntervalMs();

        /** How long a SIGTERMed broker waits for its leadership to move before it stops ({@code controlled.shutdown}). */
        @WithDefault("30000")
        long controlledShutdownTimeoutMs();
    }

    /** The partition logs' background work. */
    LogSettings log();

    interface LogSettings {

        /** How often segments are checked against retention.ms / retention.bytes ({@code log.retention.check.interval.ms}). */
        @WithDefault("300000")
        long retentionCheckIntervalMs();

        /** How often logs are checked against their {@code flush.ms} ({@code log.flush.scheduler.interval.ms}). */
        @WithDefault("1000")
        long flushCheckIntervalMs();

        /** How long an idle idempotent producer's state is kept ({@code producer.id.expiration.ms}). */
        @WithDefault("86400000")
        long producerIdExpirationMs();

        /** How often compacted topics are cleaned ({@code log.cleaner.backoff.ms}, as a period). */
        @WithDefault("15000")
        long cleanerIntervalMs();

        /**
         * How often each partition's high watermark is written to its checkpoint file, when it moved
         * ({@code replica.high.watermark.checkpoint.interval.ms}).
         */
        @WithDefault("5000")
        long replicaHighWatermarkCheckpointIntervalMs();
    }

    /** The group coordinator. */
    GroupSettings group();

    interface GroupSettings {

        /** How long a new group's first rebalance waits for more members ({@code group.initial.rebalance.delay.ms}). */
        @WithDefault("3000")
        long initialRebalanceDelayMs();

        /** The smallest session timeout a member may ask for ({@code group.min.session.timeout.ms}). */
        @WithDefault("6000")
        int minSessionTimeoutMs();

        /** The largest session timeout a member may ask for ({@code group.max.session.timeout.ms}). */
        @WithDefault("1800000")
        int maxSessionTimeoutMs();

        /** How long committed offsets of an empty group are kept ({@code offsets.retention.minutes}). */
        @WithDefault("10080")
        long offsetsRetentionMinutes();

        /** How often expired offsets are removed ({@code offsets.retention.check.interval.ms}). */
        @WithDefault("600000")
        long offsetsRetentionCheckIntervalMs();

        /** Largest metadata string of a committed offset ({@code offset.metadata.max.bytes}). */
        @WithDefault("4096")
        int offsetMetadataMaxBytes();
    }

    /** The connector runtime. */
    ConnectSettings connect();

    interface ConnectSettings {

        /** Run connectors on this broker (the REST API answers either way). */
        @WithDefault("true")
        boolean enabled();

        /**
         * A directory of connector plugins: each jar, or each sub-directory of jars, gets its own
         * class loader (Kafka Connect's {@code plugin.path}). JVM mode only.
         */
        Optional<Path> pluginPath();

        /** How often tasks commit offsets ({@code offset.flush.interval.ms}). */
        @WithDefault("60000")
        long offsetFlushIntervalMs();

        /** How often the broker reconciles the connectors and tasks it runs with PostgreSQL. */
        @WithDefault("1000")
        long syncIntervalMs();

        /** How long a stopping task may take before its thread is abandoned ({@code task.shutdown.graceful.timeout.ms}). */
        @WithDefault("5000")
        long taskShutdownTimeoutMs();

        /** Converter for keys when a connector names none ({@code key.converter}). */
        @WithDefault("org.apache.kafka.connect.json.JsonConverter")
        String keyConverter();

        /** Converter for values when a connector names none ({@code value.converter}). */
        @WithDefault("org.apache.kafka.connect.json.JsonConverter")
        String valueConverter();

        /** Converter for headers when a connector names none ({@code header.converter}). */
        @WithDefault("org.apache.kafka.connect.storage.SimpleHeaderConverter")
        String headerConverter();
    }
}
