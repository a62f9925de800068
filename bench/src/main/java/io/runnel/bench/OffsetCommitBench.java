package io.runnel.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Offset commits per second: CLIENTS consumers (each its own group, partitions assigned, so every
 * commit is a "simple" commit that the broker must make durable), each committing PARTITIONS
 * offsets per OffsetCommit request with commitSync, back to back, for SECONDS. Against Runnel every
 * acknowledged commit is a row upserted in PostgreSQL; against Kafka a record in __consumer_offsets.
 *
 * <p>Usage: {@code OffsetCommitBench BOOTSTRAP TOPIC CLIENTS PARTITIONS SECONDS}; prints
 * {@code commit_requests_per_s}, {@code committed_offsets_per_s} and commit latency percentiles (µs).
 */
public final class OffsetCommitBench {

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String topic = args[1];
        int clients = Integer.parseInt(args[2]);
        int partitions = Integer.parseInt(args[3]);
        int seconds = Integer.parseInt(args[4]);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            try {
                admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1)))
                        .all()
                        .get();
            } catch (java.util.concurrent.ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
        }
        LongAdder requests = new LongAdder();
        List<long[]> latencies = new ArrayList<>();
        AtomicLong failures = new AtomicLong();
        long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            long[] samples = new long[2_000_000];
            latencies.add(samples);
            int client = c;
            Thread thread = new Thread(() -> run(bootstrap, topic, partitions, client, deadline, requests, samples, failures));
            threads.add(thread);
        }
        long start = System.nanoTime();
        threads.forEach(Thread::start);
        for (Thread thread : threads) {
            thread.join();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        List<Long> all = new ArrayList<>();
        for (long[] samples : latencies) {
            for (long s : samples) {
                if (s == 0) {
                    break;
                }
                all.add(s);
            }
        }
        all.sort(null);
        System.out.printf("commit_requests_per_s=%.1f%n", requests.sum() / elapsed);
        System.out.printf("committed_offsets_per_s=%.1f%n", requests.sum() * (double) partitions / elapsed);
        System.out.printf("commit_failures=%d%n", failures.get());
        if (!all.isEmpty()) {
            System.out.printf("commit_latency_p50_us=%d%n", all.get(all.size() / 2));
            System.out.printf("commit_latency_p99_us=%d%n", all.get((int) (all.size() * 0.99)));
            System.out.printf("commit_latency_p999_us=%d%n", all.get((int) (all.size() * 0.999)));
        }
    }

    private static void run(
            String bootstrap,
            String topic,
            int partitions,
            int client,
            long deadline,
            LongAdder requests,
            long[] samples,
            AtomicLong failures) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "commit-bench-" + client + "-" + System.nanoTime());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> assigned = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                assigned.add(new TopicPartition(topic, p));
            }
            consumer.assign(assigned);
            long offset = 0;
            int n = 0;
            while (System.nanoTime() < deadline) {
                Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
                offset++;
                for (TopicPartition tp : assigned) {
                    offsets.put(tp, new OffsetAndMetadata(offset));
                }
                long t0 = System.nanoTime();
                try {
                    consumer.commitSync(offsets, Duration.ofSeconds(30));
                } catch (RuntimeException e) {
                    failures.incrementAndGet();
                    continue;
                }
                long micros = (System.nanoTime() - t0) / 1000;
                if (n < samples.length) {
                    samples[n++] = Math.max(1, micros);
                }
                requests.increment();
            }
        }
    }
}
