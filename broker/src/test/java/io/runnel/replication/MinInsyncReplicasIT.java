package io.runnel.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnel.testing.BrokerCluster;
import io.runnel.testing.BrokerProcess;
import io.runnel.testing.Clients;
import io.runnel.testing.RawKafkaClient;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.SimpleRecord;
import org.junit.jupiter.api.Test;

/**
 * With two of three brokers gone, acks=all is refused (NOT_ENOUGH_REPLICAS) rather than silently
 * accepted, and what was committed can still be read from the survivor.
 */
class MinInsyncReplicasIT {

    @Test
    void acksAllIsRefusedWithTwoOfThreeBrokersDown() throws Exception {
        String topic = "min-isr";
        TopicPartition tp = new TopicPartition(topic, 0);
        try (BrokerCluster cluster = BrokerCluster.start("min-isr", 3)) {
            try (Admin admin = cluster.admin()) {
                admin.createTopics(List.of(new NewTopic(topic, Map.of(0, List.of(1, 2, 3)))
                                .configs(Map.of("min.insync.replicas", "2"))))
                        .all()
                        .get();
            }
            try (KafkaProducer<byte[], byte[]> producer = Clients.producer(cluster.bootstrapServers())) {
                for (int i = 0; i < 100; i++) {
                    producer.send(
                            new ProducerRecord<>(topic, 0, null, ("committed-" + i).getBytes(StandardCharsets.UTF_8)));
                }
                producer.flush();
            }
            cluster.broker(2).kill();
            cluster.broker(3).kill();
            cluster.awaitIsr(tp, List.of(1));
            BrokerProcess survivor = cluster.broker(1);

            try (RawKafkaClient raw = new RawKafkaClient(survivor.kafkaPort())) {
                ProduceResponseData response = (ProduceResponseData) raw.send(produce(topic, (short) -1), (short) 9);
                assertThat(Errors.forCode(response.responses()
                                .iterator()
                                .next()
                                .partitionResponses()
                                .getFirst()
                                .errorCode()))
                        .isEqualTo(Errors.NOT_ENOUGH_REPLICAS);
                ProduceResponseData acksOne = (ProduceResponseData) raw.send(produce(topic, (short) 1), (short) 9);
                assertThat(Errors.forCode(acksOne.responses()
                                .iterator()
                                .next()
                                .partitionResponses()
                                .getFirst()
                                .errorCode()))
                        .as("acks=1 needs only the leader")
                        .isEqualTo(Errors.NONE);
            }
            long endBefore;
            try (Admin admin = cluster.admin()) {
                endBefore = Clients.latest(admin, tp);
            }
            try (KafkaProducer<byte[], byte[]> producer = Clients.producer(
                    survivor.bootstrapServers(), Map.of("delivery.timeout.ms", "5000", "request.timeout.ms", "2000"))) {
                assertThatThrownBy(() -> producer.send(new ProducerRecord<>(
                                        topic, 0, null, "refused".getBytes(StandardCharsets.UTF_8)))
                                .get())
                        .isInstanceOf(ExecutionException.class);
            }
            try (Admin admin = cluster.admin()) {
                assertThat(Clients.latest(admin, tp))
                        .as("nothing was silently accepted")
                        .isEqualTo(endBefore);
            }
            List<String> values = Clients.readAll(survivor.bootstrapServers(), tp).stream()
                    .map(r -> new String(r.value(), StandardCharsets.UTF_8))
                    .toList();
            assertThat(values).hasSize(101);
            for (int i = 0; i < 100; i++) {
                assertThat(values.get(i)).isEqualTo("committed-" + i);
            }
        }
    }

    private static ProduceRequestData produce(String topic, short acks) {
        MemoryRecords records =
                MemoryRecords.withRecords(Compression.NONE, new SimpleRecord("raw".getBytes(StandardCharsets.UTF_8)));
        ProduceRequestData.TopicProduceDataCollection topics = new ProduceRequestData.TopicProduceDataCollection();
        topics.add(new ProduceRequestData.TopicProduceData()
                .setName(topic)
                .setPartitionData(List.of(new ProduceRequestData.PartitionProduceData()
                        .setIndex(0)
                        .setRecords(records))));
        return new ProduceRequestData().setAcks(acks).setTimeoutMs(5_000).setTopicData(topics);
    }
}
