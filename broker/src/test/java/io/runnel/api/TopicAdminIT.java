package io.runnel.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnel.testing.RawKafkaClient;
import io.runnel.testing.SharedBroker;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.AlterConfigsOptions;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.message.AlterConfigsRequestData;
import org.apache.kafka.common.message.AlterConfigsResponseData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Kafka's AdminClient managing topics on a running broker, with Kafka's answers to bad requests. */
class TopicAdminIT {

    static Admin admin;

    @BeforeAll
    static void connect() {
        admin = SharedBroker.get().admin();
    }

    @AfterAll
    static void disconnect() {
        admin.close();
    }

    @Test
    void createsListsAndDescribesTopics() throws Exception {
        CreateTopicsResult created = admin.createTopics(List.of(
                new NewTopic("orders", 3, (short) 1), new NewTopic("payments", Optional.empty(), Optional.empty())));
        created.all().get();
        Uuid ordersId = created.topicId("orders").get();
        assertThat(ordersId).isNotEqualTo(Uuid.ZERO_UUID);
        assertThat(created.numPartitions("orders").get()).isEqualTo(3);
        assertThat(created.replicationFactor("orders").get()).isEqualTo(1);
        assertThat(created.config("orders").get().get("retention.ms").value()).isEqualTo("604800000");

        assertThat(admin.listTopics().names().get()).contains("orders", "payments");

        TopicDescription orders =
                admin.describeTopics(List.of("orders")).allTopicNames().get().get("orders");
        assertThat(orders.topicId()).isEqualTo(ordersId);
        assertThat(orders.partitions()).hasSize(3);
        assertThat(orders.partitions()).allSatisfy(p -> {
            assertThat(p.leader().id()).isEqualTo(1);
            assertThat(p.replicas()).extracting(n -> n.id()).containsExactly(1);
            assertThat(p.isr()).extracting(n -> n.id()).containsExactly(1);
        });
        TopicDescription payments =
                admin.describeTopics(List.of("payments")).allTopicNames().get().get("payments");
        assertThat(payments.partitions()).hasSize(1); // runnel.num-partitions default

        TopicDescription byId = admin.describeTopics(
                        org.apache.kafka.common.TopicCollection.ofTopicIds(List.of(ordersId)))
                .allTopicIds()
                .get()
                .get(ordersId);
        assertThat(byId.name()).isEqualTo("orders");
    }

    @Test
    void describesTheCluster() throws Exception {
        DescribeClusterResult cluster = admin.describeCluster();
        assertThat(cluster.clusterId().get()).hasSize(22);
        assertThat(cluster.nodes().get()).extracting(n -> n.id()).containsExactly(1);
        assertThat(cluster.controller().get().id()).isEqualTo(1);
    }

    @Test
    void describesAndAltersTopicConfigs() throws Exception {
        admin.createTopics(List.of(new NewTopic("configured", 1, (short) 1)
                        .configs(Map.of("retention.ms", "3600000", "cleanup.policy", "compact"))))
                .all()
                .get();
        ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, "configured");

        Config config = describe(topic);
        assertThat(config.get("retention.ms").value()).isEqualTo("3600000");
        assertThat(config.get("retention.ms").source()).isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);
        assertThat(config.get("retention.ms").synonyms())
                .extracting(ConfigEntry.ConfigSynonym::name)
                .containsExactly("retention.ms", "log.retention.ms");
        assertThat(config.get("cleanup.policy").value()).isEqualTo("compact");
        assertThat(config.get("segment.bytes").value()).isEqualTo("1073741824");
        assertThat(config.get("segment.bytes").source()).isEqualTo(ConfigEntry.ConfigSource.DEFAULT_CONFIG);
        assertThat(config.get("segment.bytes").type()).isEqualTo(ConfigEntry.ConfigType.INT);

        admin.incrementalAlterConfigs(Map.of(
                        topic,
                        List.of(
                                new AlterConfigOp(
                                        new ConfigEntry("max.message.bytes", "2000000"), AlterConfigOp.OpType.SET),
                                new AlterConfigOp(new ConfigEntry("retention.ms", ""), AlterConfigOp.OpType.DELETE),
                                new AlterConfigOp(
                                        new ConfigEntry("cleanup.policy", "delete"), AlterConfigOp.OpType.APPEND))))
                .all()
                .get();
        config = describe(topic);
        assertThat(config.get("max.message.bytes").value()).isEqualTo("2000000");
        assertThat(config.get("retention.ms").value()).isEqualTo("604800000");
        assertThat(config.get("retention.ms").source()).isEqualTo(ConfigEntry.ConfigSource.DEFAULT_CONFIG);
        assertThat(config.get("cleanup.policy").value()).isEqualTo("compact,delete");

        // Admin 4.x no longer sends the legacy AlterConfigs; older clients and tools do.
        try (RawKafkaClient raw = new RawKafkaClient(SharedBroker.get().kafkaPort())) {
            AlterConfigsRequestData.AlterConfigsResourceCollection resources =
                    new AlterConfigsRequestData.AlterConfigsResourceCollection();
            AlterConfigsRequestData.AlterableConfigCollection configs =
                    new AlterConfigsRequestData.AlterableConfigCollection();
            configs.add(new AlterConfigsRequestData.AlterableConfig()
                    .setName("min.insync.replicas")
                    .setValue("1"));
            resources.add(new AlterConfigsRequestData.AlterConfigsResource()
                    .setResourceType(ConfigResource.Type.TOPIC.id())
                    .setResourceName("configured")
                    .setConfigs(configs));
            AlterConfigsResponseData response = (AlterConfigsResponseData)
                    raw.send(new AlterConfigsRequestData().setResources(resources), (short) 2);
            assertThat(response.responses().getFirst().errorCode()).isZero();
        }
        config = describe(topic);
        assertThat(config.get("min.insync.replicas").source()).isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);
        // the legacy API replaces the whole set of overrides
        assertThat(config.get("max.message.bytes").source()).isEqualTo(ConfigEntry.ConfigSource.DEFAULT_CONFIG);
        assertThat(config.get("cleanup.policy").value()).isEqualTo("delete");
    }

    @Test
    void describesBrokerConfigs() throws Exception {
        Config config = describe(new ConfigResource(ConfigResource.Type.BROKER, "1"));
        assertThat(config.get("node.id").value()).isEqualTo("1");
        assertThat(config.get("log.retention.ms").value()).isEqualTo("604800000");
        assertThat(config.get("auto.create.topics.enable").value()).isEqualTo("true");
    }

    @Test
    void rejectsBadConfigsWithInvalidConfig() throws Exception {
        assertThatThrownBy(() -> admin.createTopics(List.of(
                                new NewTopic("bad-config", 1, (short) 1).configs(Map.of("no.such.config", "1"))))
                        .all()
                        .get())
                .hasCauseInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("Unknown topic config name: no.such.config");
        assertThatThrownBy(() -> admin.createTopics(List.of(
                                new NewTopic("bad-value", 1, (short) 1).configs(Map.of("retention.ms", "soon"))))
                        .all()
                        .get())
                .hasCauseInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("retention.ms");
        admin.createTopics(List.of(new NewTopic("alter-bad", 1, (short) 1)))
                .all()
                .get();
        ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, "alter-bad");
        assertThatThrownBy(() -> admin.incrementalAlterConfigs(Map.of(
                                topic,
                                List.of(new AlterConfigOp(
                                        new ConfigEntry("segment.bytes", "10"), AlterConfigOp.OpType.SET))))
                        .all()
                        .get())
                .hasCauseInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("segment.bytes");
        assertThatThrownBy(() -> admin.incrementalAlterConfigs(Map.of(
                                topic,
                                List.of(new AlterConfigOp(
                                        new ConfigEntry("retention.ms", "1"), AlterConfigOp.OpType.APPEND))))
                        .all()
                        .get())
                .hasCauseInstanceOf(InvalidConfigurationException.class);
        assertThat(describe(topic).get("segment.bytes").value()).isEqualTo("1073741824");
    }

    @Test
    void rejectsDuplicateTopics() throws Exception {
        admin.createTopics(List.of(new NewTopic("twice", 1, (short) 1))).all().get();
        assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("twice", 2, (short) 1)))
                        .all()
                        .get())
                .hasCauseInstanceOf(TopicExistsException.class)
                .hasMessageContaining("Topic 'twice' already exists.");
        admin.createTopics(List.of(new NewTopic("collide_me", 1, (short) 1)))
                .all()
                .get();
        assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("collide.me", 1, (short) 1)))
                        .all()
                        .get())
                .hasCauseInstanceOf(InvalidTopicException.class)
                .hasMessageContaining("collides with existing topic: collide_me");
    }

    @Test
    void rejectsInvalidNamesPartitionsAndReplicationFactors() {
        assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("bad/name", 1, (short) 1)))
                        .all()
                        .get())
                .hasCauseInstanceOf(InvalidTopicException.class);
        assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("x".repeat(250), 1, (short) 1)))
                        .all()
                        .get())
                .hasCauseInstanceOf(InvalidTopicException.class);
        assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("zero-partitions", 0, (short) 1)))
                        .all()
                        .get())
                .hasCauseInstanceOf(InvalidPartitionsException.class)
                .hasMessageContaining("Number of partitions was set to an invalid non-positive value.");
        assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("zero-replicas", 1, (short) 0)))
                        .all()
                        .get())
                .hasCauseInstanceOf(InvalidReplicationFactorException.class);
        assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("three-replicas", 1, (short) 3)))
                        .all()
                        .get())
                .hasCauseInstanceOf(InvalidReplicationFactorException.class)
                .hasMessageContaining("only 1 broker(s) are registered");
    }

    @Test
    void validateOnlyCreatesNothing() throws Exception {
        admin.createTopics(List.of(new NewTopic("dry-run", 4, (short) 1)), new CreateTopicsOptions().validateOnly(true))
                .all()
                .get();
        assertThat(admin.listTopics().names().get()).doesNotContain("dry-run");
        assertThatThrownBy(() -> admin.createTopics(
                                List.of(new NewTopic("dry-run", 0, (short) 1)),
                                new CreateTopicsOptions().validateOnly(true))
                        .all()
                        .get())
                .hasCauseInstanceOf(InvalidPartitionsException.class);
    }

    @Test
    void manualReplicaAssignments() throws Exception {
        admin.createTopics(List.of(new NewTopic("assigned", Map.of(0, List.of(1), 1, List.of(1)))))
                .all()
                .get();
        assertThat(admin.describeTopics(List.of("assigned"))
                        .allTopicNames()
                        .get()
                        .get("assigned")
                        .partitions())
                .hasSize(2);
        assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("assigned-bad", Map.of(0, List.of(7)))))
                        .all()
                        .get())
                .hasCauseInstanceOf(org.apache.kafka.common.errors.InvalidReplicaAssignmentException.class);
    }

    @Test
    void addsPartitions() throws Exception {
        admin.createTopics(List.of(new NewTopic("growing", 2, (short) 1))).all().get();
        admin.createPartitions(Map.of("growing", NewPartitions.increaseTo(5)))
                .all()
                .get();
        assertThat(admin.describeTopics(List.of("growing"))
                        .allTopicNames()
                        .get()
                        .get("growing")
                        .partitions())
                .extracting(p -> p.partition())
                .containsExactly(0, 1, 2, 3, 4);
        assertThatThrownBy(() -> admin.createPartitions(Map.of("growing", NewPartitions.increaseTo(3)))
                        .all()
                        .get())
                .hasCauseInstanceOf(InvalidPartitionsException.class)
                .hasMessageContaining("Topic currently has 5 partitions, which is higher than the requested 3.");
        assertThatThrownBy(() -> admin.createPartitions(Map.of("no-such-topic", NewPartitions.increaseTo(3)))
                        .all()
                        .get())
                .hasCauseInstanceOf(UnknownTopicOrPartitionException.class);
    }

    @Test
    void deletesTopics() throws Exception {
        admin.createTopics(List.of(new NewTopic("doomed", 2, (short) 1), new NewTopic("doomed-by-id", 1, (short) 1)))
                .all()
                .get();
        admin.deleteTopics(List.of("doomed")).all().get();
        Uuid id = admin.describeTopics(List.of("doomed-by-id"))
                .allTopicNames()
                .get()
                .get("doomed-by-id")
                .topicId();
        admin.deleteTopics(org.apache.kafka.common.TopicCollection.ofTopicIds(List.of(id)))
                .all()
                .get();
        Set<String> names = admin.listTopics().names().get();
        assertThat(names).doesNotContain("doomed", "doomed-by-id");
        assertThatThrownBy(() -> admin.deleteTopics(List.of("doomed")).all().get())
                .hasCauseInstanceOf(UnknownTopicOrPartitionException.class);
        // the name is free again, with a new id
        admin.createTopics(List.of(new NewTopic("doomed", 1, (short) 1))).all().get();
        assertThat(admin.describeTopics(List.of("doomed"))
                        .allTopicNames()
                        .get()
                        .get("doomed")
                        .topicId())
                .isNotEqualTo(id);
    }

    @Test
    void alteringBrokerConfigsIsRefusedWithAReason() {
        ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, "1");
        assertThatThrownBy(() -> admin.incrementalAlterConfigs(
                                Map.of(
                                        broker,
                                        List.of(new AlterConfigOp(
                                                new ConfigEntry("log.retention.ms", "1"), AlterConfigOp.OpType.SET))),
                                new AlterConfigsOptions())
                        .all()
                        .get())
                .hasCauseInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("start-up");
    }

    private static Config describe(ConfigResource resource) throws Exception {
        Collection<Config> configs = admin.describeConfigs(
                        List.of(resource), new DescribeConfigsOptions().includeSynonyms(true))
                .all()
                .get()
                .values();
        return configs.iterator().next();
    }
}
