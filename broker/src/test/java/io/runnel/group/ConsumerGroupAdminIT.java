package io.runnel.group;

import static io.runnel.group.GroupTesting.committed;
import static io.runnel.group.GroupTesting.produce;
import static io.runnel.group.GroupTesting.range;
import static io.runnel.group.GroupTesting.union;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnel.testing.BrokerProcess;
import io.runnel.testing.Clients;
import io.runnel.testing.TestJvm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.common.errors.UnknownMemberIdException;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Consumer groups seen and managed from outside: Kafka's AdminClient lists, describes, resets and
 * deletes them, and Kafka's own {@code kafka-consumer-groups} tool (ConsumerGroupCommand) shows the
 * lag of each partition.
 */
class ConsumerGroupAdminIT {

    static BrokerProcess broker;
    static Admin admin;

    @BeforeAll
    static void startBroker() {
        broker = GroupTesting.startBroker("group-admin");
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
            Map.of(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 300);

    @Test
    void adminListsAndDescribesAGroupWithItsMembersAssignmentsAndState() throws Exception {
        String topic = "described";
        String group = "described-group";
        Clients.createTopic(admin, topic, 4, Map.of());
        try (MemberThread a = member("client-a", group, topic);
                MemberThread b = member("client-b", group, topic)) {
            MemberThread.awaitAssignment(Duration.ofSeconds(30), 4, a, b);

            Collection<GroupListing> listed = admin.listGroups(ListGroupsOptions.forConsumerGroups())
                    .all()
                    .get();
            assertThat(listed).anySatisfy(g -> {
                assertThat(g.groupId()).isEqualTo(group);
                assertThat(g.groupState()).contains(GroupState.STABLE);
                assertThat(g.type()).contains(GroupType.CLASSIC);
                assertThat(g.protocol()).isEqualTo("consumer");
            });

            ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group))
                    .describedGroups()
                    .get(group)
                    .get();
            assertThat(description.groupId()).isEqualTo(group);
            assertThat(description.groupState()).isEqualTo(GroupState.STABLE);
            assertThat(description.type()).isEqualTo(GroupType.CLASSIC);
            assertThat(description.isSimpleConsumerGroup()).isFalse();
            assertThat(description.partitionAssignor()).isEqualTo("range");
            assertThat(description.coordinator().id()).isEqualTo(1);
            assertThat(description.members())
                    .extracting(MemberDescription::clientId)
                    .containsExactlyInAnyOrder("client-a", "client-b");
            assertThat(description.members())
                    .extracting(MemberDescription::consumerId)
                    .containsExactlyInAnyOrder(a.memberId(), b.memberId());
            for (MemberDescription m : description.members()) {
                MemberThread member = m.clientId().equals("client-a") ? a : b;
                assertThat(partitions(m.assignment().topicPartitions()))
                        .as("assignment of %s", m.clientId())
                        .isEqualTo(member.assignment());
                assertThat(m.host()).contains("127.0.0.1");
            }
            assertThat(union(a.assignment(), b.assignment())).isEqualTo(range(4));
        }
        Awaitility.await("the group empty once its members left")
                .atMost(Duration.ofSeconds(10))
                .until(() -> admin.describeConsumerGroups(List.of(group))
                                .describedGroups()
                                .get(group)
                                .get()
                                .groupState()
                        == GroupState.EMPTY);
        assertThat(admin.listGroups(ListGroupsOptions.forConsumerGroups().inGroupStates(Set.of(GroupState.EMPTY)))
                        .all()
                        .get())
                .extracting(GroupListing::groupId)
                .contains(group);
        assertThat(admin.listGroups(ListGroupsOptions.forConsumerGroups().inGroupStates(Set.of(GroupState.STABLE)))
                        .all()
                        .get())
                .extracting(GroupListing::groupId)
                .doesNotContain(group);
    }

    @Test
    void adminResetsTheOffsetsOfAnEmptyGroupOnlyAndItsNextMemberResumesThere() throws Exception {
        String topic = "reset";
        String group = "reset-group";
        Clients.createTopic(admin, topic, 2, Map.of());
        produce(broker.bootstrapServers(), topic, 0, 30);
        produce(broker.bootstrapServers(), topic, 1, 30);
        TopicPartition p0 = new TopicPartition(topic, 0);
        TopicPartition p1 = new TopicPartition(topic, 1);

        try (MemberThread reader =
                MemberThread.start("reader", broker.bootstrapServers(), group, topic, true, QUICK_HEARTBEATS)) {
            Awaitility.await("all read and committed")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> committed(admin, group).equals(Map.of(0, 30L, 1, 30L)));

            assertThatThrownBy(() -> admin.alterConsumerGroupOffsets(group, Map.of(p0, new OffsetAndMetadata(0)))
                            .all()
                            .get())
                    .as("offsets of a group with members are theirs to commit")
                    .hasCauseInstanceOf(UnknownMemberIdException.class);
        }
        assertThat(committed(admin, group)).isEqualTo(Map.of(0, 30L, 1, 30L));

        admin.alterConsumerGroupOffsets(group, Map.of(p0, new OffsetAndMetadata(10), p1, new OffsetAndMetadata(25)))
                .all()
                .get();
        assertThat(committed(admin, group)).isEqualTo(Map.of(0, 10L, 1, 25L));

        try (MemberThread next =
                MemberThread.start("next", broker.bootstrapServers(), group, topic, false, QUICK_HEARTBEATS)) {
            Awaitility.await("the next member reading from the reset offsets")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> next.records().size() >= 25);
            Thread.sleep(500);
            Map<Integer, List<Long>> read = new HashMap<>();
            next.records()
                    .forEach(r -> read.computeIfAbsent(r.partition(), k -> new ArrayList<>())
                            .add(r.offset()));
            assertThat(read.get(0)).hasSize(20).first().isEqualTo(10L);
            assertThat(read.get(1)).hasSize(5).first().isEqualTo(25L);
        }
    }

    @Test
    void deletingAGroupWithMembersFailsWithNonEmptyGroupAndAnEmptyGroupIsDeletedWithItsOffsets() throws Exception {
        String topic = "deleted";
        String group = "deleted-group";
        Clients.createTopic(admin, topic, 2, Map.of());
        produce(broker.bootstrapServers(), topic, 0, 5);
        try (MemberThread member =
                MemberThread.start("member", broker.bootstrapServers(), group, topic, true, QUICK_HEARTBEATS)) {
            Awaitility.await("offsets committed")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> committed(admin, group).equals(Map.of(0, 5L)));

            assertThatThrownBy(() ->
                            admin.deleteConsumerGroups(List.of(group)).all().get())
                    .hasCauseInstanceOf(GroupNotEmptyException.class);
            assertThat(committed(admin, group)).isEqualTo(Map.of(0, 5L));
        }

        admin.deleteConsumerGroups(List.of(group)).all().get();

        assertThat(admin.listGroups(ListGroupsOptions.forConsumerGroups()).all().get())
                .extracting(GroupListing::groupId)
                .doesNotContain(group);
        assertThat(committed(admin, group)).isEmpty();
        assertThatThrownBy(
                        () -> admin.deleteConsumerGroups(List.of(group)).all().get())
                .hasCauseInstanceOf(GroupIdNotFoundException.class);
        assertThatThrownBy(() -> admin.describeConsumerGroups(List.of(group))
                        .describedGroups()
                        .get(group)
                        .get())
                .hasCauseInstanceOf(GroupIdNotFoundException.class);

        try (MemberThread again =
                MemberThread.start("again", broker.bootstrapServers(), group, topic, false, QUICK_HEARTBEATS)) {
            Awaitility.await("a new group of the same name reading from the beginning")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> again.records().size() == 5);
            assertThat(again.records().getFirst().offset()).isZero();
        }
    }

    @Test
    void consumerGroupCommandDescribesTheLagOfEachPartition() throws Exception {
        String topic = "lagging";
        String group = "lagging-group";
        int[] consumed = {10, 20, 30};
        int[] producedAfter = {5, 0, 12};
        Clients.createTopic(admin, topic, 3, Map.of());
        for (int p = 0; p < 3; p++) {
            produce(broker.bootstrapServers(), topic, p, consumed[p]);
        }
        try (MemberThread member =
                MemberThread.start("lagging-client", broker.bootstrapServers(), group, topic, true, QUICK_HEARTBEATS)) {
            Awaitility.await("consumed and committed")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> committed(admin, group).equals(Map.of(0, 10L, 1, 20L, 2, 30L)));
            member.call(c -> {
                c.pause(c.assignment());
                return null;
            });
            for (int p = 0; p < 3; p++) {
                produce(broker.bootstrapServers(), topic, p, producedAfter[p]);
            }

            TestJvm.Result result = TestJvm.run(
                    "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
                    List.of("--bootstrap-server", broker.bootstrapServers(), "--describe", "--group", group),
                    90);

            assertThat(result.exitCode()).as(result.stdout() + result.stderr()).isZero();
            List<String[]> rows = Arrays.stream(result.stdout().split("\n"))
                    .map(String::trim)
                    .map(l -> l.split("\\s+"))
                    .toList();
            String[] header = rows.stream()
                    .filter(r -> r[0].equals("GROUP"))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no header in:\n" + result.stdout() + result.stderr()));
            List<String> columns = List.of(header);
            assertThat(columns)
                    .containsSubsequence(
                            "GROUP",
                            "TOPIC",
                            "PARTITION",
                            "CURRENT-OFFSET",
                            "LOG-END-OFFSET",
                            "LAG",
                            "CONSUMER-ID",
                            "HOST",
                            "CLIENT-ID");
            Map<Integer, List<String>> byPartition = new HashMap<>();
            for (String[] row : rows) {
                if (row[0].equals(group)) {
                    byPartition.put(Integer.parseInt(row[columns.indexOf("PARTITION")]), List.of(row));
                }
            }
            assertThat(byPartition).as(result.stdout()).containsOnlyKeys(0, 1, 2);
            for (int p = 0; p < 3; p++) {
                List<String> row = byPartition.get(p);
                assertThat(row.get(columns.indexOf("TOPIC"))).isEqualTo(topic);
                assertThat(row.get(columns.indexOf("CURRENT-OFFSET"))).isEqualTo(String.valueOf(consumed[p]));
                assertThat(row.get(columns.indexOf("LOG-END-OFFSET")))
                        .isEqualTo(String.valueOf(consumed[p] + producedAfter[p]));
                assertThat(row.get(columns.indexOf("LAG")))
                        .as("lag of partition %d", p)
                        .isEqualTo(String.valueOf(producedAfter[p]));
                assertThat(row.get(columns.indexOf("CONSUMER-ID"))).isEqualTo(member.memberId());
                assertThat(row.get(columns.indexOf("CLIENT-ID"))).isEqualTo("lagging-client");
            }
        }
    }

    private static MemberThread member(String name, String group, String topic) {
        return MemberThread.start(name, broker.bootstrapServers(), group, topic, false, QUICK_HEARTBEATS);
    }

    private static Set<Integer> partitions(Collection<TopicPartition> tps) {
        Set<Integer> set = new TreeSet<>();
        tps.forEach(tp -> set.add(tp.partition()));
        return set;
    }
}
