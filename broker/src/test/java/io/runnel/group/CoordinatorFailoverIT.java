package io.runnel.group;

import static io.runnel.group.GroupTesting.committed;
import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.testing.BrokerCluster;
import io.runnel.testing.Clients;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * A consumer group on three brokers whose coordinator's broker is SIGKILLed while the group consumes
 * a replicated topic under steady production: the controller fences the dead broker and moves its
 * coordinator slots, the members find the new coordinator, which loaded the group and its committed
 * offsets from PostgreSQL, and carry on with at-least-once processing — nothing skipped, committed
 * offsets never going back.
 */
class CoordinatorFailoverIT {

    private static final Logger LOG = Logger.getLogger(CoordinatorFailoverIT.class);
    private static final String TOPIC = "coordinator-failover";
    private static final String GROUP = "coordinator-failover-group";
    private static final int PARTITIONS = 6;
    private static final Map<String, Object> MEMBER_SETTINGS = Map.of(
            ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 300,
            ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000,
            ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 50);

    @Test
    void aGroupKeepsConsumingWhenItsCoordinatorsBrokerDies() throws Exception {
        try (BrokerCluster cluster = BrokerCluster.start(
                        "coordinator-failover",
                        3,
                        broker -> broker.set("runnel.group.initial-rebalance-delay-ms", "300")
                                .set(
                                        "runnel.group.min-session-timeout-ms",
                                        String.valueOf(GroupTesting.MIN_SESSION_TIMEOUT_MS)));
                Admin admin = cluster.admin()) {
            admin.createTopics(List.of(
                            new NewTopic(TOPIC, PARTITIONS, (short) 3).configs(Map.of("min.insync.replicas", "2"))))
                    .all()
                    .get();
            List<MemberThread> members = new ArrayList<>();
            for (String name : List.of("a", "b", "c")) {
                members.add(MemberThread.start(name, cluster.bootstrapServers(), GROUP, TOPIC, true, MEMBER_SETTINGS));
            }
            try {
                consumeThroughTheCoordinatorsDeath(cluster, admin, members);
            } finally {
                for (MemberThread member : members) {
                    member.close();
                }
            }
        }
    }

    private static void consumeThroughTheCoordinatorsDeath(
            BrokerCluster cluster, Admin admin, List<MemberThread> members) throws Exception {
        MemberThread.awaitAssignment(Duration.ofSeconds(60), PARTITIONS, members.toArray(MemberThread[]::new));
        Feed feed = new Feed(cluster.bootstrapServers());
        CommittedOffsetsWatch watch;
        try {
            Awaitility.await("commits on every partition")
                    .atMost(Duration.ofSeconds(60))
                    .ignoreExceptions()
                    .until(() -> committed(admin, GROUP).size() == PARTITIONS);

            int victim = describe(admin).coordinator().id();
            watch = new CommittedOffsetsWatch(admin);
            Map<Integer, Long> committedAtKill = committed(admin, GROUP);
            int consumedAtKill = count(consumed(members));
            cluster.broker(victim).kill();
            long killedAt = System.nanoTime();

            Awaitility.await("commits beyond those at the kill on every partition")
                    .atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(100))
                    .ignoreExceptions()
                    .until(() -> {
                        Map<Integer, Long> now = committed(admin, GROUP);
                        return committedAtKill.keySet().stream()
                                .allMatch(p -> now.getOrDefault(p, -1L) > committedAtKill.get(p));
                    });
            LOG.infof(
                    "Broker %d (the coordinator) killed; commits resumed on every partition within %d ms",
                    victim, (System.nanoTime() - killedAt) / 1_000_000);
            assertThat(count(consumed(members))).as("records consumed").isGreaterThan(consumedAtKill);

            ConsumerGroupDescription after = Awaitility.await("the group Stable with its three members")
                    .atMost(Duration.ofSeconds(60))
                    .ignoreExceptions()
                    .until(
                            () -> describe(admin),
                            d -> d.groupState() == GroupState.STABLE
                                    && d.members().size() == 3);
            assertThat(after.coordinator().id()).as("the new coordinator").isNotEqualTo(victim);
        } finally {
            feed.close();
        }

        // the feed stopped: the members read to the end and commit it
        Map<Integer, Long> end = endOffsets(admin);
        assertThat(end.values().stream().mapToLong(Long::longValue).sum())
                .as("every acknowledged record in the log once")
                .isEqualTo(feed.acked());
        Awaitility.await("everything consumed and committed")
                .atMost(Duration.ofSeconds(60))
                .ignoreExceptions()
                .until(() -> committed(admin, GROUP).equals(end));
        watch.close();
        members.forEach(MemberThread::assignment); // fails if a member's thread died

        assertThat(watch.regressions()).as("committed offsets going back").isEmpty();
        assertThat(watch.readings())
                .as("committed offsets read during the failover")
                .isGreaterThan(0);
        Map<Integer, Set<Long>> consumed = consumed(members);
        for (int p = 0; p < PARTITIONS; p++) {
            long partitionEnd = end.get(p);
            assertThat(consumed.getOrDefault(p, Set.of()))
                    .as("partition %d: every offset below the end %d consumed, none skipped", p, partitionEnd)
                    .hasSize((int) partitionEnd)
                    .allMatch(o -> o >= 0 && o < partitionEnd);
        }
    }

    private static int count(Map<Integer, Set<Long>> consumed) {
        return consumed.values().stream().mapToInt(Set::size).sum();
    }

    private static ConsumerGroupDescription describe(Admin admin) throws Exception {
        return admin.describeConsumerGroups(List.of(GROUP))
                .describedGroups()
                .get(GROUP)
                .get();
    }

    /** The distinct offsets consumed by all members together, by partition. */
    private static Map<Integer, Set<Long>> consumed(List<MemberThread> members) {
        Map<Integer, Set<Long>> consumed = new TreeMap<>();
        for (MemberThread member : members) {
            for (ConsumerRecord<byte[], byte[]> r : member.records()) {
                consumed.computeIfAbsent(r.partition(), p -> new TreeSet<>()).add(r.offset());
            }
        }
        return consumed;
    }

    private static Map<Integer, Long> endOffsets(Admin admin) throws Exception {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            latest.put(new TopicPartition(TOPIC, p), OffsetSpec.latest());
        }
        Map<Integer, Long> end = new HashMap<>();
        admin.listOffsets(latest).all().get().forEach((tp, info) -> end.put(tp.partition(), info.offset()));
        return end;
    }

    /** An idempotent acks=all producer writing to every partition in turn on its own thread, until closed. */
    private static final class Feed implements AutoCloseable {

        private final KafkaProducer<byte[], byte[]> producer;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final List<Exception> failures = new CopyOnWriteArrayList<>();
        private final AtomicLong acked = new AtomicLong();
        private final Thread thread;

        Feed(String bootstrap) {
            producer = Clients.producer(
                    bootstrap, Map.of("acks", "all", "enable.idempotence", "true", "delivery.timeout.ms", "120000"));
            thread = Thread.ofPlatform().name("feed").start(this::run);
        }

        private void run() {
            for (long n = 0; running.get(); n++) {
                int partition = (int) (n % PARTITIONS);
                byte[] value = (partition + "-" + n).getBytes(StandardCharsets.UTF_8);
                producer.send(new ProducerRecord<>(TOPIC, partition, null, value), (metadata, e) -> {
                    if (e != null) {
                        failures.add(e);
                    } else {
                        acked.incrementAndGet();
                    }
                });
                if (partition == PARTITIONS - 1) {
                    try {
                        Thread.sleep(20); // a steady trickle, not a flood, on a shared machine
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }

        long acked() {
            return acked.get();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join();
            producer.flush();
            producer.close();
            assertThat(failures).as("failed sends").isEmpty();
        }
    }

    /**
     * Reads the group's committed offsets over and over on a thread of its own, through whichever broker
     * coordinates the group, and notes every partition whose committed offset was seen going back.
     */
    private static final class CommittedOffsetsWatch implements AutoCloseable {

        private final Admin admin;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Map<Integer, Long> highest = new HashMap<>();
        private final List<String> regressions = Collections.synchronizedList(new ArrayList<>());
        private volatile int readings;
        private final Thread thread;

        CommittedOffsetsWatch(Admin admin) {
            this.admin = admin;
            this.thread = Thread.ofPlatform().name("committed-offsets-watch").start(this::run);
        }

        private void run() {
            while (running.get()) {
                try {
                    Map<Integer, Long> now = committed(admin, GROUP);
                    now.forEach((p, offset) -> {
                        Long before = highest.get(p);
                        if (before != null && offset < before) {
                            regressions.add("partition " + p + ": " + before + " -> " + offset);
                        }
                        highest.merge(p, offset, Math::max);
                    });
                    readings++;
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    // the coordinator is moving: read again
                }
            }
        }

        List<String> regressions() {
            return List.copyOf(regressions);
        }

        int readings() {
            return readings;
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join();
        }
    }
}
