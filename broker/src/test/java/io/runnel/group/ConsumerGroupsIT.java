package io.runnel.group;

import static io.runnel.group.GroupTesting.committed;
import static io.runnel.group.GroupTesting.produce;
import static io.runnel.group.GroupTesting.range;
import static io.runnel.group.GroupTesting.union;
import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.group.CrashableConsumer.Processed;
import io.runnel.testing.BrokerProcess;
import io.runnel.testing.Clients;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Consumer groups as applications use them, with Kafka's own consumer over real sockets: members
 * share a topic's partitions, a crashed member's partitions move once its session times out and a
 * leaving member's at once, committed offsets decide where a successor starts (at-least-once and
 * at-most-once processing), and they outlive a broker restart. Crashed members are consumers in a
 * JVM of their own killed with SIGKILL.
 */
class ConsumerGroupsIT {

    static BrokerProcess broker;
    static Admin admin;

    @BeforeAll
    static void startBroker() {
        broker = GroupTesting.startBroker("groups");
        admin = broker.admin();
    }

    @AfterAll
    static void stopBroker() {
        if (admin != null) {
            admin.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    private static final Map<String, Object> QUICK_HEARTBEATS =
            Map.of(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 300, ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 30_000);

    @Test
    void threeMembersShareSixPartitionsDisjointlyAndCompletely() throws Exception {
        String topic = "shared-six";
        String group = "shared-six-group";
        Clients.createTopic(admin, topic, 6, Map.of());
        try (MemberThread a = member("a", group, topic);
                MemberThread b = member("b", group, topic);
                MemberThread c = member("c", group, topic)) {
            MemberThread.awaitAssignment(Duration.ofSeconds(30), 6, a, b, c);

            assertThat(union(union(a.assignment(), b.assignment()), c.assignment()))
                    .isEqualTo(range(6));
            assertThat(a.assignment()).doesNotContainAnyElementsOf(b.assignment());
            assertThat(a.assignment()).doesNotContainAnyElementsOf(c.assignment());
            assertThat(b.assignment()).doesNotContainAnyElementsOf(c.assignment());
            assertThat(List.of(a, b, c))
                    .allSatisfy(m -> assertThat(m.assignment()).hasSize(2));
            assertThat(a.generation()).isEqualTo(b.generation()).isEqualTo(c.generation());
        }
    }

    @Test
    void aKilledMembersPartitionsMoveToTheOthersOnlyAfterItsSessionTimeout() throws Exception {
        String topic = "killed-member";
        String group = "killed-member-group";
        int sessionTimeoutMs = 3000;
        Clients.createTopic(admin, topic, 6, Map.of());
        try (CrashableConsumer doomed = CrashableConsumer.start(
                        "doomed",
                        broker.bootstrapServers(),
                        group,
                        topic,
                        "consumer.session.timeout.ms=" + sessionTimeoutMs,
                        "consumer.heartbeat.interval.ms=300");
                MemberThread a = member("a", group, topic);
                MemberThread b = member("b", group, topic)) {
            Awaitility.await("three members with two partitions each")
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> doomed.assignment().size() == 2
                            && a.assignment().size() == 2
                            && b.assignment().size() == 2
                            && union(union(a.assignment(), b.assignment()), doomed.assignment())
                                    .equals(range(6)));
            Set<Integer> doomedPartitions = doomed.assignment();

            long killedAt = System.nanoTime();
            doomed.kill();

            // The broker cannot tell a dead member from a slow one until its session is up.
            Thread.sleep(sessionTimeoutMs / 2);
            assertThat(union(a.assignment(), b.assignment())).doesNotContainAnyElementsOf(doomedPartitions);

            MemberThread.awaitAssignment(Duration.ofSeconds(30), 6, a, b);
            long movedAfterMs = Duration.ofNanos(System.nanoTime() - killedAt).toMillis();
            assertThat(union(a.assignment(), b.assignment())).containsAll(doomedPartitions);
            assertThat(movedAfterMs)
                    .as(
                            "partitions moved %d ms after SIGKILL, with a %d ms session timeout",
                            movedAfterMs, sessionTimeoutMs)
                    .isGreaterThanOrEqualTo(sessionTimeoutMs - 1000)
                    .isLessThan(sessionTimeoutMs + 10_000);
            assertThat(broker.log()).contains("missed its session timeout of " + sessionTimeoutMs + " ms");
        }
    }

    @Test
    void aMemberThatClosesCleanlyHandsItsPartitionsOverAtOnce() throws Exception {
        String topic = "leaving-member";
        String group = "leaving-member-group";
        Clients.createTopic(admin, topic, 6, Map.of());
        try (MemberThread a = member("a", group, topic);
                MemberThread b = member("b", group, topic)) {
            MemberThread leaving = member("leaving", group, topic);
            Set<Integer> leavingPartitions;
            try {
                MemberThread.awaitAssignment(Duration.ofSeconds(30), 6, a, b, leaving);
                leavingPartitions = leaving.assignment();
                assertThat(leavingPartitions).hasSize(2);
            } finally {
                leaving.close();
            }
            long closedAt = System.nanoTime();

            MemberThread.awaitAssignment(Duration.ofSeconds(20), 6, a, b);
            long movedAfterMs = Duration.ofNanos(System.nanoTime() - closedAt).toMillis();
            assertThat(union(a.assignment(), b.assignment())).containsAll(leavingPartitions);
            assertThat(movedAfterMs)
                    .as("handed over %d ms after close, with a 30 s session timeout", movedAfterMs)
                    .isLessThan(5_000);
            assertThat(broker.log()).contains("left group " + group);
        }
    }

    @Test
    void atLeastOnceCommitAfterProcessingRedeliversOnlyTheUncommittedRecordsAfterACrash() throws Exception {
        String topic = "at-least-once";
        String group = "at-least-once-group";
        int perPartition = 60;
        Clients.createTopic(admin, topic, 2, Map.of());
        produce(broker.bootstrapServers(), topic, 0, perPartition);
        produce(broker.bootstrapServers(), topic, 1, perPartition);

        Map<Integer, Long> committedAtCrash;
        List<Processed> processedBeforeCrash;
        try (CrashableConsumer first = CrashableConsumer.start(
                "at-least-once",
                broker.bootstrapServers(),
                group,
                topic,
                "mode=at-least-once",
                "hang-after=50",
                "consumer.max.poll.records=7",
                "consumer.session.timeout.ms=2000",
                "consumer.heartbeat.interval.ms=300")) {
            first.await(
                    "processing 50 records, then stopping before the commit", Duration.ofSeconds(60), c -> c.hanging());
            committedAtCrash = first.committed();
            processedBeforeCrash = first.processed();
            first.kill();
        }
        assertThat(committed(admin, group)).isEqualTo(committedAtCrash);
        List<Processed> uncommitted = processedBeforeCrash.stream()
                .filter(p -> p.offset() >= committedAtCrash.getOrDefault(p.partition(), 0L))
                .toList();
        assertThat(uncommitted).as("processed after the last commit").isNotEmpty();

        try (MemberThread successor = MemberThread.start(
                "successor",
                broker.bootstrapServers(),
                group,
                topic,
                true,
                Map.of(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 300))) {
            long expected = 2L * perPartition
                    - committedAtCrash.values().stream()
                            .mapToLong(Long::longValue)
                            .sum();
            Awaitility.await("the successor reading from the committed offsets to the end")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> successor.records().size() >= expected);
            Thread.sleep(500); // nothing more arrives
            List<Processed> redelivered = processed(successor.records());

            Map<Integer, List<Long>> expectedOffsets = new TreeMap<>();
            for (int p = 0; p < 2; p++) {
                List<Long> offsets = new ArrayList<>();
                for (long o = committedAtCrash.getOrDefault(p, 0L); o < perPartition; o++) {
                    offsets.add(o);
                }
                expectedOffsets.put(p, offsets);
            }
            assertThat(byPartition(redelivered))
                    .as("the successor starts exactly at the committed offsets")
                    .isEqualTo(expectedOffsets);
            Set<Processed> twice = new HashSet<>(processedBeforeCrash);
            twice.retainAll(redelivered);
            assertThat(twice)
                    .as("records delivered twice are exactly those processed but not committed")
                    .containsExactlyInAnyOrderElementsOf(uncommitted);
            Set<Processed> all = new HashSet<>(processedBeforeCrash);
            all.addAll(redelivered);
            assertThat(all).as("nothing is lost").hasSize(2 * perPartition);
        }
    }

    @Test
    void atMostOnceCommitBeforeProcessingNeverDeliversARecordTwice() throws Exception {
        String topic = "at-most-once";
        String group = "at-most-once-group";
        int perPartition = 60;
        Clients.createTopic(admin, topic, 2, Map.of());
        produce(broker.bootstrapServers(), topic, 0, perPartition);
        produce(broker.bootstrapServers(), topic, 1, perPartition);

        Map<Integer, Long> committedAtCrash;
        List<Processed> processedBeforeCrash;
        try (CrashableConsumer first = CrashableConsumer.start(
                "at-most-once",
                broker.bootstrapServers(),
                group,
                topic,
                "mode=at-most-once",
                "hang-after=50",
                "consumer.max.poll.records=7",
                "consumer.session.timeout.ms=2000",
                "consumer.heartbeat.interval.ms=300")) {
            first.await(
                    "committing, then stopping after 50 processed records", Duration.ofSeconds(60), c -> c.hanging());
            committedAtCrash = first.committed();
            processedBeforeCrash = first.processed();
            first.kill();
        }
        assertThat(committed(admin, group)).isEqualTo(committedAtCrash);

        try (MemberThread successor = MemberThread.start(
                "successor",
                broker.bootstrapServers(),
                group,
                topic,
                true,
                Map.of(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 300))) {
            long expected = 2L * perPartition
                    - committedAtCrash.values().stream()
                            .mapToLong(Long::longValue)
                            .sum();
            Awaitility.await("the successor reading from the committed offsets to the end")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> successor.records().size() >= expected);
            Thread.sleep(500); // nothing more arrives
            List<Processed> after = processed(successor.records());

            assertThat(after).hasSize((int) expected);
            for (int p = 0; p < 2; p++) {
                long from = committedAtCrash.getOrDefault(p, 0L);
                assertThat(byPartition(after).getOrDefault(p, List.of()))
                        .as("partition %d from its committed offset %d", p, from)
                        .allMatch(o -> o >= from)
                        .hasSize((int) (perPartition - from));
            }
            Set<Processed> twice = new HashSet<>(processedBeforeCrash);
            twice.retainAll(after);
            assertThat(twice).as("records delivered twice").isEmpty();

            // The price of at-most-once: what was committed but not yet processed at the crash is lost.
            Set<Processed> lost = new HashSet<>();
            for (int p = 0; p < 2; p++) {
                for (long o = 0; o < perPartition; o++) {
                    lost.add(new Processed(p, o));
                }
            }
            lost.removeAll(processedBeforeCrash);
            lost.removeAll(after);
            assertThat(lost).isNotEmpty().allMatch(r -> r.offset() < committedAtCrash.get(r.partition()));
        }
    }

    @Test
    void committedOffsetsSurviveABrokerRestartAndANewMemberResumesAtThem() throws Exception {
        String topic = "restart-offsets";
        String group = "restart-offsets-group";
        int perPartition = 20;
        Map<Integer, Long> toCommit = Map.of(0, 5L, 1, 12L, 2, 20L);
        Clients.createTopic(admin, topic, 3, Map.of());
        for (int p = 0; p < 3; p++) {
            produce(broker.bootstrapServers(), topic, p, perPartition);
        }
        try (MemberThread first = member("first", group, topic)) {
            Awaitility.await("everything read")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> first.records().size() == 3 * perPartition);
            first.call(c -> {
                Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
                toCommit.forEach((p, o) -> offsets.put(new TopicPartition(topic, p), new OffsetAndMetadata(o)));
                c.commitSync(offsets);
                return null;
            });
        }
        assertThat(committed(admin, group)).isEqualTo(toCommit);

        admin.close();
        broker.restart();
        admin = broker.admin();

        assertThat(committed(admin, group)).as("after the restart").isEqualTo(toCommit);
        ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group))
                .describedGroups()
                .get(group)
                .get();
        assertThat(description.groupState()).isEqualTo(GroupState.EMPTY);

        try (MemberThread next = member("next", group, topic)) {
            long expected = 3L * perPartition - (5 + 12 + 20);
            Awaitility.await("the new member reading from the committed offsets")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> next.records().size() >= expected);
            Thread.sleep(500);
            Map<Integer, List<Long>> read = byPartition(processed(next.records()));
            assertThat(read.get(0)).first().isEqualTo(5L);
            assertThat(read.get(0)).hasSize(15);
            assertThat(read.get(1)).first().isEqualTo(12L);
            assertThat(read.get(1)).hasSize(8);
            assertThat(read).doesNotContainKey(2);
        }
    }

    /**
     * The coordinator saves each completed generation, so a member that stays up while the broker
     * restarts carries on in the same generation: its commits are accepted and no rebalance happens.
     * (The member does not rebootstrap while its only broker is away: a leader that did would find its
     * cached metadata changed and ask for a rebalance itself, whichever broker it talks to.)
     */
    @Test
    void aStableGroupKeepsItsGenerationAndMembersAcrossABrokerRestart() throws Exception {
        String topic = "restart-live";
        String group = "restart-live-group";
        Clients.createTopic(admin, topic, 2, Map.of());
        produce(broker.bootstrapServers(), topic, 0, 10);
        produce(broker.bootstrapServers(), topic, 1, 10);
        Map<String, Object> props = new HashMap<>(QUICK_HEARTBEATS);
        props.put(CommonClientConfigs.METADATA_RECOVERY_STRATEGY_CONFIG, "none");
        try (MemberThread member = MemberThread.start("live", broker.bootstrapServers(), group, topic, true, props)) {
            Awaitility.await("read and committed")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> committed(admin, group).equals(Map.of(0, 10L, 1, 10L)));
            int generation = member.generation();
            String memberId = member.memberId();
            int events = member.events().size();

            admin.close();
            broker.restart();
            admin = broker.admin();

            produce(broker.bootstrapServers(), topic, 0, 5);
            produce(broker.bootstrapServers(), topic, 1, 7);
            Awaitility.await("the records produced after the restart read and committed")
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> committed(admin, group).equals(Map.of(0, 15L, 1, 17L)));
            assertThat(member.events().subList(events, member.events().size()))
                    .as("rebalance callbacks after the restart")
                    .isEmpty();
            assertThat(member.generation()).isEqualTo(generation);
            assertThat(member.memberId()).isEqualTo(memberId);
            assertThat(member.records()).hasSize(32);
            ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group))
                    .describedGroups()
                    .get(group)
                    .get();
            assertThat(description.groupState()).isEqualTo(GroupState.STABLE);
            assertThat(description.members())
                    .singleElement()
                    .satisfies(m -> assertThat(m.consumerId()).isEqualTo(memberId));
        }
    }

    @Test
    void aConsumerThatAssignsItsPartitionsCommitsOffsetsWithoutAGenerationAndFetchesThemBack() throws Exception {
        String topic = "simple-commits";
        String group = "simple-commits-group";
        Clients.createTopic(admin, topic, 2, Map.of());
        produce(broker.bootstrapServers(), topic, 0, 10);
        produce(broker.bootstrapServers(), topic, 1, 10);
        TopicPartition p0 = new TopicPartition(topic, 0);
        TopicPartition p1 = new TopicPartition(topic, 1);
        Map<String, Object> props = Map.of(ConsumerConfig.GROUP_ID_CONFIG, group);
        try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(broker.bootstrapServers(), props)) {
            consumer.assign(List.of(p0, p1));
            consumer.seekToBeginning(List.of(p0, p1));
            List<ConsumerRecord<byte[], byte[]>> read = new ArrayList<>();
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(100)).forEach(read::add);
                return read.size() == 20;
            });
            assertThat(consumer.groupMetadata().generationId()).isEqualTo(-1);
            consumer.commitSync(Map.of(p0, new OffsetAndMetadata(7, "seven"), p1, new OffsetAndMetadata(10)));

            Map<TopicPartition, OffsetAndMetadata> fetched = consumer.committed(Set.of(p0, p1));
            assertThat(fetched.get(p0).offset()).isEqualTo(7);
            assertThat(fetched.get(p0).metadata()).isEqualTo("seven");
            assertThat(fetched.get(p1).offset()).isEqualTo(10);
        }
        try (KafkaConsumer<byte[], byte[]> another = Clients.consumer(broker.bootstrapServers(), props)) {
            another.assign(List.of(p0));
            assertThat(another.position(p0))
                    .as("a new consumer starts at the committed offset")
                    .isEqualTo(7);
        }
        assertThat(committed(admin, group)).isEqualTo(Map.of(0, 7L, 1, 10L));
        ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group))
                .describedGroups()
                .get(group)
                .get();
        assertThat(description.groupState()).isEqualTo(GroupState.EMPTY);
        assertThat(description.members()).isEmpty();
        assertThat(description.isSimpleConsumerGroup()).isTrue();
    }

    private static MemberThread member(String name, String group, String topic) {
        return MemberThread.start(name, broker.bootstrapServers(), group, topic, false, QUICK_HEARTBEATS);
    }

    private static List<Processed> processed(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream()
                .map(r -> new Processed(r.partition(), r.offset()))
                .toList();
    }

    private static Map<Integer, List<Long>> byPartition(List<Processed> records) {
        Map<Integer, List<Long>> map = new TreeMap<>();
        for (Processed p : records) {
            map.computeIfAbsent(p.partition(), k -> new ArrayList<>()).add(p.offset());
        }
        return map;
    }
}
