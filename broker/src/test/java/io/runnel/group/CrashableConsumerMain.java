package io.runnel.group;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A group member in a JVM of its own, so a test can SIGKILL it: no LeaveGroup, no last commit, its
 * heartbeats just stop. It reports on stdout, one {@code @@ }-prefixed line per event:
 *
 * <pre>
 * @@ ASSIGNMENT 0,1,4        its assignment after each rebalance callback (partition numbers)
 * @@ PROCESSED 3 17          it has processed the record at offset 17 of partition 3
 * @@ COMMITTED 3 18          it has committed offset 18 of partition 3 (synchronously, acknowledged)
 * @@ HANGING                 it stopped where the mode says it crashes, and waits to be killed
 * </pre>
 *
 * <p>Arguments are {@code key=value}: {@code bootstrap}, {@code group}, {@code topic}, {@code mode}
 * ({@code idle}: poll only; {@code at-least-once}: process a batch, then commit it; {@code
 * at-most-once}: commit a batch, then process it), {@code hang-after} (a number of processed records
 * after which it hangs: at-least-once after processing a batch and before committing it, at-most-once
 * after committing a batch and before processing its next record), and {@code consumer.<name>} for consumer settings.
 */
public final class CrashableConsumerMain {

    private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new HashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            options.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        String mode = options.getOrDefault("mode", "idle");
        long hangAfter = Long.parseLong(options.getOrDefault("hang-after", String.valueOf(Long.MAX_VALUE)));
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, options.get("bootstrap"));
        props.put(ConsumerConfig.GROUP_ID_CONFIG, options.get("group"));
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        options.forEach((k, v) -> {
            if (k.startsWith("consumer.")) {
                props.put(k.substring("consumer.".length()), v);
            }
        });
        KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of(options.get("topic")), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                reportAssignment(consumer);
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                reportAssignment(consumer);
            }

            @Override
            public void onPartitionsLost(Collection<TopicPartition> partitions) {
                reportAssignment(consumer);
            }
        });
        long processed = 0;
        while (true) {
            ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
            if (records.isEmpty() || mode.equals("idle")) {
                continue;
            }
            Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
            for (ConsumerRecord<byte[], byte[]> r : records) {
                next.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
            }
            if (mode.equals("at-most-once")) {
                commit(consumer, next);
            }
            for (ConsumerRecord<byte[], byte[]> r : records) {
                if (mode.equals("at-most-once") && processed >= hangAfter) {
                    hang(); // committed, not processed: this record and the rest of the batch are lost
                }
                OUT.println("@@ PROCESSED " + r.partition() + " " + r.offset());
                processed++;
            }
            if (mode.equals("at-least-once")) {
                if (processed >= hangAfter) {
                    hang();
                }
                commit(consumer, next);
            }
        }
    }

    private static void commit(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, OffsetAndMetadata> offsets) {
        consumer.commitSync(offsets);
        offsets.forEach((tp, o) -> OUT.println("@@ COMMITTED " + tp.partition() + " " + o.offset()));
    }

    private static void reportAssignment(KafkaConsumer<byte[], byte[]> consumer) {
        OUT.println("@@ ASSIGNMENT "
                + consumer.assignment().stream()
                        .map(tp -> String.valueOf(tp.partition()))
                        .sorted()
                        .collect(Collectors.joining(",")));
    }

    private static void hang() throws InterruptedException {
        OUT.println("@@ HANGING");
        Thread.sleep(Long.MAX_VALUE);
    }
}
