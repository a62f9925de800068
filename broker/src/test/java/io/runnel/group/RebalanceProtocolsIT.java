package io.runnel.group;

import static io.runnel.group.GroupTesting.range;
import static io.runnel.group.GroupTesting.union;
import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.group.MemberThread.Event;
import io.runnel.group.MemberThread.Kind;
import io.runnel.testing.BrokerProcess;
import io.runnel.testing.Clients;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.common.GroupState;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Rebalances that disturb as little as they can: the cooperative sticky assignor moves only the
 * partitions that change owner (incremental rebalancing over the classic protocol), and a static
 * member (group.instance.id) that restarts within its session timeout takes its place back without
 * a rebalance.
 */
class RebalanceProtocolsIT {

    static BrokerProcess broker;
    static Admin admin;

    @BeforeAll
    static void startBroker() {
        broker = GroupTesting.startBroker("rebalance-protocols");
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

    private static Map<String, Object> cooperative(Map<String, Object> more) {
        Map<String, Object> props = new HashMap<>(more);
        props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 300);
        return props;
    }

    @Test
    void cooperativeStickyNeverRevokesPartitionsThatStayWithTheirOwnerWhenAMemberJoins() throws Exception {
        String topic = "cooperative";
        String group = "cooperative-group";
        Clients.createTopic(admin, topic, 6, Map.of());
        try (MemberThread a = member("a", group, topic, Map.of());
                MemberThread b = member("b", group, topic, Map.of())) {
            MemberThread.awaitAssignment(Duration.ofSeconds(30), 6, a, b);
            assertThat(a.assignment()).hasSize(3);
            assertThat(b.assignment()).hasSize(3);
            Set<Integer> aBefore = a.assignment();
            Set<Integer> bBefore = b.assignment();
            int aEvents = a.events().size();
            int bEvents = b.events().size();

            try (MemberThread c = member("c", group, topic, Map.of())) {
                Awaitility.await("two partitions each")
                        .atMost(Duration.ofSeconds(30))
                        .until(() -> a.assignment().size() == 2
                                && b.assignment().size() == 2
                                && c.assignment().size() == 2
                                && union(union(a.assignment(), b.assignment()), c.assignment())
                                        .equals(range(6)));
                Thread.sleep(1000); // let any further rebalance round happen

                List<Event> aAfter = a.events().subList(aEvents, a.events().size());
                List<Event> bAfter = b.events().subList(bEvents, b.events().size());
                Set<Integer> revokedFromA = partitions(aAfter, Kind.REVOKED);
                Set<Integer> revokedFromB = partitions(bAfter, Kind.REVOKED);

                assertThat(revokedFromA)
                        .as("revoked from a (kept %s)", a.assignment())
                        .doesNotContainAnyElementsOf(a.assignment());
                assertThat(revokedFromB)
                        .as("revoked from b (kept %s)", b.assignment())
                        .doesNotContainAnyElementsOf(b.assignment());
                assertThat(union(revokedFromA, revokedFromB))
                        .as("revoked are exactly the partitions c got")
                        .isEqualTo(c.assignment());
                assertThat(aBefore).containsAll(a.assignment());
                assertThat(bBefore).containsAll(b.assignment());
                assertThat(partitions(aAfter, Kind.ASSIGNED))
                        .as("newly assigned to a")
                        .isEmpty();
                assertThat(partitions(bAfter, Kind.ASSIGNED))
                        .as("newly assigned to b")
                        .isEmpty();
                assertThat(partitions(aAfter, Kind.LOST)).isEmpty();
                assertThat(partitions(bAfter, Kind.LOST)).isEmpty();
                assertThat(c.events(Kind.REVOKED)).allMatch(e -> e.partitions().isEmpty());
            }
        }
    }

    @Test
    void aStaticMemberRestartingWithinItsSessionTimeoutGetsItsPartitionsBackWithoutARebalance() throws Exception {
        String topic = "static";
        String group = "static-group";
        Clients.createTopic(admin, topic, 6, Map.of());
        String[] staticOptions = {
            "consumer.group.instance.id=static-1",
            "consumer.session.timeout.ms=10000",
            "consumer.heartbeat.interval.ms=300",
            "consumer.partition.assignment.strategy=" + CooperativeStickyAssignor.class.getName()
        };
        try (MemberThread a = member("a", group, topic, Map.of());
                MemberThread b = member("b", group, topic, Map.of())) {
            MemberThread.awaitAssignment(Duration.ofSeconds(30), 6, a, b);
            // It joins a running group, so it rejoins once more (the cooperative follow-up round) and its
            // last subscription (generation, owned partitions) differs from what it sends after a restart.
            Set<Integer> staticPartitions;
            int generation;
            int aEvents;
            int bEvents;
            String oldMemberId;
            try (CrashableConsumer first =
                    CrashableConsumer.start("static-1", broker.bootstrapServers(), group, topic, staticOptions)) {
                Awaitility.await("two partitions each")
                        .atMost(Duration.ofSeconds(60))
                        .until(() -> a.assignment().size() == 2
                                && b.assignment().size() == 2
                                && first.assignment().size() == 2
                                && union(union(a.assignment(), b.assignment()), first.assignment())
                                        .equals(range(6)));
                awaitStable(group);
                staticPartitions = first.assignment();
                Thread.sleep(1000); // no rebalance round left over
                generation = a.generation();
                aEvents = a.events().size();
                bEvents = b.events().size();
                oldMemberId = memberOf(group, "static-1").consumerId();

                first.kill(); // no LeaveGroup: a static member never sends one
            }
            try (CrashableConsumer second =
                    CrashableConsumer.start("static-1-again", broker.bootstrapServers(), group, topic, staticOptions)) {
                second.await(
                        "its partitions back",
                        Duration.ofSeconds(9),
                        c -> !c.assignment().isEmpty());
                assertThat(second.assignment()).isEqualTo(staticPartitions);
                Thread.sleep(1500); // several heartbeats of the other members

                assertThat(a.events().subList(aEvents, a.events().size()))
                        .as("rebalance callbacks of a")
                        .isEmpty();
                assertThat(b.events().subList(bEvents, b.events().size()))
                        .as("rebalance callbacks of b")
                        .isEmpty();
                assertThat(a.generation()).isEqualTo(generation);
                assertThat(b.generation()).isEqualTo(generation);
                MemberDescription replaced = memberOf(group, "static-1");
                assertThat(replaced.consumerId()).isNotEqualTo(oldMemberId);
                assertThat(partitions(replaced)).isEqualTo(staticPartitions);
                assertThat(admin.describeConsumerGroups(List.of(group))
                                .describedGroups()
                                .get(group)
                                .get()
                                .members())
                        .hasSize(3);
            }
        }
    }

    private static MemberThread member(String name, String group, String topic, Map<String, Object> more) {
        return MemberThread.start(name, broker.bootstrapServers(), group, topic, false, cooperative(more));
    }

    private static void awaitStable(String group) {
        Awaitility.await("group " + group + " stable")
                .atMost(Duration.ofSeconds(30))
                .until(() -> admin.describeConsumerGroups(List.of(group))
                                .describedGroups()
                                .get(group)
                                .get()
                                .groupState()
                        == GroupState.STABLE);
    }

    private static MemberDescription memberOf(String group, String instanceId) throws Exception {
        ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group))
                .describedGroups()
                .get(group)
                .get();
        return description.members().stream()
                .filter(m -> m.groupInstanceId().equals(java.util.Optional.of(instanceId)))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no member " + instanceId + " in " + description));
    }

    private static Set<Integer> partitions(MemberDescription member) {
        Set<Integer> set = new TreeSet<>();
        member.assignment().topicPartitions().forEach(tp -> set.add(tp.partition()));
        return set;
    }

    private static Set<Integer> partitions(List<Event> events, Kind kind) {
        Set<Integer> set = new TreeSet<>();
        events.stream().filter(e -> e.kind() == kind).forEach(e -> set.addAll(e.partitions()));
        return set;
    }
}
