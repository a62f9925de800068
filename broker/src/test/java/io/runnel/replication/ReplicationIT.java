package io.runnel.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.testing.BrokerCluster;
import io.runnel.testing.Clients;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Three brokers, replication factor 3: followers fetch from the leader and every replica ends equal. */
class ReplicationIT {

    private static BrokerCluster cluster;

    @BeforeAll
    static void start() {
        cluster = BrokerCluster.start("replication", 3);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void acksAllRecordsAreOnEveryReplicaAndReadableFromTheLeader() throws Exception {
        String topic = "replicated";
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 3, (short) 3).configs(Map.of("min.insync.replicas", "2"))))
                    .all()
                    .get();
        }
        List<Future<RecordMetadata>> sends = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer =
                Clients.producer(cluster.bootstrapServers(), Map.of("acks", "all", "linger.ms", "5"))) {
            for (int i = 0; i < 3000; i++) {
                sends.add(producer.send(
                        new ProducerRecord<>(topic, i % 3, null, ("record-" + i).getBytes(StandardCharsets.UTF_8))));
            }
            producer.flush();
        }
        for (Future<RecordMetadata> send : sends) {
            send.get();
        }
        for (int p = 0; p < 3; p++) {
            TopicPartition tp = new TopicPartition(topic, p);
            assertThat(cluster.isrOf(tp)).containsExactlyInAnyOrder(1, 2, 3);
            List<ConsumerRecord<byte[], byte[]>> records = Clients.readAll(cluster.bootstrapServers(), tp);
            assertThat(records).hasSize(1000);
            for (int i = 0; i < records.size(); i++) {
                assertThat(records.get(i).offset()).isEqualTo(i);
                assertThat(new String(records.get(i).value(), StandardCharsets.UTF_8))
                        .isEqualTo("record-" + (i * 3 + p));
            }
            cluster.assertReplicasIdentical(tp, List.of(1, 2, 3));
        }
    }
}
