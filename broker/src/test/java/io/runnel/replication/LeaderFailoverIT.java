package io.runnel.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.testing.BrokerCluster;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * SIGKILL of a partition leader during steady acks=all production with replication factor 3 and
 * min.insync.replicas 2: nothing acknowledged is lost or duplicated, order holds, production goes
 * on; the broker comes back, catches up, rejoins every ISR and leads its preferred partitions again;
 * the replicas end byte-identical.
 */
class LeaderFailoverIT {

    private static final Logger LOG = Logger.getLogger(LeaderFailoverIT.class);
    private static final String TOPIC = "failover";
    private static final int PARTITIONS = 6;

    @Test
    void acknowledgedRecordsSurviveLeaderCrashAndTheLeaderReturns() throws Exception {
        try (BrokerCluster cluster = BrokerCluster.start("leader-failover", 3)) {
            try (Admin admin = cluster.admin()) {
                admin.createTopics(List.of(
                                new NewTopic(TOPIC, PARTITIONS, (short) 3).configs(Map.of("min.insync.replicas", "2"))))
                        .all()
                        .get();
            }
            TopicPartition first = new TopicPartition(TOPIC, 0);
            int victim = cluster.leaderOf(first);
            SteadyProducer producer = new SteadyProducer(cluster.bootstrapServers(), TOPIC, PARTITIONS, Map.of());
            try {
                awaitMoreAcks(producer, 2_000);
                cluster.broker(victim).kill();
                long killedAt = System.nanoTime();
                int newLeader = cluster.awaitLeaderOtherThan(first, victim);
                awaitMoreAcks(producer, 2_000);
                LOG.infof(
                        "Broker %d killed; broker %d leads %s; acks resumed within %d ms",
                        victim, newLeader, first, (System.nanoTime() - killedAt) / 1_000_000);
                cluster.broker(victim).start();
                for (int p = 0; p < PARTITIONS; p++) {
                    cluster.awaitIsr(new TopicPartition(TOPIC, p), List.of(1, 2, 3));
                }
                Awaitility.await("broker " + victim + " leads " + first + " again")
                        .atMost(Duration.ofSeconds(60))
                        .ignoreExceptions()
                        .until(() -> cluster.leaderOf(first) == victim);
                awaitMoreAcks(producer, 1_000);
            } finally {
                producer.close();
            }
            assertThat(producer.failures()).isEmpty();
            producer.assertConsistentWithLog(cluster.bootstrapServers());
            for (int p = 0; p < PARTITIONS; p++) {
                TopicPartition tp = new TopicPartition(TOPIC, p);
                cluster.awaitIsr(tp, List.of(1, 2, 3));
                awaitReplicasIdentical(cluster, tp);
            }
        }
    }

    static void awaitMoreAcks(SteadyProducer producer, int more) {
        int target = producer.ackedCount() + more;
        Awaitility.await(more + " more acknowledgements")
                .atMost(Duration.ofSeconds(60))
                .until(() -> producer.ackedCount() >= target);
    }

    /** Followers learn the last high watermark a fetch later; the batches are compared once all agree. */
    static void awaitReplicasIdentical(BrokerCluster cluster, TopicPartition tp) {
        Awaitility.await(tp + " identical on every replica")
                .atMost(Duration.ofSeconds(30))
                .ignoreExceptions()
                .untilAsserted(() -> cluster.assertReplicasIdentical(tp, List.of(1, 2, 3)));
    }
}
