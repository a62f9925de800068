package io.runnel.log;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.testing.BrokerProcess;
import io.runnel.testing.Clients;
import io.runnel.testing.RawKafkaClient;
import io.runnel.testing.SharedBroker;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.DefaultRecordBatch;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.MemoryRecordsBuilder;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Produce requests with batches a real client would not send, written byte by byte: each gets
 * Kafka's error for its partition, nothing of it reaches the log, and the broker (and the very
 * connection) goes on serving.
 */
class CorruptProduceIT {

    private static final short VERSION = 9;
    private static final int MAX_MESSAGE_BYTES = 10_000;

    static BrokerProcess broker;
    static Admin admin;

    @BeforeAll
    static void connect() {
        broker = SharedBroker.get();
        admin = broker.admin();
    }

    @AfterAll
    static void disconnect() {
        admin.close();
    }

    /** A well-formed batch sent the same raw way is appended, by topic name (v3, v9) and by topic id (v13). */
    @ParameterizedTest
    @ValueSource(shorts = {3, 9, 13})
    void aValidRawBatchIsAppended(short version) throws Exception {
        String topic = "raw-valid-v" + version;
        Clients.createTopic(admin, topic, 1, Map.of());
        TopicPartition tp = new TopicPartition(topic, 0);
        Uuid topicId = admin.describeTopics(List.of(topic))
                .allTopicNames()
                .get()
                .get(topic)
                .topicId();
        try (RawKafkaClient raw = new RawKafkaClient(broker.kafkaPort())) {
            for (int round = 0; round < 2; round++) {
                ProduceRequestData.TopicProduceData data = new ProduceRequestData.TopicProduceData()
                        .setPartitionData(List.of(new ProduceRequestData.PartitionProduceData()
                                .setIndex(0)
                                .setRecords(batch(RecordBatch.MAGIC_VALUE_V2, System.currentTimeMillis(), 3, 10))));
                if (version >= 13) {
                    data.setTopicId(topicId);
                } else {
                    data.setName(topic);
                }
                ProduceResponseData response = (ProduceResponseData) raw.send(request(data), version);
                ProduceResponseData.PartitionProduceResponse partition = onlyPartition(response);
                assertThat(Errors.forCode(partition.errorCode())).isEqualTo(Errors.NONE);
                assertThat(partition.baseOffset()).isEqualTo(round * 3L);
            }
        }
        assertThat(Clients.latest(admin, tp)).isEqualTo(6);
        assertThat(Clients.readAll(broker.bootstrapServers(), tp)).hasSize(6);
    }

    /** (a) A byte flipped after the CRC field: CORRUPT_MESSAGE. */
    @Test
    void aBatchWithABadCrcIsRefusedAsCorrupt() throws Exception {
        MemoryRecords good = batch(RecordBatch.MAGIC_VALUE_V2, System.currentTimeMillis(), 5, 50);
        byte[] bytes = toBytes(good);
        int flip = DefaultRecordBatch.RECORD_BATCH_OVERHEAD + 20; // inside the records, covered by the CRC
        bytes[flip] ^= 0x5a;
        MemoryRecords corrupt = MemoryRecords.readableRecords(ByteBuffer.wrap(bytes));
        assertThat(corrupt.batches().iterator().next().isValid()).isFalse();
        assertRefusedAndNothingWritten("bad-crc", Map.of(), corrupt, Errors.CORRUPT_MESSAGE);
    }

    /** (b) A magic 1 (pre-0.11) batch: INVALID_RECORD (or UNSUPPORTED_FOR_MESSAGE_FORMAT). */
    @Test
    void aMagicOneBatchIsRefused() throws Exception {
        MemoryRecords v1 = batch(RecordBatch.MAGIC_VALUE_V1, System.currentTimeMillis(), 3, 20);
        assertRefusedAndNothingWritten(
                "magic-one", Map.of(), v1, Errors.INVALID_RECORD, Errors.UNSUPPORTED_FOR_MESSAGE_FORMAT);
    }

    /** (c) A batch larger than the topic's max.message.bytes: MESSAGE_TOO_LARGE. */
    @Test
    void aBatchLargerThanMaxMessageBytesIsRefused() throws Exception {
        MemoryRecords big = batch(RecordBatch.MAGIC_VALUE_V2, System.currentTimeMillis(), 2, 8_000);
        assertThat(big.sizeInBytes()).isGreaterThan(MAX_MESSAGE_BYTES);
        assertRefusedAndNothingWritten(
                "too-large",
                Map.of("max.message.bytes", String.valueOf(MAX_MESSAGE_BYTES)),
                big,
                Errors.MESSAGE_TOO_LARGE);
    }

    /** (d) A record two days in the future (message.timestamp.after.max.ms is an hour): INVALID_TIMESTAMP. */
    @Test
    void aRecordWithATimestampFarInTheFutureIsRefused() throws Exception {
        long future = System.currentTimeMillis() + Duration.ofDays(2).toMillis();
        MemoryRecords records = batch(RecordBatch.MAGIC_VALUE_V2, future, 3, 20);
        assertRefusedAndNothingWritten("future-timestamp", Map.of(), records, Errors.INVALID_TIMESTAMP);
    }

    /** A bad batch for one partition does not fail the other partition of the same request. */
    @Test
    void aBadPartitionDoesNotFailTheOtherPartitionsOfTheRequest() throws Exception {
        String topic = "mixed-request";
        Clients.createTopic(admin, topic, 2, Map.of());
        MemoryRecords good = batch(RecordBatch.MAGIC_VALUE_V2, System.currentTimeMillis(), 4, 20);
        byte[] bytes = toBytes(batch(RecordBatch.MAGIC_VALUE_V2, System.currentTimeMillis(), 4, 20));
        bytes[bytes.length - 1] ^= 0x01;
        MemoryRecords corrupt = MemoryRecords.readableRecords(ByteBuffer.wrap(bytes));
        try (RawKafkaClient raw = new RawKafkaClient(broker.kafkaPort())) {
            ProduceResponseData response = (ProduceResponseData) raw.send(
                    request(new ProduceRequestData.TopicProduceData()
                            .setName(topic)
                            .setPartitionData(List.of(
                                    new ProduceRequestData.PartitionProduceData()
                                            .setIndex(0)
                                            .setRecords(corrupt),
                                    new ProduceRequestData.PartitionProduceData()
                                            .setIndex(1)
                                            .setRecords(good)))),
                    VERSION);
            List<ProduceResponseData.PartitionProduceResponse> partitions =
                    response.responses().iterator().next().partitionResponses();
            assertThat(partitions).hasSize(2);
            ProduceResponseData.PartitionProduceResponse p0 =
                    partitions.stream().filter(p -> p.index() == 0).findFirst().orElseThrow();
            ProduceResponseData.PartitionProduceResponse p1 =
                    partitions.stream().filter(p -> p.index() == 1).findFirst().orElseThrow();
            assertThat(Errors.forCode(p0.errorCode())).isEqualTo(Errors.CORRUPT_MESSAGE);
            assertThat(Errors.forCode(p1.errorCode())).isEqualTo(Errors.NONE);
            assertThat(p1.baseOffset()).isZero();
        }
        assertThat(Clients.latest(admin, new TopicPartition(topic, 0))).isZero();
        assertThat(Clients.latest(admin, new TopicPartition(topic, 1))).isEqualTo(4);
    }

    /**
     * Sends {@code records} to a fresh topic that already holds a few records; the partition gets one
     * of {@code expected}, the log end offset stays, the same connection still appends a good batch,
     * and a real producer still appends after it.
     */
    private static void assertRefusedAndNothingWritten(
            String topic, Map<String, String> configs, MemoryRecords records, Errors... expected) throws Exception {
        Clients.createTopic(admin, topic, 1, configs);
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(broker.bootstrapServers())) {
            for (int i = 0; i < 3; i++) {
                producer.send(new ProducerRecord<>(topic, 0, null, bytes("before-" + i)))
                        .get(30, TimeUnit.SECONDS);
            }
        }
        assertThat(Clients.latest(admin, tp)).isEqualTo(3);
        try (RawKafkaClient raw = new RawKafkaClient(broker.kafkaPort())) {
            ProduceResponseData response = (ProduceResponseData) raw.send(
                    request(new ProduceRequestData.TopicProduceData()
                            .setName(topic)
                            .setPartitionData(List.of(new ProduceRequestData.PartitionProduceData()
                                    .setIndex(0)
                                    .setRecords(records)))),
                    VERSION);
            ProduceResponseData.PartitionProduceResponse partition = onlyPartition(response);
            assertThat(Errors.forCode(partition.errorCode()))
                    .as("error for the partition (message: %s)", partition.errorMessage())
                    .isIn((Object[]) expected);
            assertThat(partition.baseOffset()).isEqualTo(-1);
            assertThat(Clients.latest(admin, tp))
                    .as("log end offset after the refused batch")
                    .isEqualTo(3);

            // the connection is still served
            ProduceResponseData ok = (ProduceResponseData) raw.send(
                    request(new ProduceRequestData.TopicProduceData()
                            .setName(topic)
                            .setPartitionData(List.of(new ProduceRequestData.PartitionProduceData()
                                    .setIndex(0)
                                    .setRecords(
                                            batch(RecordBatch.MAGIC_VALUE_V2, System.currentTimeMillis(), 1, 10))))),
                    VERSION);
            assertThat(Errors.forCode(onlyPartition(ok).errorCode())).isEqualTo(Errors.NONE);
            assertThat(onlyPartition(ok).baseOffset()).isEqualTo(3);
        }
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(broker.bootstrapServers())) {
            assertThat(producer.send(new ProducerRecord<>(topic, 0, null, bytes("after")))
                            .get(30, TimeUnit.SECONDS)
                            .offset())
                    .isEqualTo(4);
        }
        List<ConsumerRecord<byte[], byte[]>> all = Clients.readAll(broker.bootstrapServers(), tp);
        assertThat(all).extracting(ConsumerRecord::offset).containsExactly(0L, 1L, 2L, 3L, 4L);
        assertThat(new String(all.getLast().value(), StandardCharsets.UTF_8)).isEqualTo("after");
    }

    private static ProduceRequestData request(ProduceRequestData.TopicProduceData data) {
        ProduceRequestData.TopicProduceDataCollection topics = new ProduceRequestData.TopicProduceDataCollection();
        topics.add(data);
        return new ProduceRequestData().setAcks((short) -1).setTimeoutMs(30_000).setTopicData(topics);
    }

    private static ProduceResponseData.PartitionProduceResponse onlyPartition(ProduceResponseData response) {
        assertThat(response.responses()).hasSize(1);
        List<ProduceResponseData.PartitionProduceResponse> partitions =
                response.responses().iterator().next().partitionResponses();
        assertThat(partitions).hasSize(1);
        return partitions.getFirst();
    }

    /** A batch at offset 0 with {@code count} records of {@code valueSize} random bytes. */
    private static MemoryRecords batch(byte magic, long timestamp, int count, int valueSize) {
        Random random = new Random(count * 31L + valueSize);
        MemoryRecordsBuilder builder = MemoryRecords.builder(
                ByteBuffer.allocate(1024), magic, Compression.NONE, TimestampType.CREATE_TIME, 0L);
        for (int i = 0; i < count; i++) {
            byte[] value = new byte[valueSize];
            random.nextBytes(value);
            builder.append(timestamp, bytes("key-" + i), value);
        }
        return builder.build();
    }

    private static byte[] toBytes(MemoryRecords records) {
        ByteBuffer buffer = records.buffer().duplicate();
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
