package io.runnel.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnel.testing.BrokerProcess;
import io.runnel.testing.Clients;
import io.runnel.testing.SegmentFiles;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DeletedRecords;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The log start moves: whole segments go by age (retention.ms) and by size (retention.bytes), the
 * low watermark moves by DeleteRecords, and compaction keeps only the latest record of each key.
 * Consumers positioned before the log start get Kafka's auto.offset.reset behaviour.
 */
class RetentionIT {

    /** segment.bytes may not be smaller than 1 MiB (Kafka's validator). */
    private static final int SEGMENT_BYTES = 1_048_576;

    private static final int BIG_VALUE = 100_000;

    static BrokerProcess broker;
    static Admin admin;

    @BeforeAll
    static void start() {
        broker = BrokerProcess.create("retention")
                .set("runnel.log.retention-check-interval-ms", "500")
                .set("runnel.log.cleaner-interval-ms", "1000")
                .start();
        admin = broker.admin();
    }

    @AfterAll
    static void stop() {
        if (admin != null) {
            admin.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    /**
     * Segments whose records are all older than retention.ms are deleted and the earliest offset
     * moves to the first remaining segment; the segment holding recent records stays. A consumer
     * positioned before the new log start resets to it with auto.offset.reset=earliest, and gets
     * OffsetOutOfRangeException with none.
     */
    @Test
    void segmentsOlderThanRetentionMsAreDeletedAndTheEarliestOffsetAdvances() throws Exception {
        String topic = "aged";
        TopicPartition tp = new TopicPartition(topic, 0);
        Clients.createTopic(
                admin, topic, 1, Map.of("segment.bytes", String.valueOf(SEGMENT_BYTES), "retention.ms", "600000"));
        int old = 40;
        int recent = 15;
        long now = System.currentTimeMillis();
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(broker.bootstrapServers())) {
            for (int i = 0; i < old + recent; i++) {
                long timestamp = i < old ? now - Duration.ofHours(2).toMillis() + i : now + i;
                producer.send(new ProducerRecord<>(topic, 0, timestamp, null, bigValue(i)));
            }
            producer.flush();
        }
        // the segment that holds offset `old` (the first recent record) must stay; all before it go
        long keptBase = SegmentFiles.baseOffsets(broker, tp).stream()
                .filter(base -> base <= old)
                .max(Long::compare)
                .orElseThrow();
        assertThat(keptBase)
                .as("records of %d bytes roll 1 MiB segments", BIG_VALUE)
                .isPositive();
        Awaitility.await("earliest offset moved to " + keptBase)
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> Clients.earliest(admin, tp) == keptBase);
        assertThat(SegmentFiles.baseOffsets(broker, tp).getFirst()).isEqualTo(keptBase);
        assertThat(Clients.latest(admin, tp)).isEqualTo(old + recent);
        // nothing recent is deleted, however long retention keeps checking
        Thread.sleep(1_500);
        assertThat(Clients.earliest(admin, tp)).isEqualTo(keptBase);

        List<ConsumerRecord<byte[], byte[]>> rest = Clients.readAll(broker.bootstrapServers(), tp);
        assertThat(rest).extracting(ConsumerRecord::offset).first().isEqualTo(keptBase);
        assertThat(rest).hasSize((int) (old + recent - keptBase));
        for (ConsumerRecord<byte[], byte[]> r : rest) {
            assertThat(ByteBuffer.wrap(r.value()).getInt()).isEqualTo((int) r.offset());
        }

        assertConsumerBeforeLogStart(tp, keptBase);
    }

    private static void assertConsumerBeforeLogStart(TopicPartition tp, long logStart) {
        try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(
                broker.bootstrapServers(), Map.of(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"))) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, 0);
            List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (got.isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(got::add);
            }
            assertThat(got).as("records after reset to earliest").isNotEmpty();
            assertThat(got.getFirst().offset()).isEqualTo(logStart);
        }
        try (KafkaConsumer<byte[], byte[]> consumer =
                Clients.consumer(broker.bootstrapServers(), Map.of(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none"))) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, 0);
            assertThatThrownBy(() -> {
                        long deadline =
                                System.nanoTime() + Duration.ofSeconds(30).toNanos();
                        while (System.nanoTime() < deadline) {
                            ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
                            if (!records.isEmpty()) {
                                throw new AssertionError("got records from offset "
                                        + records.iterator().next().offset());
                            }
                        }
                    })
                    .isInstanceOf(OffsetOutOfRangeException.class)
                    .satisfies(e -> assertThat(((OffsetOutOfRangeException) e).offsetOutOfRangePartitions())
                            .containsEntry(tp, 0L));
        }
    }

    /**
     * With retention.bytes, the oldest segments go while the log would still hold at least
     * retention.bytes without them.
     */
    @Test
    void oldestSegmentsGoOnceTheLogExceedsRetentionBytes() throws Exception {
        String topic = "sized";
        TopicPartition tp = new TopicPartition(topic, 0);
        long retentionBytes = 2L * SEGMENT_BYTES;
        Clients.createTopic(
                admin,
                topic,
                1,
                Map.of(
                        "segment.bytes",
                        String.valueOf(SEGMENT_BYTES),
                        "retention.bytes",
                        String.valueOf(retentionBytes)));
        int count = 60; // about 6 MB, six segments
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(broker.bootstrapServers())) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, 0, null, null, bigValue(i)));
            }
            producer.flush();
        }
        Awaitility.await("segments deleted down to retention.bytes")
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    List<Long> sizes = SegmentFiles.sizes(broker, tp);
                    long total = sizes.stream().mapToLong(Long::longValue).sum();
                    return total - sizes.getFirst() < retentionBytes;
                });
        List<Long> sizes = SegmentFiles.sizes(broker, tp);
        long total = sizes.stream().mapToLong(Long::longValue).sum();
        assertThat(total).as("the log keeps at least retention.bytes").isGreaterThanOrEqualTo(retentionBytes);
        long earliest = Clients.earliest(admin, tp);
        assertThat(earliest)
                .isPositive()
                .isEqualTo(SegmentFiles.baseOffsets(broker, tp).getFirst());
        assertThat(Clients.latest(admin, tp)).isEqualTo(count);
        List<ConsumerRecord<byte[], byte[]>> rest = Clients.readAll(broker.bootstrapServers(), tp);
        assertThat(rest).hasSize((int) (count - earliest));
        assertThat(rest.getFirst().offset()).isEqualTo(earliest);
    }

    /**
     * Admin.deleteRecords moves the low watermark to the given offset: the earliest offset follows,
     * consumers start there, and a consumer before it resets; deleting past the high watermark fails
     * with OffsetOutOfRange.
     */
    @Test
    void deleteRecordsAdvancesTheLowWatermark() throws Exception {
        String topic = "truncated-front";
        TopicPartition tp = new TopicPartition(topic, 0);
        Clients.createTopic(admin, topic, 1, Map.of());
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(broker.bootstrapServers())) {
            for (int i = 0; i < 100; i++) {
                producer.send(new ProducerRecord<>(topic, 0, null, null, smallValue(i)));
            }
            producer.flush();
        }
        DeletedRecords deleted = admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(40)))
                .lowWatermarks()
                .get(tp)
                .get();
        assertThat(deleted.lowWatermark()).isEqualTo(40);
        assertThat(Clients.earliest(admin, tp)).isEqualTo(40);
        assertThat(Clients.latest(admin, tp)).isEqualTo(100);
        List<ConsumerRecord<byte[], byte[]>> rest = Clients.readAll(broker.bootstrapServers(), tp);
        assertThat(rest).extracting(ConsumerRecord::offset).first().isEqualTo(40L);
        assertThat(rest).hasSize(60);
        assertThat(rest)
                .allSatisfy(r -> assertThat(ByteBuffer.wrap(r.value()).getInt()).isEqualTo((int) r.offset()));
        assertConsumerBeforeLogStart(tp, 40);

        // a smaller offset than the low watermark leaves it where it is
        assertThat(admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(10)))
                        .lowWatermarks()
                        .get(tp)
                        .get()
                        .lowWatermark())
                .isEqualTo(40);
        assertThatThrownBy(() -> admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(101)))
                        .lowWatermarks()
                        .get(tp)
                        .get())
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(org.apache.kafka.common.errors.OffsetOutOfRangeException.class);
        // up to the high watermark: nothing left to read, new records still get the next offsets
        assertThat(admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(100)))
                        .lowWatermarks()
                        .get(tp)
                        .get()
                        .lowWatermark())
                .isEqualTo(100);
        assertThat(Clients.earliest(admin, tp)).isEqualTo(100);
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(broker.bootstrapServers())) {
            assertThat(producer.send(new ProducerRecord<>(topic, 0, null, null, smallValue(100)))
                            .get()
                            .offset())
                    .isEqualTo(100);
        }
        assertThat(Clients.readAll(broker.bootstrapServers(), tp))
                .extracting(ConsumerRecord::offset)
                .containsExactly(100L);
    }

    /**
     * cleanup.policy=compact: after several rounds of writes over the same keys, some deleted with
     * tombstones and some of those written again, then tombstones alone in a segment of their own,
     * the sealed segments hold exactly one record per
     * live key, its latest value, and no deleted key once delete.retention.ms has passed; the whole
     * log read from the beginning ends with the latest value of every key.
     */
    @Test
    void compactionKeepsOnlyTheLatestValueOfEachKey() throws Exception {
        String topic = "compacted";
        TopicPartition tp = new TopicPartition(topic, 0);
        Clients.createTopic(
                admin,
                topic,
                1,
                Map.of(
                        "cleanup.policy", "compact",
                        "segment.ms", "300",
                        "delete.retention.ms", "500",
                        "min.cleanable.dirty.ratio", "0.01"));
        int keys = 100;
        int rounds = 5;
        Map<String, String> expected = new LinkedHashMap<>();
        try (KafkaProducer<byte[], byte[]> producer =
                Clients.producer(broker.bootstrapServers(), Map.of(ProducerConfig.LINGER_MS_CONFIG, 5))) {
            for (int round = 0; round < rounds; round++) {
                for (int k = 0; k < keys; k++) {
                    String key = "key-" + k;
                    String value;
                    if (round == 3 && k % 10 == 0) {
                        value = null; // deleted
                    } else if (round == 4 && k % 10 == 0 && k % 20 != 0) {
                        continue; // stays deleted
                    } else {
                        value = "value-" + k + "-round-" + round;
                    }
                    producer.send(new ProducerRecord<>(topic, 0, bytes(key), bytes(value)));
                    if (value == null) {
                        expected.remove(key);
                    } else {
                        expected.put(key, value);
                    }
                }
                producer.flush();
                Thread.sleep(500); // past segment.ms: the next round's first append rolls a segment
            }
            // tombstones alone in a segment: nothing else there to clean, they still go in time
            for (int k = 1; k <= 3; k++) {
                producer.send(new ProducerRecord<>(topic, 0, bytes("key-" + k), null));
                expected.remove("key-" + k);
            }
            producer.flush();
            Thread.sleep(500);
            // seals the last segment written above
            producer.send(new ProducerRecord<>(topic, 0, bytes("roll"), bytes("roll")))
                    .get();
        }
        expected.put("roll", "roll");
        assertThat(SegmentFiles.baseOffsets(broker, tp)).as("segments rolled").hasSizeGreaterThanOrEqualTo(rounds);
        long end = Clients.latest(admin, tp);
        assertThat(end).isEqualTo((long) keys * rounds - keys / 20 + 3 + 1);

        try {
            Awaitility.await("sealed segments compacted")
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofSeconds(1))
                    .untilAsserted(() -> {
                        long activeBase = SegmentFiles.baseOffsets(broker, tp).getLast();
                        List<ConsumerRecord<byte[], byte[]>> all = Clients.readAll(broker.bootstrapServers(), tp);
                        Map<String, String> sealed = new HashMap<>();
                        Set<String> duplicates = new HashSet<>();
                        Set<String> tombstones = new HashSet<>();
                        Map<String, String> latest = new HashMap<>();
                        for (ConsumerRecord<byte[], byte[]> r : all) {
                            String key = string(r.key());
                            String value = string(r.value());
                            if (value == null) {
                                latest.remove(key);
                            } else {
                                latest.put(key, value);
                            }
                            if (r.offset() < activeBase) {
                                if (sealed.containsKey(key)) {
                                    duplicates.add(key);
                                }
                                sealed.put(key, value);
                                if (value == null) {
                                    tombstones.add(key);
                                }
                            }
                        }
                        assertThat(latest)
                                .as("latest value per key over the whole log")
                                .isEqualTo(expected);
                        assertThat(duplicates)
                                .as("keys more than once in sealed segments")
                                .isEmpty();
                        assertThat(tombstones)
                                .as("tombstones past delete.retention.ms")
                                .isEmpty();
                        Map<String, String> expectedSealed = new HashMap<>(expected);
                        expectedSealed.remove("roll");
                        assertThat(sealed).as("sealed segments").isEqualTo(expectedSealed);
                    });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(
                    e.getMessage() + "\nbroker cleaner log:\n" + linesOf(broker.log(), "LogCleaner"), e);
        }
        // compaction leaves offsets and the log end as they were
        assertThat(Clients.latest(admin, tp)).isEqualTo(end);
        assertThat(Clients.earliest(admin, tp)).isZero();
    }

    private static String linesOf(String log, String containing) {
        return log.lines().filter(line -> line.contains(containing)).collect(Collectors.joining("\n"));
    }

    private static byte[] bigValue(int i) {
        return ByteBuffer.allocate(BIG_VALUE).putInt(i).array();
    }

    private static byte[] smallValue(int i) {
        return ByteBuffer.allocate(16).putInt(i).array();
    }

    private static byte[] bytes(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    private static String string(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }
}
