package io.runnel.log;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.testing.BrokerProcess;
import io.runnel.testing.Clients;
import io.runnel.testing.SegmentFiles;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The partition log after a crash: what was acknowledged survives SIGKILL, and a segment whose tail
 * is torn or overwritten is cut back to its last valid batch when the broker starts again.
 */
class LogRecoveryIT {

    private static final int VALUE_SIZE = 100;

    /**
     * SIGKILL while an idempotent producer (acks=all) is sending, twice: after each restart on the same
     * data every acknowledged record is at the offset it was acknowledged with, offsets have no gaps,
     * no record is there twice, each partition holds records in send order, and producing goes on.
     */
    @Test
    void acknowledgedRecordsSurviveSigkillWithoutGapsOrDuplicates() throws Exception {
        String topic = "killed";
        int partitions = 2;
        List<TopicPartition> tps = IntStream.range(0, partitions)
                .mapToObj(p -> new TopicPartition(topic, p))
                .toList();
        try (BrokerProcess broker = BrokerProcess.create("recovery-kill").start()) {
            try (Admin admin = broker.admin()) {
                Clients.createTopic(admin, topic, partitions, Map.of());
            }
            Map<Long, Long> ackedOffsets = new ConcurrentHashMap<>();
            AtomicLong nextSeq = new AtomicLong();
            for (int round = 0; round < 2; round++) {
                int ackedBefore = ackedOffsets.size();
                AtomicBoolean stop = new AtomicBoolean();
                KafkaProducer<byte[], byte[]> producer = Clients.producer(
                        broker.bootstrapServers(),
                        Map.of(
                                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                                ProducerConfig.ACKS_CONFIG, "all",
                                ProducerConfig.LINGER_MS_CONFIG, 2,
                                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 8_000,
                                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
                                ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000));
                Semaphore unacknowledged = new Semaphore(5_000); // keeps the sender from flooding the buffer
                Thread sender = Thread.ofPlatform().name("sender-" + round).start(() -> {
                    while (!stop.get()) {
                        try {
                            if (!unacknowledged.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                                continue;
                            }
                        } catch (InterruptedException e) {
                            return;
                        }
                        long seq = nextSeq.getAndIncrement();
                        try {
                            producer.send(
                                    new ProducerRecord<>(topic, (int) (seq % partitions), null, null, value(seq)),
                                    (metadata, e) -> {
                                        unacknowledged.release();
                                        if (e == null) {
                                            ackedOffsets.put(seq, metadata.offset());
                                        }
                                    });
                        } catch (RuntimeException e) {
                            unacknowledged.release(); // the broker is gone or the producer closed
                        }
                    }
                });
                Awaitility.await("acknowledgements before the kill")
                        .atMost(Duration.ofSeconds(90))
                        .until(() -> ackedOffsets.size() >= ackedBefore + 20_000);
                broker.kill();
                stop.set(true);
                sender.join(10_000);
                producer.close(Duration.ZERO);
                Map<Long, Long> acked = Map.copyOf(ackedOffsets); // no more acknowledgements can come
                System.out.printf(
                        "LogRecoveryIT round %d: killed with %d of %d sends acknowledged%n",
                        round, acked.size(), nextSeq.get());

                broker.start();
                Map<Integer, List<ConsumerRecord<byte[], byte[]>>> byPartition = new HashMap<>();
                Clients.readFromBeginning(
                        broker.bootstrapServers(),
                        tps,
                        Map.of(),
                        Duration.ofMinutes(2),
                        r -> byPartition
                                .computeIfAbsent(r.partition(), p -> new ArrayList<>())
                                .add(r));
                Set<Long> seen = new HashSet<>();
                Map<Long, Long> offsetOfSeq = new HashMap<>();
                for (int p = 0; p < partitions; p++) {
                    List<ConsumerRecord<byte[], byte[]>> records = byPartition.getOrDefault(p, List.of());
                    long previousSeq = -1;
                    for (int i = 0; i < records.size(); i++) {
                        ConsumerRecord<byte[], byte[]> r = records.get(i);
                        long seq = seqOf(r.value());
                        assertThat(r.offset())
                                .as("partition %d: offsets without gaps", p)
                                .isEqualTo(i);
                        assertThat(seen.add(seq)).as("record %d only once", seq).isTrue();
                        assertThat(seq % partitions)
                                .as("record %d in its partition", seq)
                                .isEqualTo(p);
                        assertThat(seq)
                                .as("partition %d in send order at offset %d", p, i)
                                .isGreaterThan(previousSeq);
                        previousSeq = seq;
                        offsetOfSeq.put(seq, r.offset());
                    }
                }
                List<String> lost = new ArrayList<>();
                acked.forEach((seq, offset) -> {
                    if (!offset.equals(offsetOfSeq.get(seq)) && lost.size() < 20) {
                        lost.add("record " + seq + " acknowledged at " + (seq % partitions) + "/" + offset
                                + ", found at " + offsetOfSeq.get(seq));
                    }
                });
                assertThat(lost)
                        .as("acknowledged records missing or moved (first 20)")
                        .isEmpty();
            }

            // the recovered log takes new records after the last one
            try (Admin admin = broker.admin();
                    KafkaProducer<byte[], byte[]> producer = Clients.producer(broker.bootstrapServers())) {
                long end = Clients.latest(admin, tps.getFirst());
                RecordMetadata metadata = producer.send(new ProducerRecord<>(topic, 0, null, null, value(-1)))
                        .get(30, TimeUnit.SECONDS);
                assertThat(metadata.offset()).isEqualTo(end);
            }
        }
    }

    /**
     * With the broker stopped, segments are damaged as a crash mid-write would leave them (the
     * clean-shutdown marker removed): a tail cut mid-batch, a tail overwritten with garbage from the
     * middle of a batch or from a batch boundary, and zeros past the last batch. On start each log
     * is cut back to its last intact batch: the earlier records are all read, the log end offset is
     * the number of intact records, and new records follow them.
     */
    @Test
    void aTornOrGarbageSegmentTailIsCutBackToTheLastValidBatch() throws Exception {
        int batches = 20;
        int perBatch = 10;
        List<String> topics = List.of("torn", "garbage-mid-batch", "garbage-at-boundary", "zero-tail");
        try (BrokerProcess broker = BrokerProcess.create("recovery-damage").start()) {
            try (Admin admin = broker.admin();
                    KafkaProducer<byte[], byte[]> producer = Clients.producer(
                            broker.bootstrapServers(), Map.of(ProducerConfig.LINGER_MS_CONFIG, 1_000))) {
                for (String topic : topics) {
                    Clients.createTopic(admin, topic, 1, Map.of());
                    for (int b = 0; b < batches; b++) {
                        List<Future<RecordMetadata>> sent = new ArrayList<>();
                        for (int i = 0; i < perBatch; i++) {
                            sent.add(producer.send(
                                    new ProducerRecord<>(topic, 0, null, null, value((long) b * perBatch + i))));
                        }
                        producer.flush();
                        for (Future<RecordMetadata> f : sent) {
                            f.get();
                        }
                    }
                }
            }
            broker.stop();
            assertThat(SegmentFiles.cleanShutdownMarker(broker)).exists();

            Map<String, Long> intactRecords = new HashMap<>();
            Map<String, Long> intactBytes = new HashMap<>();
            Random random = new Random(20261125L);
            for (String topic : topics) {
                Path segment = SegmentFiles.segment(broker, new TopicPartition(topic, 0), 0);
                List<SegmentFiles.BatchPosition> positions = SegmentFiles.batches(segment);
                assertThat(positions).as("batches in %s", segment).hasSize(batches);
                assertThat(positions)
                        .allSatisfy(
                                p -> assertThat(p.lastOffset() - p.baseOffset()).isEqualTo(perBatch - 1));
                long size = Files.size(segment);
                try (RandomAccessFile file = new RandomAccessFile(segment.toFile(), "rw")) {
                    switch (topic) {
                        case "torn" -> {
                            SegmentFiles.BatchPosition last = positions.getLast();
                            file.setLength(last.position() + last.size() / 2);
                            intactRecords.put(topic, (long) (batches - 1) * perBatch);
                            intactBytes.put(topic, (long) last.position());
                        }
                        case "garbage-mid-batch" -> {
                            SegmentFiles.BatchPosition hit = positions.get(14);
                            overwrite(file, hit.position() + hit.size() / 2, size, random);
                            intactRecords.put(topic, 14L * perBatch);
                            intactBytes.put(topic, (long) hit.position());
                        }
                        case "garbage-at-boundary" -> {
                            SegmentFiles.BatchPosition hit = positions.get(11);
                            overwrite(file, hit.position(), size, random);
                            intactRecords.put(topic, 11L * perBatch);
                            intactBytes.put(topic, (long) hit.position());
                        }
                        case "zero-tail" -> {
                            file.setLength(size + 8_192); // extended, never written: reads as zeros
                            intactRecords.put(topic, (long) batches * perBatch);
                            intactBytes.put(topic, size);
                        }
                        default -> throw new IllegalStateException(topic);
                    }
                }
            }
            Files.delete(SegmentFiles.cleanShutdownMarker(broker));

            broker.start();
            try (Admin admin = broker.admin()) {
                for (String topic : topics) {
                    TopicPartition tp = new TopicPartition(topic, 0);
                    long intact = intactRecords.get(topic);
                    assertThat(Files.size(SegmentFiles.segment(broker, tp, 0)))
                            .as("%s: segment file cut after its last valid batch", topic)
                            .isEqualTo(intactBytes.get(topic));
                    assertThat(Clients.earliest(admin, tp))
                            .as("%s earliest", topic)
                            .isZero();
                    assertThat(Clients.latest(admin, tp)).as("%s latest", topic).isEqualTo(intact);
                    assertThat(Clients.readAll(broker.bootstrapServers(), tp))
                            .as("%s: every intact record", topic)
                            .extracting(r -> seqOf(r.value()))
                            .containsExactlyElementsOf(IntStream.range(0, (int) intact)
                                    .mapToObj(i -> (long) i)
                                    .toList());
                }
            }
            try (KafkaProducer<byte[], byte[]> producer = Clients.producer(broker.bootstrapServers())) {
                for (String topic : topics) {
                    long intact = intactRecords.get(topic);
                    for (long i = 0; i < 5; i++) {
                        RecordMetadata metadata = producer.send(
                                        new ProducerRecord<>(topic, 0, null, null, value(1_000_000 + i)))
                                .get(30, TimeUnit.SECONDS);
                        assertThat(metadata.offset()).as("%s new record", topic).isEqualTo(intact + i);
                    }
                }
            }
            for (String topic : topics) {
                TopicPartition tp = new TopicPartition(topic, 0);
                long intact = intactRecords.get(topic);
                List<Long> expected = new ArrayList<>(
                        IntStream.range(0, (int) intact).mapToObj(i -> (long) i).toList());
                for (long i = 0; i < 5; i++) {
                    expected.add(1_000_000 + i);
                }
                assertThat(Clients.readAll(broker.bootstrapServers(), tp))
                        .as("%s: intact records, then the new ones", topic)
                        .extracting(r -> seqOf(r.value()))
                        .containsExactlyElementsOf(expected);
            }
        }
    }

    private static void overwrite(RandomAccessFile file, long from, long to, Random random) throws IOException {
        byte[] garbage = new byte[(int) (to - from)];
        random.nextBytes(garbage);
        file.seek(from);
        file.write(garbage);
    }

    private static byte[] value(long seq) {
        return ByteBuffer.allocate(VALUE_SIZE).putLong(seq).array();
    }

    private static long seqOf(byte[] value) {
        return ByteBuffer.wrap(value).getLong();
    }
}
