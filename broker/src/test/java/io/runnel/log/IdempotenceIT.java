package io.runnel.log;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.testing.BrokerProcess;
import io.runnel.testing.ChaosProxy;
import io.runnel.testing.Clients;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * An idempotent producer over a network that keeps dropping its connections: every retry that
 * reaches the broker twice is recognised by its producer id and sequence, so each record is in the
 * log exactly once and in send order.
 */
class IdempotenceIT {

    private static final int RECORDS = 50_000;
    private static final int PARTITIONS = 3;

    @Test
    void idempotentProducerWritesEachRecordOnceAndInOrderWhileConnectionsAreCut() throws Exception {
        BrokerProcess broker = BrokerProcess.create("idempotence");
        try (ChaosProxy proxy = new ChaosProxy(broker.kafkaPort());
                BrokerProcess started = broker.set(
                                "runnel.advertised-listeners", "PLAINTEXT://127.0.0.1:" + proxy.port())
                        .start();
                Admin admin = broker.admin()) {
            String topic = "chaos";
            Clients.createTopic(admin, topic, PARTITIONS, Map.of());

            long[] offsetOf = new long[RECORDS];
            AtomicInteger acked = new AtomicInteger();
            AtomicInteger failed = new AtomicInteger();
            AtomicReference<Exception> firstError = new AtomicReference<>();
            ScheduledExecutorService chaos = Executors.newSingleThreadScheduledExecutor();
            Map<String, Double> producerMetrics = new HashMap<>();
            long start = System.nanoTime();
            try (KafkaProducer<byte[], byte[]> producer = Clients.producer(
                    proxy.bootstrapServers(),
                    Map.ofEntries(
                            Map.entry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
                            Map.entry(ProducerConfig.ACKS_CONFIG, "all"),
                            Map.entry(ProducerConfig.RETRIES_CONFIG, Integer.MAX_VALUE),
                            Map.entry(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5),
                            Map.entry(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 300_000),
                            Map.entry(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000),
                            Map.entry(ProducerConfig.LINGER_MS_CONFIG, 5),
                            Map.entry(ProducerConfig.BATCH_SIZE_CONFIG, 4_096),
                            Map.entry(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 20),
                            Map.entry(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 200),
                            Map.entry(ProducerConfig.RECONNECT_BACKOFF_MS_CONFIG, 20),
                            Map.entry(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200)))) {
                chaos.scheduleAtFixedRate(proxy::cutAll, 200, 200, TimeUnit.MILLISECONDS);
                for (int seq = 0; seq < RECORDS; seq++) {
                    int s = seq;
                    producer.send(
                            new ProducerRecord<>(topic, seq % PARTITIONS, null, null, value(seq)), (metadata, e) -> {
                                if (e != null) {
                                    failed.incrementAndGet();
                                    firstError.compareAndSet(null, e);
                                } else {
                                    offsetOf[s] = metadata.offset();
                                    acked.incrementAndGet();
                                }
                            });
                    if (seq % 250 == 249) {
                        Thread.sleep(25); // spread the sends over many cuts
                    }
                }
                producer.flush();
                for (Map.Entry<MetricName, ? extends Metric> e :
                        producer.metrics().entrySet()) {
                    if (e.getKey().group().equals("producer-metrics")
                            && List.of("record-retry-total", "record-error-total", "connection-creation-total")
                                    .contains(e.getKey().name())) {
                        producerMetrics.put(
                                e.getKey().name(), (Double) e.getValue().metricValue());
                    }
                }
            } finally {
                chaos.shutdownNow();
                chaos.awaitTermination(5, TimeUnit.SECONDS);
            }
            System.out.printf(
                    "IdempotenceIT: %d records in %d ms, %d connections cut, %d accepted, producer %s%n",
                    RECORDS,
                    Duration.ofNanos(System.nanoTime() - start).toMillis(),
                    proxy.cut(),
                    proxy.accepted(),
                    producerMetrics);

            assertThat(firstError.get())
                    .as("first failed send (%d failed)", failed.get())
                    .isNull();
            assertThat(acked.get()).isEqualTo(RECORDS);
            assertThat(proxy.cut()).as("connections cut while producing").isGreaterThanOrEqualTo(5);

            List<TopicPartition> tps = IntStream.range(0, PARTITIONS)
                    .mapToObj(p -> new TopicPartition(topic, p))
                    .toList();
            Map<Integer, List<Long>> valuesByPartition = new HashMap<>();
            Map<Integer, List<Long>> offsetsByPartition = new HashMap<>();
            Clients.readFromBeginning(proxy.bootstrapServers(), tps, Map.of(), Duration.ofMinutes(2), record -> {
                valuesByPartition
                        .computeIfAbsent(record.partition(), p -> new ArrayList<>())
                        .add(ByteBuffer.wrap(record.value()).getLong());
                offsetsByPartition
                        .computeIfAbsent(record.partition(), p -> new ArrayList<>())
                        .add(record.offset());
            });
            for (int p = 0; p < PARTITIONS; p++) {
                List<Long> expected = new ArrayList<>();
                for (long seq = p; seq < RECORDS; seq += PARTITIONS) {
                    expected.add(seq);
                }
                List<Long> values = valuesByPartition.getOrDefault(p, List.of());
                assertThat(values)
                        .as("partition %d: every record once, in send order", p)
                        .hasSize(expected.size())
                        .isEqualTo(expected);
                List<Long> offsets = offsetsByPartition.get(p);
                for (int i = 0; i < offsets.size(); i++) {
                    assertThat(offsets.get(i))
                            .as("partition %d offsets without gaps", p)
                            .isEqualTo(i);
                }
                assertThat(Clients.latest(admin, new TopicPartition(topic, p))).isEqualTo(expected.size());
            }
            // each acknowledgement named the offset where the record really is
            for (int seq = 0; seq < RECORDS; seq++) {
                assertThat(offsetOf[seq])
                        .as("acknowledged offset of record %d", seq)
                        .isEqualTo(seq / PARTITIONS);
            }
        }
    }

    private static byte[] value(long seq) {
        return ByteBuffer.allocate(100).putLong(seq).array();
    }
}
