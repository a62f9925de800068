package io.runnel.cluster;

import static io.runnel.cluster.ClusterTesting.broker;
import static io.runnel.cluster.ClusterTesting.controllerEpoch;
import static io.runnel.cluster.ClusterTesting.describeCluster;
import static io.runnel.cluster.ClusterTesting.metadata;
import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.testing.BrokerProcess;
import io.runnel.testing.TestPostgres;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponsePartition;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseTopic;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.Test;

/**
 * Three brokers sharing one PostgreSQL. The controller is whoever holds the lease; when it dies
 * another takes the lease under a higher epoch, fences the dead broker and moves its leaderships;
 * when it comes back it is unfenced and leads what only it can lead before its listeners open.
 */
class ControllerLeaseIT {

    private static final String REPLICATED = "replicated";
    private static final String SINGLE = "single-replica";

    @Test
    void anotherBrokerTakesOverWhenTheControllerDiesAndTheDeadBrokersPartitionsMove() throws Exception {
        TestPostgres postgres = TestPostgres.get();
        String database = postgres.createDatabase("controller_lease");
        Map<Integer, BrokerProcess> brokers = new TreeMap<>();
        try {
            for (int id = 1; id <= 3; id++) {
                brokers.put(id, broker("lease-" + id, id, postgres, database).start());
            }
            await("three brokers and one controller, as every broker sees it")
                    .until(() -> brokers.values().stream()
                            .map(ClusterTesting::describeCluster)
                            .allMatch(a -> a.brokers().size() == 3 && a.controllerId() != -1));
            int controller;
            try (Admin admin = admin(brokers.values())) {
                controller = admin.describeCluster().controller().get().id();
                admin.createTopics(List.of(
                                new NewTopic(REPLICATED, 6, (short) 3),
                                new NewTopic(SINGLE, Map.of(0, List.of(controller)))))
                        .all()
                        .get();
            }
            int epochBefore = controllerEpoch(postgres, database);
            BrokerProcess dead = brokers.get(controller);
            List<BrokerProcess> survivors = new ArrayList<>(brokers.values());
            survivors.remove(dead);
            for (BrokerProcess broker : brokers.values()) {
                await("the topics on " + broker)
                        .until(() -> partitions(broker, REPLICATED).size() == 6
                                && partitions(broker, SINGLE).size() == 1);
            }
            Map<Integer, MetadataResponsePartition> before = partitions(survivors.getFirst(), REPLICATED);
            List<Integer> ledByDead = before.values().stream()
                    .filter(p -> p.leaderId() == controller)
                    .map(MetadataResponsePartition::partitionIndex)
                    .toList();
            assertThat(ledByDead).as("leaders are spread over all brokers").isNotEmpty();
            int singleEpochBefore = partitions(dead, SINGLE).get(0).leaderEpoch();

            dead.kill();

            await("a new controller that every survivor names").until(() -> {
                List<DescribeClusterResponseData> answers =
                        survivors.stream().map(ClusterTesting::describeCluster).toList();
                return answers.stream()
                        .allMatch(a -> a.controllerId() != controller
                                && a.controllerId() == answers.getFirst().controllerId()
                                && a.brokers().size() == 2
                                && a.brokers().find(controller) == null);
            });
            int newController = describeCluster(survivors.getFirst()).controllerId();
            assertThat(newController).isNotEqualTo(-1);
            assertThat(controllerEpoch(postgres, database)).isGreaterThan(epochBefore);
            try (Admin admin = admin(survivors)) {
                await("the dead broker gone from Metadata and from every ISR").until(() -> {
                    TopicDescription topic = admin.describeTopics(List.of(REPLICATED))
                            .allTopicNames()
                            .get()
                            .get(REPLICATED);
                    return admin.describeCluster().nodes().get().stream().noneMatch(n -> n.id() == controller)
                            && topic.partitions().stream()
                                    .allMatch(p -> p.leader() != null
                                            && p.leader().id() != controller
                                            && p.isr().size() == 2
                                            && p.isr().stream().noneMatch(n -> n.id() == controller));
                });
                for (TopicPartitionInfo p : admin.describeTopics(List.of(REPLICATED))
                        .allTopicNames()
                        .get()
                        .get(REPLICATED)
                        .partitions()) {
                    assertThat(p.replicas()).extracting(Node::id).contains(controller);
                }
            }
            for (BrokerProcess survivor : survivors) {
                await("leader epochs on " + survivor).until(() -> {
                    Map<Integer, MetadataResponsePartition> after = partitions(survivor, REPLICATED);
                    return after.values().stream().allMatch(p -> p.leaderId() != controller);
                });
                Map<Integer, MetadataResponsePartition> after = partitions(survivor, REPLICATED);
                for (MetadataResponsePartition p : after.values()) {
                    int was = before.get(p.partitionIndex()).leaderEpoch();
                    if (ledByDead.contains(p.partitionIndex())) {
                        assertThat(p.leaderEpoch())
                                .as("new leader of " + p.partitionIndex())
                                .isGreaterThan(was);
                    } else {
                        assertThat(p.leaderEpoch())
                                .as("kept leader of " + p.partitionIndex())
                                .isEqualTo(was);
                    }
                }
                MetadataResponsePartition single = partitions(survivor, SINGLE).get(0);
                assertThat(single.leaderId()).as("no replica left to lead").isEqualTo(-1);
                assertThat(single.isrNodes()).as("the last ISR member stays").containsExactly(controller);
            }

            dead.start();

            // no waiting: the restarted broker opened its listeners as the leader of what only it can lead
            MetadataResponsePartition single = partitions(dead, SINGLE).get(0);
            assertThat(single.leaderId()).isEqualTo(controller);
            assertThat(single.leaderEpoch()).isGreaterThan(singleEpochBefore);
            for (BrokerProcess broker : brokers.values()) {
                await("the restarted broker unfenced on " + broker)
                        .until(() -> describeCluster(broker).brokers().size() == 3);
            }

            BrokerProcess second = brokers.get(newController);
            second.stop();

            assertThat(second.log()).contains("resigned as controller");
            List<BrokerProcess> remaining = new ArrayList<>(brokers.values());
            remaining.remove(second);
            await("a third controller")
                    .until(() -> remaining.stream()
                            .map(ClusterTesting::describeCluster)
                            .allMatch(a -> a.controllerId() != newController && a.controllerId() != -1));
            assertThat(controllerEpoch(postgres, database)).isGreaterThan(epochBefore + 1);
        } finally {
            brokers.values().forEach(BrokerProcess::close);
        }
    }

    private static Map<Integer, MetadataResponsePartition> partitions(BrokerProcess broker, String topic) {
        MetadataResponseTopic answer = metadata(broker, topic);
        Map<Integer, MetadataResponsePartition> partitions = new HashMap<>();
        answer.partitions().forEach(p -> partitions.put(p.partitionIndex(), p));
        return partitions;
    }

    private static Admin admin(Iterable<BrokerProcess> brokers) {
        List<String> servers = new ArrayList<>();
        brokers.forEach(b -> servers.add(b.bootstrapServers()));
        Properties props = new Properties();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, String.join(",", servers));
        props.put(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        props.put(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        return Admin.create(props);
    }

    private static ConditionFactory await(String what) {
        return Awaitility.await(what)
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .ignoreExceptions();
    }
}
