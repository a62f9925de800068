package io.runnel.cluster;

import static io.runnel.cluster.ClusterTesting.broker;
import static io.runnel.cluster.ClusterTesting.describeCluster;
import static io.runnel.cluster.ClusterTesting.metadata;
import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.testing.BrokerProcess;
import io.runnel.testing.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.protocol.Errors;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.Test;

/**
 * A change made through one broker reaches the others through LISTEN/NOTIFY. The fallbacks are
 * pushed out of the way: the full reload comes every 600 s and the heartbeat (which also checks the
 * metadata version) every 60 s, so a change seen within the await's 20 s came by notification.
 */
class MetadataChangeListenerIT {

    @Test
    void aTopicCreatedOnOneBrokerAppearsOnTheOtherThroughNotifications() throws Exception {
        TestPostgres postgres = TestPostgres.get();
        String database = postgres.createDatabase("change_listener");
        try (BrokerProcess first =
                        slowPolling(broker("listen-1", 1, postgres, database)).start();
                BrokerProcess second =
                        slowPolling(broker("listen-2", 2, postgres, database)).start();
                Admin admin = first.admin()) {
            await("both brokers unfenced on the first")
                    .until(() -> describeCluster(first).brokers().size() == 2);
            // Admin sends creations to the controller: the first broker, which took the lease first
            assertThat(describeCluster(first).controllerId()).isEqualTo(1);

            admin.createTopics(List.of(new NewTopic("announced", 3, (short) 2)))
                    .all()
                    .get();
            await("the topic on the second broker")
                    .until(() -> metadata(second, "announced").partitions().size() == 3);

            admin.deleteTopics(List.of("announced")).all().get();
            await("the deletion on the second broker")
                    .until(() -> metadata(second, "announced").errorCode() == Errors.UNKNOWN_TOPIC_OR_PARTITION.code());

            // cut the second broker's listening connection: it listens again and reloads, since
            // nothing is replayed to a session that was not listening
            try (Connection c = postgres.connect(database);
                    ResultSet rs = c.createStatement()
                            .executeQuery("select count(pg_terminate_backend(pid)) from pg_stat_activity"
                                    + " where application_name = 'runnel-metadata-listener-2'")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(1);
            }
            admin.createTopics(List.of(new NewTopic("while-reconnecting", 1, (short) 1)))
                    .all()
                    .get();
            await("the topic created around the reconnect")
                    .until(() ->
                            metadata(second, "while-reconnecting").partitions().size() == 1);
            await("listening again").until(() -> second.log().contains("is listening again"));
            admin.createTopics(List.of(new NewTopic("after-reconnecting", 1, (short) 1)))
                    .all()
                    .get();
            await("the topic created after the reconnect")
                    .until(() ->
                            metadata(second, "after-reconnecting").partitions().size() == 1);
        }
    }

    private static BrokerProcess slowPolling(BrokerProcess broker) {
        return broker.set("runnel.cluster.metadata-poll-interval-ms", "600000")
                .set("runnel.cluster.broker-heartbeat-interval-ms", "60000")
                .set("runnel.cluster.broker-session-timeout-ms", "180000");
    }

    private static ConditionFactory await(String what) {
        return Awaitility.await(what)
                .atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(200))
                .ignoreExceptions();
    }
}
