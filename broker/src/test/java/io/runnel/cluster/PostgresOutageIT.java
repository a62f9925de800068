package io.runnel.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnel.replication.SteadyProducer;
import io.runnel.testing.BrokerCluster;
import io.runnel.testing.BrokerProcess;
import io.runnel.testing.Clients;
import io.runnel.testing.StoppablePostgres;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponsePartition;
import org.awaitility.Awaitility;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL stopped for 20 seconds under steady acks=all production and consumption on three
 * brokers: the data path runs on as before (produce, follower replication, the high watermark,
 * fetch), InitProducerId is served from the block at hand, leaders and the cluster stay as they were,
 * and metadata changes and offset commits wait with a retriable error. Once PostgreSQL is back, topic creation and leader
 * election work again, and no broker was fenced for the outage.
 */
class PostgresOutageIT {

    private static final Logger LOG = Logger.getLogger(PostgresOutageIT.class);
    private static final String TOPIC = "outage";
    /** Written by producers started during the outage. */
    private static final String SIDE_TOPIC = "outage-side";

    private static final int PARTITIONS = 6;
    private static final Duration OUTAGE = Duration.ofSeconds(20);
    private static final Pattern FENCED = Pattern.compile("Controller fenced broker (\\d+)");

    private StoppablePostgres postgres;
    private String database;
    private BrokerCluster cluster;
    private SteadyProducer producer;
    private AssignedReader reader;

    @Test
    void dataPathRunsWhilePostgresIsDownAndMetadataResumesAfter() throws Exception {
        try (StoppablePostgres postgres = StoppablePostgres.start("outage")) {
            this.postgres = postgres;
            database = postgres.createDatabase("outage");
            try (BrokerCluster cluster = BrokerCluster.start("pg-outage", 3, b -> b, postgres.jdbcUrl(database))) {
                this.cluster = cluster;
                try (Admin admin = cluster.admin()) {
                    admin.createTopics(List.of(
                                    new NewTopic(TOPIC, PARTITIONS, (short) 3)
                                            .configs(Map.of("min.insync.replicas", "2")),
                                    new NewTopic(SIDE_TOPIC, 1, (short) 3)))
                            .all()
                            .get();
                }
                for (int p = 0; p < PARTITIONS; p++) {
                    cluster.awaitIsr(new TopicPartition(TOPIC, p), List.of(1, 2, 3));
                }
                producer = new SteadyProducer(cluster.bootstrapServers(), TOPIC, PARTITIONS, Map.of());
                reader = new AssignedReader(cluster.bootstrapServers(), TOPIC, PARTITIONS);
                int victim;
                Map<Integer, MetadataResponsePartition> before;
                Map<Integer, Registration> registrationsBefore;
                try {
                    awaitMoreAcks(2_000);
                    awaitMoreRead(1_000);
                    before = partitions(cluster.broker(1));
                    registrationsBefore = registrations();
                    outage(before);
                    victim = afterTheOutage();
                } finally {
                    producer.close();
                    reader.close();
                }
                assertThat(producer.failures()).isEmpty();
                assertThat(reader.failure()).isNull();
                assertNobodyButTheKilledBrokerWasFenced(victim, before, registrationsBefore);
                Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> read = new HashMap<>();
                for (int p = 0; p < PARTITIONS; p++) {
                    TopicPartition tp = new TopicPartition(TOPIC, p);
                    read.put(tp, Clients.readAll(cluster.bootstrapServers(), tp));
                }
                producer.assertConsistentWith(read);
            }
        }
    }

    /**
     * Stops PostgreSQL for {@link #OUTAGE}: production, replication and consumption go on, nothing
     * about the cluster changes, a topic cannot be created nor an offset committed (retriable), a new
     * producer gets its id.
     */
    private void outage(Map<Integer, MetadataResponsePartition> before) throws Exception {
        postgres.stop();
        long stoppedAt = System.nanoTime();
        LOG.infof("PostgreSQL stopped with %d records acknowledged", producer.ackedCount());
        awaitMoreAcks(2_000);
        awaitMoreRead(2_000);
        for (BrokerProcess broker : cluster.brokers()) {
            assertThat(partitions(broker))
                    .as("leaders and epochs on %s while PostgreSQL is down", broker)
                    .isEqualTo(before);
            assertThat(ClusterTesting.describeCluster(broker).brokers())
                    .as("brokers %s lists while PostgreSQL is down", broker)
                    .hasSize(3);
        }
        try (Admin admin = cluster.admin()) {
            assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("during-outage", 1, (short) 3)))
                            .all()
                            .get())
                    .as("topic creation waits for PostgreSQL, with a retriable error")
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(RetriableException.class);
        }
        assertThat(sendWithANewProducer(cluster.bootstrapServers()))
                .as("InitProducerId from the block at hand, then an acks=all send")
                .isGreaterThanOrEqualTo(0);
        try (KafkaConsumer<byte[], byte[]> committer = committer()) {
            assertThatThrownBy(() -> committer.commitSync(
                            Map.of(new TopicPartition(TOPIC, 0), new OffsetAndMetadata(1)), Duration.ofSeconds(3)))
                    .as("an offset commit waits for PostgreSQL, with a retriable error")
                    .isInstanceOf(RetriableException.class);
        }
        sleepUntil(stoppedAt + OUTAGE.toNanos());
        awaitMoreAcks(1_000);
        awaitMoreRead(1_000);
        LOG.infof(
                "PostgreSQL down for %d ms; %d records acknowledged, %d read; longest gap between acks %d ms",
                (System.nanoTime() - stoppedAt) / 1_000_000,
                producer.ackedCount(),
                reader.count(),
                producer.longestGapBetweenAcksMs());
    }

    /**
     * Starts PostgreSQL again: a topic can be created and offsets committed, and a killed leader is
     * replaced while production goes on. Returns the killed broker.
     */
    private int afterTheOutage() {
        postgres.start();
        long startedAt = System.nanoTime();
        long createdAfterMs = createTopicWhenPossible("after-outage");
        LOG.infof(
                "PostgreSQL back; the first topic creation succeeded %d ms after it started"
                        + " (to the end of the successful request)",
                createdAfterMs);
        TopicPartition first = new TopicPartition(TOPIC, 0);
        try (KafkaConsumer<byte[], byte[]> committer = committer()) {
            committer.commitSync(Map.of(first, new OffsetAndMetadata(2)), Duration.ofSeconds(60));
            assertThat(committer.committed(Set.of(first)).get(first).offset()).isEqualTo(2);
        }
        int victim = cluster.leaderOf(first);
        cluster.broker(victim).kill();
        long killedAt = System.nanoTime();
        int newLeader = cluster.awaitLeaderOtherThan(first, victim);
        awaitMoreAcks(2_000);
        LOG.infof(
                "Broker %d killed %d ms after PostgreSQL returned; broker %d leads %s; acks resumed within %d ms",
                victim,
                (killedAt - startedAt) / 1_000_000,
                newLeader,
                first,
                (System.nanoTime() - killedAt) / 1_000_000);
        awaitMoreRead(1_000);
        return victim;
    }

    /**
     * The killed broker was fenced once the controller trusted leases again; by then any broker the
     * outage had cost its lease would have been fenced too. None was: the survivors keep their
     * registrations, and the partitions they led kept their leader epochs.
     */
    private void assertNobodyButTheKilledBrokerWasFenced(
            int victim, Map<Integer, MetadataResponsePartition> before, Map<Integer, Registration> registrationsBefore)
            throws SQLException {
        for (BrokerProcess broker : cluster.brokers()) {
            Matcher fenced = FENCED.matcher(broker.log());
            while (fenced.find()) {
                assertThat(Integer.parseInt(fenced.group(1)))
                        .as("only the killed broker was fenced (%s)", broker)
                        .isEqualTo(victim);
            }
            assertThat(broker.log()).doesNotContain("lost its registration");
        }
        Map<Integer, Registration> registrationsAfter = registrations();
        Map<Integer, MetadataResponsePartition> after = partitions(cluster.broker(victim == 1 ? 2 : 1));
        for (int id = 1; id <= 3; id++) {
            if (id != victim) {
                assertThat(registrationsAfter.get(id))
                        .as("broker %d: the same registration (broker epoch), unfenced", id)
                        .isEqualTo(registrationsBefore.get(id))
                        .extracting(Registration::fenced)
                        .isEqualTo(false);
            }
        }
        before.forEach((partition, was) -> {
            if (was.leaderId() != victim) {
                assertThat(after.get(partition))
                        .as(
                                "leader and leader epoch of partition %d, led by a broker that lived through the outage",
                                partition)
                        .isEqualTo(was);
            }
        });
    }

    /** Creates a topic, retrying while PostgreSQL is not yet usable; how long it took, in milliseconds. */
    private long createTopicWhenPossible(String topic) {
        long started = System.nanoTime();
        AtomicReference<Exception> last = new AtomicReference<>();
        Awaitility.await("topic creation after PostgreSQL returned")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100))
                .failFast("a non-retriable error", () -> last.get() != null && !retriable(last.get()))
                .until(() -> {
                    try (Admin admin = cluster.admin()) {
                        admin.createTopics(List.of(new NewTopic(topic, 3, (short) 3)))
                                .all()
                                .get();
                        return true;
                    } catch (ExecutionException e) {
                        if (e.getCause() instanceof TopicExistsException) {
                            return true; // an attempt that timed out on the client did create it
                        }
                        last.set(e);
                        return false;
                    }
                });
        return (System.nanoTime() - started) / 1_000_000;
    }

    private static boolean retriable(Exception e) {
        return e.getCause() instanceof RetriableException;
    }

    /** A consumer of a group that only commits offsets (a simple consumer group, no membership). */
    private KafkaConsumer<byte[], byte[]> committer() {
        return Clients.consumer(cluster.bootstrapServers(), Map.of("group.id", "outage-committer"));
    }

    /** A new idempotent producer (InitProducerId) sends one record with acks=all; its offset. */
    private static long sendWithANewProducer(String bootstrap) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer =
                Clients.producer(bootstrap, Map.of("delivery.timeout.ms", "60000"))) {
            return producer.send(new ProducerRecord<>(SIDE_TOPIC, new byte[8]))
                    .get()
                    .offset();
        }
    }

    /** A broker's row in the brokers table, as far as fencing goes. */
    private record Registration(long brokerEpoch, boolean fenced) {}

    private Map<Integer, Registration> registrations() throws SQLException {
        Map<Integer, Registration> registrations = new TreeMap<>();
        try (Connection c = postgres.connect(database);
                ResultSet rs = c.createStatement().executeQuery("select node_id, broker_epoch, fenced from brokers")) {
            while (rs.next()) {
                registrations.put(rs.getInt(1), new Registration(rs.getLong(2), rs.getBoolean(3)));
            }
        }
        return registrations;
    }

    /** Leader and leader epoch of each partition of the topic, as the broker answers Metadata. */
    private static Map<Integer, MetadataResponsePartition> partitions(BrokerProcess broker) {
        Map<Integer, MetadataResponsePartition> partitions = new TreeMap<>();
        for (MetadataResponsePartition p :
                ClusterTesting.metadata(broker, TOPIC).partitions()) {
            partitions.put(
                    p.partitionIndex(),
                    new MetadataResponsePartition()
                            .setPartitionIndex(p.partitionIndex())
                            .setLeaderId(p.leaderId())
                            .setLeaderEpoch(p.leaderEpoch()));
        }
        return partitions;
    }

    private void awaitMoreAcks(int more) {
        int target = producer.ackedCount() + more;
        Awaitility.await(more + " more acknowledgements")
                .atMost(Duration.ofSeconds(60))
                .until(() -> producer.ackedCount() >= target);
    }

    private void awaitMoreRead(int more) {
        long target = reader.count() + more;
        Awaitility.await(more + " more records read")
                .atMost(Duration.ofSeconds(60))
                .failFast("the reader failed", () -> reader.failure() != null)
                .until(() -> reader.count() >= target);
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long remaining = nanoTime - System.nanoTime();
        if (remaining > 0) {
            Thread.sleep(Duration.ofNanos(remaining));
        }
    }

    /**
     * Reads every partition of a topic from the beginning with {@code assign()} (a group would rightly
     * wait for PostgreSQL to commit), checking that offsets follow each other without gaps and that the
     * sequence numbers in the values increase.
     */
    private static final class AssignedReader implements AutoCloseable {

        private final AtomicLong count = new AtomicLong();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final Map<Integer, long[]> lastOffsetAndSequence = new ConcurrentHashMap<>();
        private final Thread thread;
        private volatile boolean running = true;

        AssignedReader(String bootstrap, String topic, int partitions) {
            List<TopicPartition> assigned = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                assigned.add(new TopicPartition(topic, p));
            }
            thread = Thread.ofPlatform().name("assigned-reader").start(() -> {
                try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(bootstrap)) {
                    consumer.assign(assigned);
                    consumer.seekToBeginning(assigned);
                    while (running) {
                        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                            check(record);
                            count.incrementAndGet();
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
        }

        private void check(ConsumerRecord<byte[], byte[]> record) {
            long sequence = ByteBuffer.wrap(record.value()).getLong();
            long[] last = lastOffsetAndSequence.get(record.partition());
            if (last != null) {
                if (record.offset() != last[0] + 1) {
                    throw new AssertionError("partition " + record.partition() + ": offset " + record.offset()
                            + " read after " + last[0]);
                }
                if (sequence <= last[1]) {
                    throw new AssertionError("partition " + record.partition() + ": sequence " + sequence
                            + " at offset " + record.offset() + " after " + last[1]);
                }
            }
            lastOffsetAndSequence.put(record.partition(), new long[] {record.offset(), sequence});
        }

        long count() {
            return count.get();
        }

        Throwable failure() {
            return failure.get();
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join();
        }
    }
}
