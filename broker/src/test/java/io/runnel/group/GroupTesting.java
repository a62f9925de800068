package io.runnel.group;

import io.runnel.testing.BrokerProcess;
import io.runnel.testing.Clients;
import io.runnel.testing.TestJvm;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/** What the consumer group tests share: a broker with quick group timings, producing, committed offsets. */
final class GroupTesting {

    /** The smallest session timeout the test brokers accept, so crashed members expire quickly. */
    static final int MIN_SESSION_TIMEOUT_MS = 1000;

    private GroupTesting() {}

    /**
     * A broker whose group coordinator waits 300 ms for more members before a new group's first
     * rebalance (instead of 3 s) and accepts session timeouts from 1 s.
     */
    static BrokerProcess startBroker(String name) {
        TestJvm.prepare();
        return BrokerProcess.create(name)
                .set("runnel.group.initial-rebalance-delay-ms", "300")
                .set("runnel.group.min-session-timeout-ms", String.valueOf(MIN_SESSION_TIMEOUT_MS))
                .start();
    }

    /** Produces {@code count} records to one partition, values {@code "<partition>-<n>"}, and waits for them. */
    static void produce(String bootstrap, String topic, int partition, int count) {
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(bootstrap)) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(
                        topic, partition, null, (partition + "-" + i).getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
        }
    }

    /** The group's committed offsets by partition number, as Admin fetches them (OffsetFetch). */
    static Map<Integer, Long> committed(Admin admin, String group) throws ExecutionException, InterruptedException {
        Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata()
                .get();
        Map<Integer, Long> byPartition = new HashMap<>();
        offsets.forEach((tp, o) -> {
            if (o != null) {
                byPartition.put(tp.partition(), o.offset());
            }
        });
        return byPartition;
    }

    static Set<Integer> range(int n) {
        Set<Integer> all = new TreeSet<>();
        for (int i = 0; i < n; i++) {
            all.add(i);
        }
        return all;
    }

    static Set<Integer> union(Set<Integer> a, Set<Integer> b) {
        Set<Integer> u = new TreeSet<>(a);
        u.addAll(b);
        return u;
    }
}
