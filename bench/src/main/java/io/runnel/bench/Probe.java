package io.runnel.bench;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.PolicyViolationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Small measuring tools for bench/run.sh, each printing {@code key=value} lines on stdout that
 * the harness parses. Subcommands:
 *
 * <ul>
 *   <li>{@code wait-ready HOST:PORT TIMEOUT_MS} — sends a raw ApiVersions v0 request, again and
 *       again, until one is answered with error code 0; prints the wall-clock time of that answer
 *       ({@code ready_epoch_ms}), so the harness can subtract the broker's launch time.
 *   <li>{@code create-topic BOOTSTRAP TOPIC PARTITIONS [TIMEOUT_MS]} — CreateTopics, then waits
 *       until Metadata shows a leader for every partition; prints {@code create_ms}.
 *   <li>{@code warmup BOOTSTRAP TOPIC} — produce one record and read it back in a consumer group
 *       with a commit (so Kafka creates __consumer_offsets before anything is measured).
 *   <li>{@code e2e BOOTSTRAP TOPIC MESSAGES WARMUP ACKS SIZE} — one record at a time: send, then
 *       poll a consumer assigned to the partition until that record arrives; per-record latency
 *       in microseconds (send to receipt), warm-up records excluded.
 *   <li>{@code scale BOOTSTRAP TOPIC PARTITIONS RECORDS RATE SIZE WARMUP} — create the topic
 *       ({@code create_ms}); write one record to every partition and wait for all acks
 *       ({@code touch_ms}: the first write to each partition); then produce WARMUP (not
 *       measured) + RECORDS records round-robin over every partition at a fixed RATE
 *       (records/s, open loop) and report the send-to-acknowledgement latency in microseconds.
 * </ul>
 */
public final class Probe {

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            usage();
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        int rc =
                switch (args[0]) {
                    case "wait-ready" -> waitReady(rest);
                    case "create-topic" -> createTopic(rest);
                    case "warmup" -> warmup(rest);
                    case "e2e" -> e2e(rest);
                    case "scale" -> scale(rest);
                    default -> usage();
                };
        System.out.flush();
        System.exit(rc);
    }

    private static int usage() {
        System.err.println("usage: Probe wait-ready|create-topic|warmup|e2e|scale ... (see the class comment)");
        System.exit(2);
        return 2;
    }

    // ---------------------------------------------------------------- wait-ready

    private static int waitReady(String[] a) throws InterruptedException {
        String[] hp = a[0].split(":");
        String host = hp[0];
        int port = Integer.parseInt(hp[1]);
        long deadline = System.currentTimeMillis() + Long.parseLong(a[1]);
        System.out.println("polling=1");
        System.out.flush();
        int attempts = 0;
        String lastError = "";
        while (System.currentTimeMillis() < deadline) {
            attempts++;
            try (Socket s = new Socket()) {
                s.setTcpNoDelay(true);
                s.connect(new InetSocketAddress(host, port), 1000);
                // The broker may have bound its port before it serves requests: wait for the
                // answer (up to the deadline) rather than retrying, so the first answer is timed.
                s.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, deadline - System.currentTimeMillis())));
                DataOutputStream out = new DataOutputStream(s.getOutputStream());
                byte[] clientId = "bench-probe".getBytes(StandardCharsets.UTF_8);
                out.writeInt(2 + 2 + 4 + 2 + clientId.length);
                out.writeShort(18); // ApiVersions
                out.writeShort(0); // v0: request header v1, empty body
                out.writeInt(4242);
                out.writeShort(clientId.length);
                out.write(clientId);
                out.flush();
                DataInputStream in = new DataInputStream(s.getInputStream());
                int size = in.readInt();
                int correlation = in.readInt();
                short error = in.readShort();
                long now = System.currentTimeMillis();
                if (correlation == 4242 && error == 0 && size > 6) {
                    System.out.println("ready_epoch_ms=" + now);
                    System.out.println("attempts=" + attempts);
                    return 0;
                }
                lastError = "error_code=" + error;
            } catch (EOFException e) {
                lastError = "connection closed";
            } catch (IOException e) {
                lastError = e.toString();
            }
            Thread.sleep(10);
        }
        System.out.println("error=not ready: " + lastError);
        return 1;
    }

    // ---------------------------------------------------------------- create-topic

    private static Admin admin(String bootstrap) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 600_000);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 600_000);
        return Admin.create(p);
    }

    private static int createTopic(String[] a) throws Exception {
        String bootstrap = a[0];
        String topic = a[1];
        int partitions = Integer.parseInt(a[2]);
        long timeoutMs = a.length > 3 ? Long.parseLong(a[3]) : 600_000;
        try (Admin admin = admin(bootstrap)) {
            long t0 = System.nanoTime();
            createAndAwait(admin, topic, partitions, timeoutMs);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.println("create_ms=" + ms);
            return 0;
        } catch (Exception e) {
            System.out.println("error=" + oneLine(e));
            e.printStackTrace();
            return 1;
        }
    }

    /** Partitions per CreateTopics/CreatePartitions request when one request is refused as too large. */
    private static final int CHUNK = 5000;

    /**
     * Creates the topic and returns once every partition is usable: Metadata names a leader for
     * each AND ListOffsets succeeds on each (Kafka's KRaft brokers publish the leader in Metadata
     * before the partition's log exists; produce requests then fail with NOT_LEADER_OR_FOLLOWER).
     * If the broker refuses one request that large (Kafka: PolicyViolationException "Unable to
     * perform excessively large batch operation"), the topic is created with CHUNK partitions and
     * grown with CreatePartitions; prints {@code create_requests=N}.
     */
    private static void createAndAwait(Admin admin, String topic, int partitions, long timeoutMs)
            throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMs;
        int requests = 1;
        try {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1)))
                    .all()
                    .get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TopicExistsException) {
                // fine
            } else if (e.getCause() instanceof PolicyViolationException && partitions > CHUNK) {
                System.out.println("create_note=one CreateTopics request for " + partitions
                        + " partitions refused (" + oneLine(e) + "); creating " + CHUNK
                        + " and adding the rest with CreatePartitions");
                admin.createTopics(List.of(new NewTopic(topic, CHUNK, (short) 1)))
                        .all()
                        .get(timeoutMs, TimeUnit.MILLISECONDS);
                awaitLeaders(admin, topic, CHUNK, deadline, timeoutMs);
                for (int n = 2 * CHUNK; n < partitions + CHUNK; n += CHUNK) {
                    int total = Math.min(n, partitions);
                    admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(total)))
                            .all()
                            .get(timeoutMs, TimeUnit.MILLISECONDS);
                    requests++;
                    awaitLeaders(admin, topic, total, deadline, timeoutMs);
                }
            } else {
                throw e;
            }
        }
        System.out.println("create_requests=" + requests);
        awaitLeaders(admin, topic, partitions, deadline, timeoutMs);
        long leadersAt = System.currentTimeMillis();
        Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
        for (int i = 0; i < partitions; i++) {
            specs.put(new TopicPartition(topic, i), OffsetSpec.latest());
        }
        // The admin client retries NOT_LEADER_OR_FOLLOWER / UNKNOWN_TOPIC_OR_PARTITION itself.
        while (true) {
            try {
                admin.listOffsets(specs).all().get(Math.max(1, deadline - System.currentTimeMillis()),
                        TimeUnit.MILLISECONDS);
                break;
            } catch (ExecutionException e) {
                if (System.currentTimeMillis() > deadline) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
        System.out.println("writable_after_leaders_ms=" + (System.currentTimeMillis() - leadersAt));
    }

    private static void awaitLeaders(Admin admin, String topic, int partitions, long deadline, long timeoutMs)
            throws Exception {
        while (true) {
            try {
                TopicDescription d = admin.describeTopics(List.of(topic))
                        .allTopicNames()
                        .get(timeoutMs, TimeUnit.MILLISECONDS)
                        .get(topic);
                if (d.partitions().size() == partitions
                        && d.partitions().stream().allMatch(pi -> pi.leader() != null && !pi.leader().isEmpty())) {
                    return;
                }
            } catch (ExecutionException e) {
                // not visible yet
            }
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("topic " + topic + " has no leader for every partition after "
                        + timeoutMs + " ms");
            }
            Thread.sleep(20);
        }
    }

    // ---------------------------------------------------------------- warmup

    private static int warmup(String[] a) throws Exception {
        String bootstrap = a[0];
        String topic = a[1];
        try (Admin admin = admin(bootstrap)) {
            createAndAwait(admin, topic, 1, 120_000);
        }
        try (KafkaProducer<byte[], byte[]> producer = producer(bootstrap, "all", Map.of())) {
            producer.send(new ProducerRecord<>(topic, "warmup".getBytes(StandardCharsets.UTF_8)))
                    .get(60, TimeUnit.SECONDS);
        }
        Properties c = consumerProps(bootstrap);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-warmup");
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 120_000;
            int got = 0;
            while (got == 0 && System.currentTimeMillis() < deadline) {
                got += consumer.poll(Duration.ofMillis(200)).count();
            }
            if (got == 0) {
                System.out.println("error=warm-up record not consumed within 120 s");
                return 1;
            }
            consumer.commitSync(Duration.ofSeconds(60));
        }
        System.out.println("warmup=ok");
        return 0;
    }

    // ---------------------------------------------------------------- e2e

    private static KafkaProducer<byte[], byte[]> producer(String bootstrap, String acks, Map<String, Object> extra) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, acks);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.putAll(extra);
        return new KafkaProducer<>(p);
    }

    private static Properties consumerProps(String bootstrap) {
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return c;
    }

    private static int e2e(String[] a) throws Exception {
        String bootstrap = a[0];
        String topic = a[1];
        int messages = Integer.parseInt(a[2]);
        int warmup = Integer.parseInt(a[3]);
        String acks = a[4];
        int size = Integer.parseInt(a[5]);
        try (Admin admin = admin(bootstrap)) {
            createAndAwait(admin, topic, 1, 120_000);
        }
        TopicPartition tp = new TopicPartition(topic, 0);
        Properties c = consumerProps(bootstrap);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 500);
        byte[] payload = new byte[size];
        new Random(42).nextBytes(payload);
        long[] lat = new long[messages];
        try (KafkaProducer<byte[], byte[]> producer = producer(bootstrap, acks, Map.of());
                KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c)) {
            consumer.assign(List.of(tp));
            consumer.seekToEnd(List.of(tp));
            consumer.position(tp);
            for (int i = -warmup; i < messages; i++) {
                byte[] key = Integer.toString(i).getBytes(StandardCharsets.UTF_8);
                long t0 = System.nanoTime();
                var future = producer.send(new ProducerRecord<>(topic, 0, key, payload));
                boolean seen = false;
                long deadline = t0 + TimeUnit.SECONDS.toNanos(30);
                while (!seen) {
                    ConsumerRecords<byte[], byte[]> recs = consumer.poll(Duration.ofMillis(100));
                    for (ConsumerRecord<byte[], byte[]> r : recs) {
                        if (Arrays.equals(r.key(), key)) {
                            seen = true;
                        }
                    }
                    if (!seen && System.nanoTime() > deadline) {
                        System.out.println("error=record " + i + " not consumed within 30 s");
                        return 1;
                    }
                }
                long t1 = System.nanoTime();
                future.get(30, TimeUnit.SECONDS);
                if (i >= 0) {
                    lat[i] = (t1 - t0) / 1000;
                }
            }
        }
        printStats("e2e", lat);
        return 0;
    }

    // ---------------------------------------------------------------- scale

    private static int scale(String[] a) throws Exception {
        String bootstrap = a[0];
        String topic = a[1];
        int partitions = Integer.parseInt(a[2]);
        int records = Integer.parseInt(a[3]);
        int rate = Integer.parseInt(a[4]);
        int size = Integer.parseInt(a[5]);
        int warmup = a.length > 6 ? Integer.parseInt(a[6]) : 0;
        try (Admin admin = admin(bootstrap)) {
            long t0 = System.nanoTime();
            createAndAwait(admin, topic, partitions, 900_000);
            System.out.println("create_ms=" + (System.nanoTime() - t0) / 1_000_000);
        } catch (Exception e) {
            System.out.println("error=create topic with " + partitions + " partitions: " + oneLine(e));
            e.printStackTrace();
            return 1;
        }
        System.out.flush();
        byte[] payload = new byte[size];
        new Random(42).nextBytes(payload);
        long[] lat = new long[records];
        AtomicInteger done = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicReference<Exception> firstError = new AtomicReference<>();
        long intervalNs = 1_000_000_000L / rate;
        long start;
        try (KafkaProducer<byte[], byte[]> producer = producer(
                bootstrap,
                "1",
                Map.of(
                        ProducerConfig.BUFFER_MEMORY_CONFIG, 256L * 1024 * 1024,
                        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 300_000,
                        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 120_000,
                        ProducerConfig.MAX_BLOCK_MS_CONFIG, 300_000))) {
            // Metadata for every partition first, so the first sends do not wait for it.
            producer.partitionsFor(topic);
            // First write to every partition, timed on its own.
            long t0 = System.nanoTime();
            for (int p = 0; p < partitions; p++) {
                producer.send(new ProducerRecord<>(topic, p, null, payload), (md, ex) -> {
                    if (ex != null) {
                        failed.incrementAndGet();
                        firstError.compareAndSet(null, ex);
                    }
                });
            }
            producer.flush();
            System.out.println("touch_ms=" + (System.nanoTime() - t0) / 1_000_000);
            System.out.flush();
            start = System.nanoTime();
            for (int i = 0; i < warmup + records; i++) {
                long due = start + i * intervalNs;
                long now;
                while ((now = System.nanoTime()) < due) {
                    long left = due - now;
                    if (left > 200_000) {
                        Thread.sleep(0, (int) Math.min(left - 100_000, 999_999));
                    } else {
                        Thread.onSpinWait();
                    }
                }
                final int idx = i - warmup;
                // Latency is measured from the scheduled send time (coordinated omission corrected).
                final long sched = due;
                producer.send(new ProducerRecord<>(topic, i % partitions, null, payload), (md, ex) -> {
                    if (idx >= 0) {
                        lat[idx] = (System.nanoTime() - sched) / 1000;
                    }
                    if (ex != null) {
                        failed.incrementAndGet();
                        firstError.compareAndSet(null, ex);
                    }
                    done.incrementAndGet();
                });
            }
            producer.flush();
        }
        double secs = (System.nanoTime() - start) / 1e9;
        System.out.println(String.format(Locale.ROOT, "produce_secs=%.3f", secs));
        System.out.println(String.format(Locale.ROOT, "achieved_rate=%.1f", (warmup + records) / secs));
        System.out.println("failed=" + failed.get());
        if (firstError.get() != null) {
            System.out.println("error=" + oneLine(firstError.get()));
        }
        printStats("ack", lat);
        return failed.get() == 0 ? 0 : 1;
    }

    // ---------------------------------------------------------------- helpers

    private static void printStats(String prefix, long[] us) {
        long[] s = us.clone();
        Arrays.sort(s);
        double sum = 0;
        for (long v : s) {
            sum += v;
        }
        IntFunction<Long> pct = p10 -> s[Math.min(s.length - 1, (int) Math.ceil(s.length * p10 / 1000.0) - 1)];
        System.out.println(prefix + "_count=" + s.length);
        System.out.println(String.format(Locale.ROOT, "%s_avg_us=%.1f", prefix, sum / s.length));
        System.out.println(prefix + "_p50_us=" + pct.apply(500));
        System.out.println(prefix + "_p99_us=" + pct.apply(990));
        System.out.println(prefix + "_p999_us=" + pct.apply(999));
        System.out.println(prefix + "_max_us=" + s[s.length - 1]);
    }

    private static String oneLine(Throwable e) {
        Throwable t = e;
        if (t instanceof ExecutionException && t.getCause() != null) {
            t = t.getCause();
        }
        return (t.getClass().getName() + ": " + t.getMessage()).replace('\n', ' ');
    }
}
