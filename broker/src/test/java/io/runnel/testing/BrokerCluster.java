package io.runnel.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.awaitility.Awaitility;

/**
 * Several broker processes, node ids 1..n, sharing one PostgreSQL database (a fresh one of
 * {@link TestPostgres} unless the test brings its own), with short
 * failure-detection settings. Questions about the cluster go through the Admin client, as an
 * operator's would.
 */
public final class BrokerCluster implements AutoCloseable {

    private final List<BrokerProcess> brokers = new ArrayList<>();

    private BrokerCluster() {}

    /** Starts {@code size} brokers; {@code settings} may add to each broker's settings. */
    public static BrokerCluster start(String name, int size, UnaryOperator<BrokerProcess> settings) {
        TestPostgres postgres = TestPostgres.get();
        return start(name, size, settings, postgres.jdbcUrl(postgres.createDatabase(name.replace('-', '_'))));
    }

    /**
     * Starts {@code size} brokers on the database at {@code jdbcUrl} (user postgres, no password),
     * e.g. one of a {@link StoppablePostgres}.
     */
    public static BrokerCluster start(String name, int size, UnaryOperator<BrokerProcess> settings, String jdbcUrl) {
        BrokerCluster cluster = new BrokerCluster();
        for (int id = 1; id <= size; id++) {
            BrokerProcess broker = BrokerProcess.create(name + "-" + id)
                    .set("runnel.node-id", String.valueOf(id))
                    .set("quarkus.datasource.jdbc.url", jdbcUrl)
                    .set("quarkus.datasource.username", "postgres")
                    .set("runnel.cluster.broker-session-timeout-ms", "4000")
                    .set("runnel.cluster.broker-heartbeat-interval-ms", "500")
                    .set("runnel.cluster.leader-imbalance-check-interval-ms", "2000")
                    .set("runnel.replication.replica-lag-time-max-ms", "5000")
                    .set("runnel.connect.enabled", "false");
            cluster.brokers.add(settings.apply(broker));
        }
        try {
            cluster.brokers.parallelStream().forEach(BrokerProcess::start);
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    public static BrokerCluster start(String name, int size) {
        return start(name, size, UnaryOperator.identity());
    }

    /** Broker {@code id} (1-based). */
    public BrokerProcess broker(int id) {
        return brokers.get(id - 1);
    }

    public List<BrokerProcess> brokers() {
        return brokers;
    }

    /** Every broker's address, as a client's bootstrap.servers. */
    public String bootstrapServers() {
        return brokers.stream().map(BrokerProcess::bootstrapServers).collect(Collectors.joining(","));
    }

    /** An Admin client on every running broker. */
    public Admin admin() {
        return Admin.create(Map.of(
                "bootstrap.servers",
                brokers.stream()
                        .filter(BrokerProcess::isAlive)
                        .map(BrokerProcess::bootstrapServers)
                        .collect(Collectors.joining(",")),
                "default.api.timeout.ms",
                "10000",
                "request.timeout.ms",
                "5000"));
    }

    public TopicPartitionInfo describe(TopicPartition tp) {
        try (Admin admin = admin()) {
            TopicDescription description = admin.describeTopics(List.of(tp.topic()))
                    .allTopicNames()
                    .get()
                    .get(tp.topic());
            return description.partitions().get(tp.partition());
        } catch (Exception e) {
            throw new IllegalStateException("Cannot describe " + tp, e);
        }
    }

    /** The leader's node id, or -1. */
    public int leaderOf(TopicPartition tp) {
        Node leader = describe(tp).leader();
        return leader == null ? -1 : leader.id();
    }

    public List<Integer> isrOf(TopicPartition tp) {
        return describe(tp).isr().stream().map(Node::id).toList();
    }

    /** Waits until the partition's ISR is exactly {@code ids}. */
    public void awaitIsr(TopicPartition tp, Collection<Integer> ids) {
        Awaitility.await(tp + " ISR " + ids)
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .ignoreExceptions()
                .until(() -> new HashSet<>(isrOf(tp)).equals(new HashSet<>(ids)));
    }

    /** Waits until the partition has a leader other than {@code notThis}, and returns it. */
    public int awaitLeaderOtherThan(TopicPartition tp, int notThis) {
        return Awaitility.await(tp + " leader other than " + notThis)
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .ignoreExceptions()
                .until(() -> leaderOf(tp), leader -> leader >= 0 && leader != notThis);
    }

    /**
     * Asserts that every listed broker holds the same batches of the partition, from the log start of
     * the one with the latest start: byte-identical records, whatever the segment layout.
     */
    public void assertReplicasIdentical(TopicPartition tp, Collection<Integer> ids) {
        List<List<byte[]>> logs = new ArrayList<>();
        for (int id : ids) {
            logs.add(SegmentFiles.batchBytes(broker(id), tp));
        }
        for (int i = 1; i < logs.size(); i++) {
            List<byte[]> first = logs.getFirst();
            List<byte[]> other = logs.get(i);
            assertThat(other).as("batches of %s on the brokers %s", tp, ids).hasSameSizeAs(first);
            for (int b = 0; b < first.size(); b++) {
                assertThat(other.get(b)).as("batch %d of %s", b, tp).isEqualTo(first.get(b));
            }
        }
    }

    public Path dataDir(int id) {
        return broker(id).dataDir();
    }

    @Override
    public void close() {
        brokers.parallelStream().forEach(BrokerProcess::close);
    }
}
