package io.runnel.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.testing.BrokerProcess;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;

/** Topic metadata lives in the broker's embedded PostgreSQL and survives restarts and SIGKILL. */
class MetadataDurabilityIT {

    @Test
    void topicsSurviveRestartAndSigkill() throws Exception {
        try (BrokerProcess broker = BrokerProcess.create("durability").start()) {
            Uuid id;
            String clusterId;
            try (Admin admin = broker.admin()) {
                admin.createTopics(List.of(
                                new NewTopic("kept", 4, (short) 1).configs(Map.of("retention.ms", "123456")),
                                new NewTopic("also-kept", 1, (short) 1)))
                        .all()
                        .get();
                id = admin.describeTopics(List.of("kept"))
                        .allTopicNames()
                        .get()
                        .get("kept")
                        .topicId();
                clusterId = admin.describeCluster().clusterId().get();
            }

            broker.restart();
            assertTopicsKept(broker, id, clusterId);

            try (Admin admin = broker.admin()) {
                admin.createTopics(List.of(new NewTopic("created-before-kill", 2, (short) 1)))
                        .all()
                        .get();
            }
            broker.kill();
            broker.start();
            assertTopicsKept(broker, id, clusterId);
            try (Admin admin = broker.admin()) {
                assertThat(admin.listTopics().names().get()).contains("created-before-kill");
            }
            assertThat(broker.log()).contains("left running on");
        }
    }

    private static void assertTopicsKept(BrokerProcess broker, Uuid id, String clusterId) throws Exception {
        try (Admin admin = broker.admin()) {
            assertThat(admin.describeCluster().clusterId().get()).isEqualTo(clusterId);
            assertThat(admin.listTopics().names().get()).contains("kept", "also-kept");
            TopicDescription kept =
                    admin.describeTopics(List.of("kept")).allTopicNames().get().get("kept");
            assertThat(kept.topicId()).isEqualTo(id);
            assertThat(kept.partitions()).hasSize(4);
            String retention = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, "kept")))
                    .all()
                    .get()
                    .values()
                    .iterator()
                    .next()
                    .get("retention.ms")
                    .value();
            assertThat(retention).isEqualTo("123456");
        }
    }
}
