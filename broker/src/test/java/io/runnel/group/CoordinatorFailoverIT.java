package io.runnel.group;

import static io.runnel.group.GroupTesting.committed;
import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.testing.BrokerCluster;
import io.runnel.testing.BrokerProcess;
import io.runnel.testing.Clients;
import io.runnel.testing.RawKafkaClient;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A consumer group on three brokers whose coordinator's broker is SIGKILLed while the group consumes
 * a replicated topic under steady production: the controller fences the dead broker and moves its
 * coordinator slots, the members find the new coordinator, which loaded the group and its committed
 * offsets from PostgreSQL, and carry on with at-least-once processing — nothing skipped, committed
 * offsets never going back. And a coordinator frozen until its slot moved cannot overwrite what its
 * successor committed: its write is fenced in PostgreSQL.
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

    /** Three brokers; each test leaves all three running. */
    static BrokerCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = BrokerCluster.start(
                "coordinator-failover",
                3,
                broker -> broker.set("runnel.group.initial-rebalance-delay-ms", "300")
                        .set(
                                "runnel.group.min-session-timeout-ms",
                                String.valueOf(GroupTesting.MIN_SESSION_TIMEOUT_MS)));
    }

    /** Brings back a broker an earlier test left dead, should it have failed half way. */
    @BeforeEach
    void allBrokersRunning() {
        cluster.brokers().stream().filter(b -> !b.isAlive()).forEach(BrokerProcess::start);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aGroupKeepsConsumingWhenItsCoordinatorsBrokerDies() throws Exception {
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(
                            new NewTopic(TOPIC, PARTITIONS, (short) 3).configs(Map.of("min.insync.replicas", "2"))))
                    .all()
                    .get();
            List<MemberThread> members = new ArrayList<>();
            for (String name : List.of("a", "b", "c")) {
                members.add(MemberThread.start(name, cluster.bootstrapServers(), GROUP, TOPIC, true, MEMBER_SETTINGS));
            }
            try {
                consumeThroughTheCoordinatorsDeath(admin, members);
            } finally {
                for (MemberThread member : members) {
                    member.close();
                }
            }
        }
    }

    @Test
    void aCoordinatorThatLostItsSlotWhilePausedCannotOverwriteItsSuccessorsCommits() throws Exception {
        String topic = "fenced-commits";
        String group = "fenced-commits-group";
        TopicPartition tp = new TopicPartition(topic, 0);
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 3))).all().get();
            Errors staleAnswer = null;
            for (int attempt = 1; staleAnswer == null; attempt++) {
                assertThat(attempt)
                        .as("attempts at pausing the coordinator until its slot moves")
                        .isLessThanOrEqualTo(3);
                staleAnswer = commitThroughAPausedCoordinator(admin, group, tp);
            }
            assertThat(staleAnswer)
                    .as("the paused coordinator's commit, once it runs again")
                    .isEqualTo(Errors.NOT_COORDINATOR);
            assertThat(committed(admin, group)).isEqualTo(Map.of(0, 100L));

            // the next holder of the slot reads what PostgreSQL has
            int successor = describe(admin, group).coordinator().id();
            cluster.broker(successor).kill();
            Awaitility.await("the group's slot moved off the killed broker")
                    .atMost(Duration.ofSeconds(60))
                    .ignoreExceptions()
                    .until(() -> describe(admin, group).coordinator().id(), id -> id != successor);
            assertThat(Awaitility.await("committed offsets from the next coordinator")
                            .atMost(Duration.ofSeconds(60))
                            .ignoreExceptions()
                            .until(() -> committed(admin, group), c -> !c.isEmpty()))
                    .isEqualTo(Map.of(0, 100L));
        }
    }

    /**
     * Commits 10, pauses the group's coordinator with a commit of 5 waiting in its socket, and once its
     * slot has moved commits 100 through the successor; then lets the paused broker run and returns its
     * answer to the waiting commit. Returns null when the slot did not move: a transaction the paused
     * broker had open at the SIGSTOP (a lease renewal, between its update and its commit) keeps its
     * row lock, and the controller, reading the brokers for share, waits for it until the broker runs
     * again; the commit of 5 then went through.
     */
    private static Errors commitThroughAPausedCoordinator(Admin admin, String group, TopicPartition tp)
            throws Exception {
        commit(cluster.bootstrapServers(), group, tp, 10);
        int stale = describe(admin, group).coordinator().id();
        String othersBootstrap = cluster.brokers().stream()
                .filter(b -> b != cluster.broker(stale))
                .map(BrokerProcess::bootstrapServers)
                .collect(Collectors.joining(","));
        try (RawKafkaClient toStale = new RawKafkaClient(cluster.broker(stale).kafkaPort())) {
            cluster.broker(stale).pause();
            CompletableFuture<Errors> staleCommit;
            boolean moved;
            try {
                // waits in the paused broker's socket, for the moment it runs again
                staleCommit = CompletableFuture.supplyAsync(() -> rawCommit(toStale, group, tp, 5));
                try {
                    int successor = Awaitility.await("the group's slot moved off the paused broker")
                            .atMost(Duration.ofSeconds(30))
                            .ignoreExceptions()
                            .until(() -> describe(admin, group).coordinator().id(), id -> id != stale);
                    LOG.infof("Broker %d paused; broker %d coordinates %s", stale, successor, group);
                    commit(othersBootstrap, group, tp, 100);
                    moved = true;
                } catch (ConditionTimeoutException e) {
                    LOG.warnf("Broker %d paused, but the controller did not move its slots; trying again", stale);
                    moved = false;
                }
            } finally {
                cluster.broker(stale).resume();
            }
            Errors answer = staleCommit.get(30, TimeUnit.SECONDS);
            return moved ? answer : null;
        }
    }

    /** Commits one offset as a consumer that assigns its partitions itself (generation -1). */
    private static void commit(String bootstrap, String group, TopicPartition tp, long offset) {
        try (KafkaConsumer<byte[], byte[]> consumer =
                Clients.consumer(bootstrap, Map.of(ConsumerConfig.GROUP_ID_CONFIG, group))) {
            consumer.assign(List.of(tp));
            consumer.commitSync(Map.of(tp, new OffsetAndMetadata(offset)));
        }
    }

    /** An OffsetCommit (v8) sent on an open connection, and its partition's error. */
    private static Errors rawCommit(RawKafkaClient client, String group, TopicPartition tp, long offset) {
        OffsetCommitResponseData response = (OffsetCommitResponseData) client.send(
                new OffsetCommitRequestData()
                        .setGroupId(group)
                        .setGenerationIdOrMemberEpoch(-1)
                        .setMemberId("")
                        .setTopics(List.of(new OffsetCommitRequestData.OffsetCommitRequestTopic()
                                .setName(tp.topic())
                                .setPartitions(List.of(new OffsetCommitRequestData.OffsetCommitRequestPartition()
                                        .setPartitionIndex(tp.partition())
                                        .setCommittedOffset(offset))))),
                (short) 8);
        return Errors.forCode(
                response.topics().getFirst().partitions().getFirst().errorCode());
    }

    private static void consumeThroughTheCoordinatorsDeath(Admin admin, List<MemberThread> members) throws Exception {
        MemberThread.awaitAssignment(Duration.ofSeconds(60), PARTITIONS, members.toArray(MemberThread[]::new));
        Feed feed = new Feed(cluster.bootstrapServers());
        CommittedOffsetsWatch watch;
        try {
            Awaitility.await("commits on every partition")
                    .atMost(Duration.ofSeconds(60))
                    .ignoreExceptions()
                    .until(() -> committed(admin, GROUP).size() == PARTITIONS);

            int victim = describe(admin, GROUP).coordinator().id();
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
                            () -> describe(admin, GROUP),
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

    private static ConsumerGroupDescription describe(Admin admin, String group) throws Exception {
        return admin.describeConsumerGroups(List.of(group))
                .describedGroups()
                .get(group)
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
