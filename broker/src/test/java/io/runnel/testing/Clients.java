package io.runnel.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Real Kafka clients for tests, with byte array keys and values, and a few things tests do with them. */
public final class Clients {

    private Clients() {}

    /** A producer with the client's defaults (idempotent, acks=all) except for {@code overrides}. */
    public static KafkaProducer<byte[], byte[]> producer(String bootstrap, Map<String, Object> overrides) {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.putAll(overrides);
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    public static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
        return producer(bootstrap, Map.of());
    }

    /** A consumer without a group (for assign and seek) with the client's defaults except for {@code overrides}. */
    public static KafkaConsumer<byte[], byte[]> consumer(String bootstrap, Map<String, Object> overrides) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.putAll(overrides);
        return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    public static KafkaConsumer<byte[], byte[]> consumer(String bootstrap) {
        return consumer(bootstrap, Map.of());
    }

    /**
     * Reads the partitions from their beginning up to their end offsets as the consumer finds them
     * at the start, handing each record to {@code each}.
     *
     * @throws AssertionError when the end is not reached within {@code timeout}
     */
    public static void readFromBeginning(
            String bootstrap,
            Collection<TopicPartition> partitions,
            Map<String, Object> overrides,
            Duration timeout,
            Consumer<ConsumerRecord<byte[], byte[]>> each) {
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrap, overrides)) {
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!reached(consumer, end)) {
                if (System.nanoTime() > deadline) {
                    Map<TopicPartition, Long> positions = new HashMap<>();
                    partitions.forEach(tp -> positions.put(tp, consumer.position(tp)));
                    throw new AssertionError(
                            "Did not read to the end " + end + " within " + timeout + "; positions " + positions);
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    each.accept(record);
                }
            }
        }
    }

    private static boolean reached(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** Every record of the partitions, from their beginning to their current end. */
    public static List<ConsumerRecord<byte[], byte[]>> readAll(
            String bootstrap, Collection<TopicPartition> partitions) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        readFromBeginning(bootstrap, partitions, Map.of(), Duration.ofSeconds(60), records::add);
        return records;
    }

    public static List<ConsumerRecord<byte[], byte[]>> readAll(String bootstrap, TopicPartition partition) {
        return readAll(bootstrap, List.of(partition));
    }

    public static void createTopic(Admin admin, String name, int partitions, Map<String, String> configs)
            throws ExecutionException, InterruptedException {
        admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(configs)))
                .all()
                .get();
    }

    public static ListOffsetsResult.ListOffsetsResultInfo listOffset(Admin admin, TopicPartition tp, OffsetSpec spec)
            throws ExecutionException, InterruptedException {
        return admin.listOffsets(Map.of(tp, spec)).partitionResult(tp).get();
    }

    public static long earliest(Admin admin, TopicPartition tp) throws ExecutionException, InterruptedException {
        return listOffset(admin, tp, OffsetSpec.earliest()).offset();
    }

    public static long latest(Admin admin, TopicPartition tp) throws ExecutionException, InterruptedException {
        return listOffset(admin, tp, OffsetSpec.latest()).offset();
    }
}
