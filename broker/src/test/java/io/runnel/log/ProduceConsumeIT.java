package io.runnel.log;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.testing.BrokerProcess;
import io.runnel.testing.Clients;
import io.runnel.testing.SegmentFiles;
import io.runnel.testing.SharedBroker;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.CompressionType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Stock Kafka producers and consumers against the partition log: everything sent comes back once,
 * in order, whatever the compression; ListOffsets answers as Kafka does; fetches long-poll.
 */
class ProduceConsumeIT {

    /** Recent enough for the default retention.ms (7 days); records carry it plus their index. */
    static final long BASE_TIMESTAMP = System.currentTimeMillis() - 60_000;

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

    /**
     * A million keyed records from a default (idempotent) producer over six partitions come back
     * complete, each once, in send order within each partition, and each key in a single partition.
     */
    @Test
    void aMillionKeyedRecordsComeBackCompleteOnceAndInOrder() throws Exception {
        String topic = "million";
        int partitions = 6;
        int keys = 10_000;
        int perKey = 100;
        int total = keys * perKey;
        Clients.createTopic(admin, topic, partitions, Map.of());

        byte[][] keyBytes = new byte[keys][];
        for (int k = 0; k < keys; k++) {
            keyBytes[k] = ("key-" + k).getBytes(StandardCharsets.UTF_8);
        }
        AtomicLong acked = new AtomicLong();
        AtomicReference<Exception> firstError = new AtomicReference<>();
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(broker.bootstrapServers())) {
            for (int i = 0; i < total; i++) {
                int key = i % keys;
                int keySeq = i / keys;
                ByteBuffer value =
                        ByteBuffer.allocate(16).putInt(key).putInt(keySeq).putLong(i);
                producer.send(new ProducerRecord<>(topic, keyBytes[key], value.array()), (metadata, e) -> {
                    if (e != null) {
                        firstError.compareAndSet(null, e);
                    } else {
                        acked.incrementAndGet();
                    }
                });
            }
            producer.flush();
        }
        assertThat(firstError.get()).as("first failed send").isNull();
        assertThat(acked.get()).isEqualTo(total);

        List<TopicPartition> tps = IntStream.range(0, partitions)
                .mapToObj(p -> new TopicPartition(topic, p))
                .toList();
        long endSum = 0;
        for (TopicPartition tp : tps) {
            assertThat(Clients.earliest(admin, tp)).isZero();
            endSum += Clients.latest(admin, tp);
        }
        assertThat(endSum).as("sum of the partitions' log end offsets").isEqualTo(total);

        int[] partitionOfKey = new int[keys];
        Arrays.fill(partitionOfKey, -1);
        int[] nextKeySeq = new int[keys];
        long[] nextOffset = new long[partitions];
        long[] lastSendSeq = new long[partitions];
        Arrays.fill(lastSendSeq, -1);
        BitSet seen = new BitSet(total);
        List<String> problems = new ArrayList<>();
        AtomicLong read = new AtomicLong();
        Clients.readFromBeginning(
                broker.bootstrapServers(),
                tps,
                Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000),
                Duration.ofMinutes(4),
                record -> {
                    read.incrementAndGet();
                    int p = record.partition();
                    ByteBuffer value = ByteBuffer.wrap(record.value());
                    int key = value.getInt();
                    int keySeq = value.getInt();
                    long sendSeq = value.getLong();
                    if (record.offset() != nextOffset[p]) {
                        problem(
                                problems,
                                "partition " + p + ": offset " + record.offset() + ", expected " + nextOffset[p]);
                    }
                    nextOffset[p] = record.offset() + 1;
                    if (sendSeq <= lastSendSeq[p]) {
                        problem(
                                problems,
                                "partition " + p + " offset " + record.offset() + ": send sequence " + sendSeq
                                        + " after " + lastSendSeq[p]);
                    }
                    lastSendSeq[p] = sendSeq;
                    if (seen.get((int) sendSeq)) {
                        problem(
                                problems,
                                "send " + sendSeq + " read twice (again at " + p + "/" + record.offset() + ")");
                    }
                    seen.set((int) sendSeq);
                    if (!Arrays.equals(record.key(), keyBytes[key])) {
                        problem(problems, "offset " + p + "/" + record.offset() + ": key does not match value");
                    }
                    if (partitionOfKey[key] == -1) {
                        partitionOfKey[key] = p;
                    } else if (partitionOfKey[key] != p) {
                        problem(problems, "key " + key + " in partitions " + partitionOfKey[key] + " and " + p);
                    }
                    if (keySeq != nextKeySeq[key]) {
                        problem(
                                problems,
                                "key " + key + ": sequence " + keySeq + " where " + nextKeySeq[key] + " was due (" + p
                                        + "/" + record.offset() + ")");
                    }
                    nextKeySeq[key] = keySeq + 1;
                });
        assertThat(problems).as("order and uniqueness problems (first 20)").isEmpty();
        assertThat(read.get()).isEqualTo(total);
        assertThat(seen.cardinality()).isEqualTo(total);
        assertThat(nextKeySeq).containsOnly(perKey);
        // with six partitions and 10,000 keys, every partition got some
        assertThat(Arrays.stream(nextOffset).min().orElseThrow()).isPositive();
    }

    private static void problem(List<String> problems, String description) {
        if (problems.size() < 20) {
            problems.add(description);
        }
    }

    /**
     * Records produced with each codec are stored as the producer compressed them (byte for byte, so
     * the batches on disk carry the codec) and a consumer with default settings reads them intact.
     */
    @ParameterizedTest
    @ValueSource(strings = {"none", "gzip", "snappy", "lz4", "zstd"})
    void eachCompressionCodecRoundTrips(String codec) throws Exception {
        String topic = "codec-" + codec;
        Clients.createTopic(admin, topic, 1, Map.of());
        TopicPartition tp = new TopicPartition(topic, 0);
        int count = 2_000;
        produceWithCodec(topic, codec, count);

        List<ConsumerRecord<byte[], byte[]>> records = Clients.readAll(broker.bootstrapServers(), tp);
        assertRecordsIntact(records, count);

        Path segment = SegmentFiles.segment(broker, tp, 0);
        List<SegmentFiles.BatchPosition> batches = SegmentFiles.batches(segment);
        assertThat(batches).as("batches in %s", segment).hasSizeLessThan(count);
        assertThat(batches)
                .extracting(SegmentFiles.BatchPosition::compressionId)
                .containsOnly((byte) CompressionType.forName(codec).id);
    }

    /**
     * On a compacted topic the broker has to look inside compressed batches (for keys); each codec is
     * still accepted and read back intact.
     */
    @ParameterizedTest
    @ValueSource(strings = {"none", "gzip", "snappy", "lz4", "zstd"})
    void eachCompressionCodecRoundTripsOnACompactedTopic(String codec) throws Exception {
        String topic = "codec-compacted-" + codec;
        Clients.createTopic(admin, topic, 1, Map.of("cleanup.policy", "compact"));
        TopicPartition tp = new TopicPartition(topic, 0);
        int count = 500;
        produceWithCodec(topic, codec, count);
        assertRecordsIntact(Clients.readAll(broker.bootstrapServers(), tp), count);
    }

    private static void produceWithCodec(String topic, String codec, int count) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(
                broker.bootstrapServers(),
                Map.of(
                        ProducerConfig.COMPRESSION_TYPE_CONFIG, codec,
                        ProducerConfig.LINGER_MS_CONFIG, 50,
                        ProducerConfig.BATCH_SIZE_CONFIG, 65_536))) {
            List<java.util.concurrent.Future<RecordMetadata>> sent = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                RecordHeaders headers = new RecordHeaders();
                headers.add("n", String.valueOf(i).getBytes(StandardCharsets.UTF_8));
                sent.add(producer.send(
                        new ProducerRecord<>(topic, null, BASE_TIMESTAMP + i, key(i), value(i), headers)));
            }
            producer.flush();
            for (int i = 0; i < count; i++) {
                assertThat(sent.get(i).get().offset()).isEqualTo(i);
            }
        }
    }

    private static void assertRecordsIntact(List<ConsumerRecord<byte[], byte[]>> records, int count) {
        assertThat(records).hasSize(count);
        for (int i = 0; i < count; i++) {
            ConsumerRecord<byte[], byte[]> record = records.get(i);
            assertThat(record.offset()).isEqualTo(i);
            assertThat(record.key()).isEqualTo(key(i));
            assertThat(record.value()).isEqualTo(value(i));
            assertThat(record.timestamp()).isEqualTo(BASE_TIMESTAMP + i);
            assertThat(record.headers().lastHeader("n").value())
                    .isEqualTo(String.valueOf(i).getBytes(StandardCharsets.UTF_8));
        }
    }

    private static byte[] key(int i) {
        return ("key-" + i).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] value(int i) {
        return ("value " + i + " " + "compressible text, ".repeat(1 + i % 7)).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * ListOffsets through the AdminClient: earliest, latest, the earliest offset whose timestamp is
     * at or after a given time (inside a multi-record batch and across single-record batches; an
     * earlier record with a larger timestamp wins over a later exact match, as in Kafka), none past
     * the newest timestamp, and the record with the largest timestamp, inside its batch.
     */
    @Test
    void listOffsetsFindsEarliestLatestByTimestampAndMaxTimestamp() throws Exception {
        String topic = "list-offsets";
        Clients.createTopic(admin, topic, 1, Map.of());
        TopicPartition tp = new TopicPartition(topic, 0);

        assertThat(Clients.earliest(admin, tp)).isZero();
        assertThat(Clients.latest(admin, tp)).isZero();
        assertThat(Clients.listOffset(admin, tp, OffsetSpec.forTimestamp(0)).offset())
                .isEqualTo(-1);

        long t0 = System.currentTimeMillis() - Duration.ofDays(1).toMillis();
        long[] timestamps = new long[25];
        for (int i = 0; i < 20; i++) {
            timestamps[i] = t0 + (i < 10 ? 0 : 100_000) + i * 1_000L;
        }
        long maxTimestamp = t0 + 1_000_000;
        timestamps[20] = t0 + 200_000;
        timestamps[21] = t0 + 201_000;
        timestamps[22] = maxTimestamp;
        timestamps[23] = t0 + 202_000;
        timestamps[24] = t0 + 203_000;
        try (KafkaProducer<byte[], byte[]> producer =
                Clients.producer(broker.bootstrapServers(), Map.of(ProducerConfig.LINGER_MS_CONFIG, 1_000))) {
            // offsets 0-9 in one batch (linger)
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, null, timestamps[i], key(i), value(i)));
            }
            producer.flush();
            // offsets 10-19, one batch each
            for (int i = 10; i < 20; i++) {
                producer.send(new ProducerRecord<>(topic, null, timestamps[i], key(i), value(i)));
                producer.flush();
            }
            // offsets 20-24 in one batch, the largest timestamp in its middle
            for (int i = 20; i < 25; i++) {
                producer.send(new ProducerRecord<>(topic, null, timestamps[i], key(i), value(i)));
            }
            producer.flush();
        }
        List<SegmentFiles.BatchPosition> batches = SegmentFiles.batches(SegmentFiles.segment(broker, tp, 0));
        assertThat(batches)
                .extracting(b -> b.baseOffset() + "-" + b.lastOffset())
                .containsExactly(
                        "0-9", "10-10", "11-11", "12-12", "13-13", "14-14", "15-15", "16-16", "17-17", "18-18", "19-19",
                        "20-24");

        assertThat(Clients.earliest(admin, tp)).isZero();
        assertThat(Clients.latest(admin, tp)).isEqualTo(25);

        assertOffsetForTimestamp(tp, t0, 0, t0);
        assertOffsetForTimestamp(tp, t0 + 2_500, 3, t0 + 3_000);
        assertOffsetForTimestamp(tp, t0 + 9_001, 10, timestamps[10]);
        assertOffsetForTimestamp(tp, timestamps[12], 12, timestamps[12]);
        assertOffsetForTimestamp(tp, timestamps[12] - 1, 12, timestamps[12]);
        assertOffsetForTimestamp(tp, t0 + 200_500, 21, t0 + 201_000);
        // offset 22 is the first at or after this time, though 23 is the closer match
        assertOffsetForTimestamp(tp, t0 + 202_000, 22, maxTimestamp);
        assertOffsetForTimestamp(tp, maxTimestamp, 22, maxTimestamp);

        assertThat(Clients.listOffset(admin, tp, OffsetSpec.forTimestamp(maxTimestamp + 1))
                        .offset())
                .as("no record at or after a time past the newest timestamp")
                .isEqualTo(-1);

        ListOffsetsResultInfo max = Clients.listOffset(admin, tp, OffsetSpec.maxTimestamp());
        assertThat(max.offset()).isEqualTo(22);
        assertThat(max.timestamp()).isEqualTo(maxTimestamp);
    }

    private static void assertOffsetForTimestamp(TopicPartition tp, long query, long offset, long timestamp)
            throws Exception {
        ListOffsetsResultInfo found = Clients.listOffset(admin, tp, OffsetSpec.forTimestamp(query));
        assertThat(found.offset()).as("offset for timestamp %d", query).isEqualTo(offset);
        assertThat(found.timestamp())
                .as("timestamp of the offset for %d", query)
                .isEqualTo(timestamp);
    }

    /**
     * A fetch that asks for far more bytes than there are still answers once fetch.max.wait.ms is up,
     * so the consumer gets the records.
     */
    @Test
    void aFetchWaitingForMoreBytesThanThereAreReturnsWhenItsWaitIsUp() throws Exception {
        String topic = "long-poll-min-bytes";
        Clients.createTopic(admin, topic, 1, Map.of());
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(broker.bootstrapServers())) {
            for (int i = 0; i < 3; i++) {
                producer.send(new ProducerRecord<>(topic, key(i), value(i))).get();
            }
        }
        try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(
                broker.bootstrapServers(),
                Map.of(
                        ConsumerConfig.FETCH_MIN_BYTES_CONFIG, 10_000_000,
                        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 500))) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            List<ConsumerRecord<byte[], byte[]>> got = pollUntil(consumer, 3, Duration.ofSeconds(30));
            assertThat(got).extracting(ConsumerRecord::offset).containsExactly(0L, 1L, 2L);
        }
    }

    /** A consumer parked on an empty partition receives a record produced after it started waiting. */
    @Test
    void aConsumerWaitingOnAnEmptyPartitionReceivesARecordProducedLater() throws Exception {
        String topic = "long-poll-late-record";
        Clients.createTopic(admin, topic, 1, Map.of());
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(
                        broker.bootstrapServers(), Map.of(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 5_000));
                KafkaProducer<byte[], byte[]> producer = Clients.producer(broker.bootstrapServers())) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long until = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            while (System.nanoTime() < until) {
                assertThat(consumer.poll(Duration.ofMillis(200))).isEmpty();
            }
            long sentAt = System.nanoTime();
            producer.send(new ProducerRecord<>(topic, key(1), value(1))).get();
            List<ConsumerRecord<byte[], byte[]>> got = pollUntil(consumer, 1, Duration.ofSeconds(30));
            assertThat(got).hasSize(1);
            assertThat(got.getFirst().value()).isEqualTo(value(1));
            System.out.printf(
                    "record produced to a waiting consumer arrived after %d ms%n",
                    Duration.ofNanos(System.nanoTime() - sentAt).toMillis());
        }
    }

    private static List<ConsumerRecord<byte[], byte[]>> pollUntil(
            KafkaConsumer<byte[], byte[]> consumer, int count, Duration timeout) {
        List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (got.size() < count && System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(200)).forEach(got::add);
        }
        return got;
    }
}
