package io.runnel.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.testing.BrokerCluster;
import io.runnel.testing.Clients;
import io.runnel.testing.RawKafkaClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.SimpleRecord;
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

    @Test
    void aMisdirectedProduceOrFetchNamesTheLeaderAndEveryBrokerDescribesTheSameCluster() throws Exception {
        String topic = "misdirected";
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, Map.of(0, List.of(1, 2, 3)))))
                    .all()
                    .get();
        }
        TopicPartition tp = new TopicPartition(topic, 0);
        cluster.awaitIsr(tp, List.of(1, 2, 3));
        int leader = cluster.leaderOf(tp);
        int follower = leader == 1 ? 2 : 1;
        int leaderPort = cluster.broker(leader).kafkaPort();
        try (RawKafkaClient raw = new RawKafkaClient(cluster.broker(follower).kafkaPort())) {
            ProduceResponseData produce = (ProduceResponseData) raw.send(
                    new ProduceRequestData()
                            .setAcks((short) -1)
                            .setTimeoutMs(5_000)
                            .setTopicData(new ProduceRequestData.TopicProduceDataCollection(List.of(
                                            new ProduceRequestData.TopicProduceData()
                                                    .setName(topic)
                                                    .setPartitionData(List.of(
                                                            new ProduceRequestData.PartitionProduceData()
                                                                    .setIndex(0)
                                                                    .setRecords(MemoryRecords.withRecords(
                                                                            Compression.NONE,
                                                                            new SimpleRecord("x"
                                                                                    .getBytes(
                                                                                            StandardCharsets
                                                                                                    .UTF_8)))))))
                                    .iterator())),
                    (short) 12);
            ProduceResponseData.PartitionProduceResponse partition =
                    produce.responses().iterator().next().partitionResponses().getFirst();
            assertThat(Errors.forCode(partition.errorCode())).isEqualTo(Errors.NOT_LEADER_OR_FOLLOWER);
            assertThat(partition.currentLeader().leaderId()).isEqualTo(leader);
            assertThat(produce.nodeEndpoints().find(leader).port()).isEqualTo(leaderPort);

            Uuid topicId;
            try (Admin admin = cluster.admin()) {
                topicId = admin.describeTopics(List.of(topic))
                        .allTopicNames()
                        .get()
                        .get(topic)
                        .topicId();
            }
            FetchResponseData fetch = (FetchResponseData) raw.send(
                    new FetchRequestData()
                            .setReplicaState(new FetchRequestData.ReplicaState().setReplicaId(-1))
                            .setMaxWaitMs(0)
                            .setMaxBytes(1 << 20)
                            .setTopics(List.of(new FetchRequestData.FetchTopic()
                                    .setTopicId(topicId)
                                    .setPartitions(List.of(new FetchRequestData.FetchPartition()
                                            .setPartition(0)
                                            .setFetchOffset(0)
                                            .setPartitionMaxBytes(1 << 20))))),
                    (short) 17);
            FetchResponseData.PartitionData fetched =
                    fetch.responses().getFirst().partitions().getFirst();
            assertThat(Errors.forCode(fetched.errorCode())).isEqualTo(Errors.NOT_LEADER_OR_FOLLOWER);
            assertThat(fetched.currentLeader().leaderId()).isEqualTo(leader);
            assertThat(fetch.nodeEndpoints().find(leader).port()).isEqualTo(leaderPort);
        }
        List<String> views = new java.util.ArrayList<>();
        for (int id = 1; id <= 3; id++) {
            try (Admin admin = cluster.broker(id).admin()) {
                TopicDescription description = admin.describeTopics(List.of(topic))
                        .allTopicNames()
                        .get()
                        .get(topic);
                views.add(description.partitions().toString() + " "
                        + admin.describeCluster().nodes().get().size());
            }
        }
        assertThat(views).as("Metadata from every broker").containsOnly(views.getFirst());
    }
}
