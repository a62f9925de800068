package io.runnel.log;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.testing.BrokerProcess;
import io.runnel.testing.Clients;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;

/**
 * Broker-level defaults for topic configs, under Kafka's broker config names: a topic without its own
 * setting takes them, DescribeConfigs reports them as STATIC_BROKER_CONFIG, and a topic override
 * still wins. Flushing every message (log.flush.interval.messages=1) still acknowledges every record.
 */
class BrokerTopicDefaultsIT {

    @Test
    void brokerDefaultsApplyToTopicsWithoutTheirOwnSetting() throws Exception {
        try (BrokerProcess broker = BrokerProcess.create("topic-defaults")
                        .set("kafka.log.retention.ms", "3600000")
                        .set("kafka.log.flush.interval.messages", "1")
                        .start();
                Admin admin = broker.admin()) {
            Clients.createTopic(admin, "defaults", 1, Map.of());
            Clients.createTopic(admin, "overridden", 1, Map.of("retention.ms", "7200000"));

            ConfigEntry retention = topicConfig(admin, "defaults", "retention.ms");
            assertThat(retention.value()).isEqualTo("3600000");
            assertThat(retention.source()).isEqualTo(ConfigEntry.ConfigSource.STATIC_BROKER_CONFIG);
            assertThat(topicConfig(admin, "defaults", "flush.messages").value()).isEqualTo("1");
            ConfigEntry overridden = topicConfig(admin, "overridden", "retention.ms");
            assertThat(overridden.value()).isEqualTo("7200000");
            assertThat(overridden.source()).isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);

            try (KafkaProducer<byte[], byte[]> producer = Clients.producer(broker.bootstrapServers())) {
                for (int i = 0; i < 200; i++) {
                    producer.send(new ProducerRecord<>("defaults", ("v" + i).getBytes()));
                }
                producer.flush();
            }
            assertThat(Clients.readAll(broker.bootstrapServers(), new TopicPartition("defaults", 0)))
                    .hasSize(200);
        }
    }

    private static ConfigEntry topicConfig(Admin admin, String topic, String name) throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
        return config.get(name);
    }
}
