package io.runnel.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.testing.BrokerCluster;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * SIGTERM of a leader: leadership moves before its listeners close, so the producer sees only
 * retriable errors and loses nothing. The longest pause between acknowledgements is logged here and
 * measured in bench/.
 */
class ControlledShutdownIT {

    private static final Logger LOG = Logger.getLogger(ControlledShutdownIT.class);
    private static final String TOPIC = "controlled";
    private static final int PARTITIONS = 6;

    @Test
    void sigtermOfALeaderMovesLeadershipFirstAndNoSendFails() throws Exception {
        try (BrokerCluster cluster = BrokerCluster.start("controlled-shutdown", 3)) {
            try (Admin admin = cluster.admin()) {
                admin.createTopics(List.of(
                                new NewTopic(TOPIC, PARTITIONS, (short) 3).configs(Map.of("min.insync.replicas", "2"))))
                        .all()
                        .get();
            }
            TopicPartition first = new TopicPartition(TOPIC, 0);
            int leader = cluster.leaderOf(first);
            SteadyProducer producer = new SteadyProducer(cluster.bootstrapServers(), TOPIC, PARTITIONS, Map.of());
            long gapBefore;
            try {
                LeaderFailoverIT.awaitMoreAcks(producer, 3_000);
                gapBefore = producer.longestGapBetweenAcksMs();
                cluster.broker(leader).stop();
                LeaderFailoverIT.awaitMoreAcks(producer, 3_000);
            } finally {
                producer.close();
            }
            LOG.infof(
                    "Longest gap between acknowledgements: %d ms before, %d ms across the SIGTERM of broker %d",
                    gapBefore, producer.longestGapBetweenAcksMs(), leader);
            assertThat(producer.failures()).isEmpty();
            String log = cluster.broker(leader).log();
            assertThat(log).contains("Controlled shutdown: leadership moved");
            assertThat(log.indexOf("Controlled shutdown: leadership moved"))
                    .as("leadership moved before the listeners closed")
                    .isLessThan(log.indexOf("Kafka protocol listeners closed"));
            producer.assertConsistentWithLog(cluster.bootstrapServers());
        }
    }
}
