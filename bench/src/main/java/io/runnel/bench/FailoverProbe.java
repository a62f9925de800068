package io.runnel.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A steady acks=all idempotent producer across a broker failure, recording when each record was sent
 * and acknowledged.
 *
 * <p>{@code steady BOOTSTRAP TOPIC PARTITIONS RATE SIZE SETTLE_MS TAIL_MS TIMEOUT_MS}: sends RATE
 * records/s of SIZE bytes round-robin over the partitions (open loop: a fixed schedule, not waiting
 * for acknowledgements), each value starting with the partition's next sequence number. SETTLE_MS
 * after the first acknowledgement it prints {@code steady=1}, the current {@code leader_P} of every partition and the
 * {@code controller}, then reads one line {@code event EPOCH_MICROS} from stdin: the wall-clock time
 * at which the harness signalled a broker (same machine, same clock). It keeps sending until every
 * partition has acknowledged a record sent after the event (or TIMEOUT_MS passed), then TAIL_MS more,
 * stops, waits for every send to be answered, and prints:
 *
 * <ul>
 *   <li>{@code gap_before_ms}, {@code latency_before_p50_ms}, {@code latency_before_p99_ms}: the
 *       baseline — the longest time between two consecutive acknowledgements (any partition), and the
 *       send-to-acknowledgement latency of the records sent, from the second half of the settle period
 *       until the event;
 *   <li>{@code gap_max_ms} / {@code gap_p0_ms}: the longest time between two consecutive
 *       acknowledgements (any partition / partition 0) among those from the last one before the event
 *       to the end, and {@code resumed_all_ms} / {@code resumed_p0_ms}: from the event until the
 *       acknowledgement that ended that gap — when acknowledgements resumed;
 *   <li>{@code recovered_p0_ms} / {@code recovered_all_ms}: from the event until partition 0 / every
 *       partition acknowledged its first record sent after the event (this includes working off
 *       whatever backlog the producer had at the event);
 *   <li>{@code sent}, {@code acked}, {@code failed} (sends that completed with an error),
 *       {@code first_error}, and {@code send_lag_max_ms}: how far the sender fell behind its schedule
 *       at worst (large only when the probe itself was starved of CPU);
 *   <li>{@code verified}, {@code lost}, {@code out_of_order}: every partition read back from the
 *       beginning to its high watermark — each acknowledged record must be at its acknowledged offset,
 *       and sequence numbers must increase along the log (a duplicate or reordering breaks that);
 *   <li>{@code leader_after_P}: leaders at the end.
 * </ul>
 *
 * <p>With {@code BENCH_ACKS_FILE} set, every acknowledgement is also written there as CSV (partition,
 * offset, sequence, sent and acknowledged in ms relative to the event).
 */
final class FailoverProbe {

    /** One acknowledged record. */
    private record Ack(int partition, long offset, long sequence, long sentNanos, long ackNanos) {}

    private final String bootstrap;
    private final String topic;
    private final int partitions;
    private final List<Ack> acks = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicReference<Exception> firstError = new AtomicReference<>();
    /** The event on this JVM's nanoTime clock; Long.MAX_VALUE until it is known. */
    private volatile long eventNanos = Long.MAX_VALUE;
    /** Per partition: ack time of the first record sent after the event, 0 until there is one. */
    private final AtomicLongArray recoveredAt;
    private final CountDownLatch recovered;
    private final CountDownLatch firstAck = new CountDownLatch(1);
    /** The longest time a send() call came after its scheduled time: the probe itself falling behind. */
    private final AtomicLong sendLagMaxNanos = new AtomicLong();

    private FailoverProbe(String bootstrap, String topic, int partitions) {
        this.bootstrap = bootstrap;
        this.topic = topic;
        this.partitions = partitions;
        this.recoveredAt = new AtomicLongArray(partitions);
        this.recovered = new CountDownLatch(partitions);
    }

    static int run(String[] a) throws Exception {
        FailoverProbe probe = new FailoverProbe(a[0], a[1], Integer.parseInt(a[2]));
        return probe.steady(
                Integer.parseInt(a[3]),
                Integer.parseInt(a[4]),
                Long.parseLong(a[5]),
                Long.parseLong(a[6]),
                Long.parseLong(a[7]));
    }

    private int steady(int rate, int size, long settleMs, long tailMs, long timeoutMs) throws Exception {
        // Wall clock and nanoTime read together, to place the harness's event on the nanoTime clock.
        Instant baseInstant = Instant.now();
        long baseNanos = System.nanoTime();
        long baseEpochMicros = baseInstant.getEpochSecond() * 1_000_000 + baseInstant.getNano() / 1_000;

        AtomicLong stopAt = new AtomicLong(Long.MAX_VALUE);
        Thread sender;
        KafkaProducer<byte[], byte[]> producer = producer();
        try {
            // The topic's metadata first, so that the schedule does not start with a blocked send().
            producer.partitionsFor(topic);
            long start = System.nanoTime();
            sender = Thread.ofPlatform().name("steady-sender").start(() -> send(producer, rate, size, start, stopAt));
            // Steady means SETTLE_MS of production since the first acknowledgement.
            if (!firstAck.await(timeoutMs, TimeUnit.MILLISECONDS)) {
                System.out.println("error=no acknowledgement within " + timeoutMs + " ms");
                stopAt.set(System.nanoTime());
                sender.join();
                return 1;
            }
            sleepUntil(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settleMs));
            long settled = System.nanoTime();
            System.out.println("steady=1");
            try (Admin admin = ReplicationProbe.admin(bootstrap)) {
                ReplicationProbe.leaders(admin, topic).forEach((p, l) -> System.out.println("leader_" + p + "=" + l));
                ReplicationProbe.printController(admin);
            }
            System.out.flush();

            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line = in.readLine();
            if (line == null || !line.startsWith("event ")) {
                System.out.println("error=expected 'event EPOCH_MICROS' on stdin, got " + line);
                stopAt.set(System.nanoTime());
                sender.join();
                return 1;
            }
            long eventEpochMicros = Long.parseLong(line.substring(6).trim());
            long event = baseNanos + (eventEpochMicros - baseEpochMicros) * 1_000;
            markEvent(event);
            boolean allRecovered = recovered.await(
                    Math.max(0, event + TimeUnit.MILLISECONDS.toNanos(timeoutMs) - System.nanoTime()),
                    TimeUnit.NANOSECONDS);
            sleepUntil(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(tailMs));
            stopAt.set(System.nanoTime());
            sender.join();
            producer.flush();
            System.out.println("recovered=" + (allRecovered ? 1 : 0));
            report(settled - TimeUnit.MILLISECONDS.toNanos(settleMs / 2), event);
        } finally {
            producer.close(Duration.ofSeconds(150));
        }
        verify();
        try (Admin admin = ReplicationProbe.admin(bootstrap)) {
            ReplicationProbe.leaders(admin, topic).forEach((p, l) -> System.out.println("leader_after_" + p + "=" + l));
        } catch (Exception e) {
            System.out.println("leaders_after_error=" + ReplicationProbe.oneLine(e));
        }
        return 0;
    }

    private KafkaProducer<byte[], byte[]> producer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        // Room for everything sent during a stall of a minute, so that send() never blocks and the
        // schedule stays open loop; every other setting is the client's default.
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 256L * 1024 * 1024);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return new KafkaProducer<>(p);
    }

    private void send(KafkaProducer<byte[], byte[]> producer, int rate, int size, long start, AtomicLong stopAt) {
        long intervalNanos = 1_000_000_000L / rate;
        long[] next = new long[partitions];
        for (long i = 0; ; i++) {
            long due = start + i * intervalNanos;
            sleepUntil(due);
            if (System.nanoTime() >= stopAt.get()) {
                return;
            }
            int partition = (int) (i % partitions);
            long sequence = next[partition]++;
            byte[] value = new byte[Math.max(8, size)];
            ByteBuffer.wrap(value).putLong(sequence);
            long sentNanos = System.nanoTime();
            sendLagMaxNanos.accumulateAndGet(sentNanos - due, Math::max);
            sent.incrementAndGet();
            producer.send(new ProducerRecord<>(topic, partition, null, value), (metadata, exception) -> {
                long now = System.nanoTime();
                if (exception != null) {
                    failed.incrementAndGet();
                    firstError.compareAndSet(null, exception);
                    return;
                }
                acks.add(new Ack(partition, metadata.offset(), sequence, sentNanos, now));
                firstAck.countDown();
                if (sentNanos > eventNanos && recoveredAt.compareAndSet(partition, 0, now)) {
                    recovered.countDown();
                }
            });
        }
    }

    /** Records the event; partitions whose first post-event record was already acknowledged count now. */
    private void markEvent(long event) {
        eventNanos = event;
        synchronized (acks) {
            for (Ack ack : acks) {
                if (ack.sentNanos() > event && recoveredAt.compareAndSet(ack.partition(), 0, ack.ackNanos())) {
                    recovered.countDown();
                }
            }
        }
    }

    private void report(long baselineFrom, long event) {
        List<Ack> all;
        synchronized (acks) {
            all = new ArrayList<>(acks);
        }
        all.sort((x, y) -> Long.compare(x.ackNanos(), y.ackNanos()));
        System.out.println("sent=" + sent.get());
        System.out.println("acked=" + all.size());
        System.out.println("failed=" + failed.get());
        System.out.println("send_lag_max_ms=" + ms(sendLagMaxNanos.get()));
        if (firstError.get() != null) {
            System.out.println("first_error=" + ReplicationProbe.oneLine(firstError.get()));
        }
        System.out.println("gap_before_ms=" + ms(longestGap(all, -1, baselineFrom, event)[0]));
        long[] before = all.stream()
                .filter(x -> x.sentNanos() >= baselineFrom && x.ackNanos() < event)
                .mapToLong(x -> x.ackNanos() - x.sentNanos())
                .sorted()
                .toArray();
        if (before.length > 0) {
            System.out.println("latency_before_p50_ms=" + ms(before[before.length / 2]));
            int p99 = (int) Math.min(before.length - 1, Math.ceil(before.length * 0.99) - 1);
            System.out.println("latency_before_p99_ms=" + ms(before[p99]));
        }
        long[] any = longestGap(all, -1, event, Long.MAX_VALUE);
        long[] first = longestGap(all, 0, event, Long.MAX_VALUE);
        System.out.println("gap_max_ms=" + ms(any[0]));
        System.out.println("resumed_all_ms=" + ms(any[1] - event));
        System.out.println("gap_p0_ms=" + ms(first[0]));
        System.out.println("resumed_p0_ms=" + ms(first[1] - event));
        long p0 = recoveredAt.get(0);
        System.out.println("recovered_p0_ms=" + (p0 == 0 ? "none" : ms(p0 - event)));
        long last = 0;
        for (int p = 0; p < partitions; p++) {
            long at = recoveredAt.get(p);
            last = at == 0 ? Long.MAX_VALUE : Math.max(last, at);
        }
        System.out.println("recovered_all_ms=" + (last == Long.MAX_VALUE ? "none" : ms(last - event)));
        String dump = System.getenv("BENCH_ACKS_FILE");
        if (dump != null) {
            try (var w = java.nio.file.Files.newBufferedWriter(java.nio.file.Path.of(dump))) {
                w.write("partition,offset,sequence,sent_ms,acked_ms (from the event)\n");
                for (Ack a : all) {
                    w.write(a.partition() + "," + a.offset() + "," + a.sequence() + ","
                            + ms(a.sentNanos() - event) + "," + ms(a.ackNanos() - event) + "\n");
                }
            } catch (java.io.IOException e) {
                System.out.println("dump_error=" + e);
            }
        }
    }

    /**
     * The longest time between consecutive acknowledgements (of one partition, or of all when
     * {@code partition} is -1) among those from the last one before {@code from} up to {@code to}, and
     * the time of the acknowledgement that ended it: {gap, end}.
     */
    private static long[] longestGap(List<Ack> byAckTime, int partition, long from, long to) {
        long previous = -1;
        long longest = 0;
        long end = from;
        for (Ack ack : byAckTime) {
            if (partition >= 0 && ack.partition() != partition) {
                continue;
            }
            if (ack.ackNanos() > to) {
                break;
            }
            if (ack.ackNanos() < from) {
                previous = ack.ackNanos();
                continue;
            }
            if (previous >= 0 && ack.ackNanos() - previous > longest) {
                longest = ack.ackNanos() - previous;
                end = ack.ackNanos();
            }
            previous = ack.ackNanos();
        }
        return new long[] {longest, end};
    }

    /** Reads every partition back to its high watermark and checks it against the acknowledgements. */
    private void verify() {
        Map<Integer, Map<Long, Long>> ackedSequence = new HashMap<>();
        synchronized (acks) {
            for (Ack ack : acks) {
                ackedSequence.computeIfAbsent(ack.partition(), p -> new HashMap<>()).put(ack.offset(), ack.sequence());
            }
        }
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        long verified = 0;
        long outOfOrder = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c)) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                tps.add(new TopicPartition(topic, p));
            }
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<TopicPartition, Long> end = consumer.endOffsets(tps, Duration.ofSeconds(60));
            long[] previous = new long[partitions];
            Arrays.fill(previous, -1);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (tps.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    System.out.println("verify_error=not read to the end within 120 s");
                    break;
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    long sequence = ByteBuffer.wrap(r.value()).getLong();
                    if (sequence <= previous[r.partition()]) {
                        outOfOrder++;
                    }
                    previous[r.partition()] = sequence;
                    Long expected = ackedSequence.getOrDefault(r.partition(), Map.of()).get(r.offset());
                    if (expected != null && expected == sequence) {
                        verified++;
                    }
                }
            }
        } catch (Exception e) {
            System.out.println("verify_error=" + ReplicationProbe.oneLine(e));
        }
        long acked = ackedSequence.values().stream().mapToLong(Map::size).sum();
        System.out.println("verified=" + verified);
        System.out.println("lost=" + (acked - verified));
        System.out.println("out_of_order=" + outOfOrder);
    }

    private static void sleepUntil(long nanos) {
        long left;
        while ((left = nanos - System.nanoTime()) > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(Math.min(left, 50_000_000L));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static String ms(long nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1e6);
    }
}
