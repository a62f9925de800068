package io.runnel.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.testing.BrokerCluster;
import io.runnel.testing.Clients;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A leader that took acks=1 writes its followers never fetched, and then died, truncates them when
 * it comes back as a follower of the new leader (leader epochs, KIP-101/279): the cluster keeps what
 * the new leader has, and the replicas end identical.
 */
class TruncationIT {

    @Test
    void aReturningFormerLeaderTruncatesWritesNobodyElseHad() throws Exception {
        String topic = "truncation";
        TopicPartition tp = new TopicPartition(topic, 0);
        // no ISR shrink while the followers are frozen, and frozen followers are not fenced
        try (BrokerCluster cluster = BrokerCluster.start(
                "truncation",
                3,
                broker -> broker.set("runnel.replication.replica-lag-time-max-ms", "60000")
                        .set("runnel.cluster.broker-session-timeout-ms", "10000"))) {
            try (Admin admin = cluster.admin()) {
                admin.createTopics(List.of(new NewTopic(topic, Map.of(0, List.of(1, 2, 3)))
                                .configs(Map.of("min.insync.replicas", "2"))))
                        .all()
                        .get();
            }
            try (KafkaProducer<byte[], byte[]> producer = Clients.producer(cluster.bootstrapServers())) {
                for (int i = 0; i < 100; i++) {
                    producer.send(new ProducerRecord<>(topic, 0, null, bytes("committed-" + i)));
                }
                producer.flush();
            }
            assertThat(cluster.leaderOf(tp)).isEqualTo(1);

            cluster.broker(2).pause();
            cluster.broker(3).pause();
            // a fetch each follower sent before it froze may still wait at the leader and take the
            // next record with it; past replica.fetch.wait.max.ms those fetches are answered (empty)
            Thread.sleep(1_500);
            try (KafkaProducer<byte[], byte[]> leaderOnly = Clients.producer(
                    cluster.broker(1).bootstrapServers(), Map.of("acks", "1", "enable.idempotence", "false"))) {
                for (int i = 0; i < 5; i++) {
                    leaderOnly
                            .send(new ProducerRecord<>(topic, 0, null, bytes("lost-" + i)))
                            .get();
                }
            } finally {
                cluster.broker(1).kill();
                cluster.broker(2).resume();
                cluster.broker(3).resume();
            }

            cluster.awaitLeaderOtherThan(tp, 1);
            try (KafkaProducer<byte[], byte[]> producer = Clients.producer(cluster.broker(2)
                            .bootstrapServers() + "," + cluster.broker(3).bootstrapServers())) {
                for (int i = 0; i < 50; i++) {
                    producer.send(new ProducerRecord<>(topic, 0, null, bytes("after-" + i)));
                }
                producer.flush();
            }

            cluster.broker(1).start();
            cluster.awaitIsr(tp, List.of(1, 2, 3));
            Awaitility.await("broker 1 leads again")
                    .atMost(Duration.ofSeconds(60))
                    .ignoreExceptions()
                    .until(() -> cluster.leaderOf(tp) == 1);
            List<String> values = Clients.readAll(cluster.bootstrapServers(), tp).stream()
                    .map(r -> new String(r.value(), StandardCharsets.UTF_8))
                    .toList();
            assertThat(values).hasSize(150).noneMatch(v -> v.startsWith("lost-"));
            assertThat(values.subList(0, 100)).allMatch(v -> v.startsWith("committed-"));
            assertThat(values.subList(100, 150)).allMatch(v -> v.startsWith("after-"));
            assertThat(cluster.broker(1).log()).contains("truncating to 100");
            LeaderFailoverIT.awaitReplicasIdentical(cluster, tp);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
