package io.runnel.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.testing.Clients;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * An idempotent acks=all producer writing increasing sequence numbers to every partition of a topic
 * on its own thread, recording where each acknowledged record landed, for checks that nothing
 * acknowledged is lost, duplicated or reordered.
 */
public final class SteadyProducer implements AutoCloseable {

    /** An acknowledged record: its partition, offset and sequence number. */
    public record Acked(int partition, long offset, long sequence, long ackedAtNanos) {}

    private final String topic;
    private final int partitions;
    private final KafkaProducer<byte[], byte[]> producer;
    private final List<Acked> acked = Collections.synchronizedList(new ArrayList<>());
    private final List<Exception> failures = Collections.synchronizedList(new ArrayList<>());
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong lastAck = new AtomicLong(System.nanoTime());
    private final Semaphore inFlight = new Semaphore(200);
    private final Thread thread;

    public SteadyProducer(String bootstrap, String topic, int partitions, Map<String, Object> overrides) {
        this.topic = topic;
        this.partitions = partitions;
        Map<String, Object> settings = new HashMap<>(
                Map.of("acks", "all", "enable.idempotence", "true", "linger.ms", "2", "delivery.timeout.ms", "120000"));
        settings.putAll(overrides);
        this.producer = Clients.producer(bootstrap, settings);
        this.thread = Thread.ofPlatform().name("steady-producer").start(this::run);
    }

    private void run() {
        long[] next = new long[partitions];
        while (running.get()) {
            for (int p = 0; p < partitions && running.get(); p++) {
                try {
                    inFlight.acquire();
                } catch (InterruptedException e) {
                    return;
                }
                int partition = p;
                long sequence = next[p]++;
                producer.send(
                        new ProducerRecord<>(
                                topic,
                                partition,
                                null,
                                ByteBuffer.allocate(8).putLong(0, sequence).array()),
                        (metadata, exception) -> {
                            inFlight.release();
                            if (exception != null) {
                                failures.add(exception);
                            } else {
                                long now = System.nanoTime();
                                lastAck.set(now);
                                acked.add(new Acked(partition, metadata.offset(), sequence, now));
                            }
                        });
            }
        }
    }

    public int ackedCount() {
        return acked.size();
    }

    public List<Acked> acked() {
        synchronized (acked) {
            return List.copyOf(acked);
        }
    }

    public List<Exception> failures() {
        synchronized (failures) {
            return List.copyOf(failures);
        }
    }

    /** The longest time between two consecutive acknowledgements, in milliseconds. */
    public long longestGapBetweenAcksMs() {
        List<Long> times = new ArrayList<>(
                acked().stream().map(Acked::ackedAtNanos).sorted().toList());
        long longest = 0;
        for (int i = 1; i < times.size(); i++) {
            longest = Math.max(longest, times.get(i) - times.get(i - 1));
        }
        return longest / 1_000_000;
    }

    /** Stops sending and waits for every send to be answered. */
    @Override
    public void close() throws InterruptedException {
        running.set(false);
        thread.join();
        producer.flush();
        producer.close();
    }

    /** Reads every partition back from the cluster and checks it with {@link #assertConsistentWith}. */
    public void assertConsistentWithLog(String bootstrap) {
        Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> read = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            TopicPartition tp = new TopicPartition(topic, p);
            read.put(tp, Clients.readAll(bootstrap, tp));
        }
        assertConsistentWith(read);
    }

    /**
     * Checks the records read back against what was acknowledged: every acknowledged record at its
     * offset, each sequence number once per partition, and sequence numbers increasing with offsets.
     */
    public void assertConsistentWith(Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> read) {
        Map<Integer, Map<Long, Long>> sequenceAtOffset = new HashMap<>();
        read.forEach((tp, records) -> {
            Map<Long, Long> byOffset = new HashMap<>();
            long previous = -1;
            for (ConsumerRecord<byte[], byte[]> record : records) {
                long sequence = ByteBuffer.wrap(record.value()).getLong();
                assertThat(sequence)
                        .as("%s offset %d: sequence numbers increase, none twice", tp, record.offset())
                        .isGreaterThan(previous);
                previous = sequence;
                byOffset.put(record.offset(), sequence);
            }
            sequenceAtOffset.put(tp.partition(), byOffset);
        });
        for (Acked ack : acked()) {
            assertThat(sequenceAtOffset.get(ack.partition()).get(ack.offset()))
                    .as(
                            "acknowledged sequence %d at %s-%d offset %d",
                            ack.sequence(), topic, ack.partition(), ack.offset())
                    .isEqualTo(ack.sequence());
        }
    }
}
