package io.runnel.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.testing.BrokerProcess;
import io.runnel.testing.Clients;
import io.runnel.testing.RawKafkaClient;
import io.runnel.testing.SharedBroker;
import io.runnel.testing.TestPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderPartition;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderTopic;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.EpochEndOffset;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * OffsetForLeaderEpoch as followers and KIP-320 consumers send it, raw: where each leader epoch
 * ended, and Kafka's errors for stale or future leader epochs and unknown partitions; and the leader
 * epochs ListOffsets names with its offsets.
 */
class OffsetForLeaderEpochIT {

    private static final short LATEST = ApiKeys.OFFSET_FOR_LEADER_EPOCH.latestVersion();

    /** Versions 2 to 4: each knows CurrentLeaderEpoch; v3 adds ReplicaId, v4 is flexible. */
    @ParameterizedTest
    @ValueSource(shorts = {2, 3, 4})
    void answersWhereTheLeaderEpochEnded(short version) throws Exception {
        BrokerProcess broker = SharedBroker.get();
        String topic = "leader-epochs-v" + version;
        try (Admin admin = broker.admin()) {
            Clients.createTopic(admin, topic, 1, Map.of());
        }
        produce(broker, topic, 5);

        try (RawKafkaClient raw = new RawKafkaClient(broker.kafkaPort())) {
            assertThat(ask(raw, version, topic, 0, 0, 0)).isEqualTo(endOffset(0, 0, 5));
            assertThat(ask(raw, version, topic, 0, -1, 0))
                    .as("no current leader epoch: not checked")
                    .isEqualTo(endOffset(0, 0, 5));
            assertThat(ask(raw, version, topic, 0, 0, 1))
                    .as("an epoch this log never had")
                    .isEqualTo(endOffset(0, -1, -1));
        }
    }

    @Test
    void refusesFutureLeaderEpochsAndUnknownPartitions() throws Exception {
        BrokerProcess broker = SharedBroker.get();
        String topic = "leader-epochs-errors";
        try (Admin admin = broker.admin()) {
            Clients.createTopic(admin, topic, 1, Map.of());
        }
        produce(broker, topic, 1);

        try (RawKafkaClient raw = new RawKafkaClient(broker.kafkaPort())) {
            assertThat(ask(raw, LATEST, topic, 0, 1, 0).errorCode()).isEqualTo(Errors.UNKNOWN_LEADER_EPOCH.code());
            assertThat(ask(raw, LATEST, topic, 1, 0, 0).errorCode())
                    .isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
            assertThat(ask(raw, LATEST, "no-such-topic-for-epochs", 0, 0, 0).errorCode())
                    .isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());

            ApiVersionsResponseData versions = (ApiVersionsResponseData) raw.send(
                    new ApiVersionsRequestData()
                            .setClientSoftwareName("runnel-test")
                            .setClientSoftwareVersion("1.0"),
                    (short) 3);
            ApiVersionsResponseData.ApiVersion offsetForLeaderEpoch =
                    versions.apiKeys().find(ApiKeys.OFFSET_FOR_LEADER_EPOCH.id);
            assertThat(offsetForLeaderEpoch.minVersion()).isEqualTo((short) 2);
            assertThat(offsetForLeaderEpoch.maxVersion()).isEqualTo((short) 4);
        }
    }

    /**
     * The leader epoch changes (as a controller's election would change it; one broker has epoch 0
     * until elections exist): a client with the old epoch is fenced, epoch 0 ends where epoch 3
     * began, and a consumer that read in epoch 0 validates its position (KIP-320) and goes on.
     */
    @Test
    void afterALeaderEpochChangeTheOldEpochEndsWhereTheNewOneBegan() throws Exception {
        TestPostgres postgres = TestPostgres.get();
        String database = postgres.createDatabase("leader_epochs_it");
        String topic = "epoch-change";
        try (BrokerProcess broker = BrokerProcess.create("leader-epochs")
                .set("quarkus.datasource.jdbc.url", postgres.jdbcUrl(database))
                .set("quarkus.datasource.username", "postgres")
                .start()) {
            try (Admin admin = broker.admin()) {
                Clients.createTopic(admin, topic, 1, Map.of());
            }
            produce(broker, topic, 3);
            TopicPartition tp = new TopicPartition(topic, 0);
            List<Long> consumed = new ArrayList<>();
            try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(
                    broker.bootstrapServers(), Map.of(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none"))) {
                consumer.assign(List.of(tp));
                consumer.seek(tp, 0);
                pollUntil(consumer, consumed, 3);

                try (Connection c = postgres.connect(database);
                        PreparedStatement bump = c.prepareStatement("update partitions set leader_epoch = 3,"
                                + " partition_epoch = partition_epoch + 1"
                                + " where topic_id = (select topic_id from topics where name = ?)")) {
                    bump.setString(1, topic);
                    assertThat(bump.executeUpdate()).isEqualTo(1);
                }
                try (RawKafkaClient raw = new RawKafkaClient(broker.kafkaPort())) {
                    Awaitility.await()
                            .atMost(Duration.ofSeconds(60))
                            .until(() ->
                                    ask(raw, LATEST, topic, 0, 0, 0).errorCode() == Errors.FENCED_LEADER_EPOCH.code());
                    produce(broker, topic, 2);

                    assertThat(ask(raw, LATEST, topic, 0, 3, 0)).isEqualTo(endOffset(0, 0, 3));
                    assertThat(ask(raw, LATEST, topic, 0, 3, 2))
                            .as("KIP-279: the largest epoch at or below the one asked for")
                            .isEqualTo(endOffset(0, 0, 3));
                    assertThat(ask(raw, LATEST, topic, 0, 3, 3)).isEqualTo(endOffset(0, 3, 5));
                    assertThat(ask(raw, LATEST, topic, 0, 3, 4)).isEqualTo(endOffset(0, -1, -1));
                    assertThat(ask(raw, LATEST, topic, 0, 2, 0).errorCode())
                            .isEqualTo(Errors.FENCED_LEADER_EPOCH.code());
                    assertThat(ask(raw, LATEST, topic, 0, 4, 0).errorCode())
                            .isEqualTo(Errors.UNKNOWN_LEADER_EPOCH.code());
                }

                // ListOffsets names the epoch each offset was written in
                try (Admin admin = broker.admin()) {
                    assertThat(listOffsets(admin, tp, OffsetSpec.latest())).isEqualTo("5@3");
                    assertThat(listOffsets(admin, tp, OffsetSpec.earliest())).isEqualTo("0@0");
                    assertThat(listOffsets(admin, tp, OffsetSpec.forTimestamp(0)))
                            .isEqualTo("0@0");
                    assertThat(listOffsets(admin, tp, OffsetSpec.maxTimestamp()))
                            .endsWith("@3");
                }

                // fenced on its next fetch, the consumer learns epoch 3, checks that epoch 0 ended
                // at or after its position, and reads on; with auto.offset.reset=none a wrong
                // answer would fail the poll
                pollUntil(consumer, consumed, 5);
            }
            assertThat(consumed).containsExactly(0L, 1L, 2L, 3L, 4L);
        }
    }

    /** "offset@leaderEpoch" as the admin client lists it. */
    private static String listOffsets(Admin admin, TopicPartition tp, OffsetSpec spec) throws Exception {
        ListOffsetsResult.ListOffsetsResultInfo info =
                admin.listOffsets(Map.of(tp, spec)).partitionResult(tp).get();
        return info.offset() + "@" + info.leaderEpoch().orElse(-1);
    }

    private static void produce(BrokerProcess broker, String topic, int count) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(broker.bootstrapServers())) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, 0, null, ("v" + i).getBytes()))
                        .get();
            }
        }
    }

    private static void pollUntil(KafkaConsumer<byte[], byte[]> consumer, List<Long> consumed, int count) {
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                consumed.add(record.offset());
            }
            return consumed.size() >= count;
        });
    }

    private static EpochEndOffset ask(
            RawKafkaClient raw, short version, String topic, int partition, int currentLeaderEpoch, int leaderEpoch) {
        OffsetForLeaderEpochRequestData request = new OffsetForLeaderEpochRequestData();
        if (version >= 3) {
            request.setReplicaId(-1);
        }
        OffsetForLeaderTopic topicRequest = new OffsetForLeaderTopic().setTopic(topic);
        topicRequest
                .partitions()
                .add(new OffsetForLeaderPartition()
                        .setPartition(partition)
                        .setCurrentLeaderEpoch(currentLeaderEpoch)
                        .setLeaderEpoch(leaderEpoch));
        request.topics().add(topicRequest);
        OffsetForLeaderEpochResponseData response = (OffsetForLeaderEpochResponseData) raw.send(request, version);
        assertThat(response.topics()).hasSize(1);
        assertThat(response.topics().iterator().next().topic()).isEqualTo(topic);
        EpochEndOffset answer = response.topics().iterator().next().partitions().getFirst();
        assertThat(answer.partition()).isEqualTo(partition);
        return answer;
    }

    private static EpochEndOffset endOffset(int errorCode, int leaderEpoch, long endOffset) {
        return new EpochEndOffset()
                .setErrorCode((short) errorCode)
                .setPartition(0)
                .setLeaderEpoch(leaderEpoch)
                .setEndOffset(endOffset);
    }
}
