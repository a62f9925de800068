package io.runnel.connect;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.path.json.JsonPath;
import io.runnel.testing.BrokerProcess;
import io.runnel.testing.Clients;
import io.runnel.testing.TestPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two brokers sharing one PostgreSQL: a connector's tasks are spread over both, and when one broker
 * is killed its tasks are restarted on the other, which carries on from the committed offsets.
 */
class ConnectorFailoverIT {

    @TempDir
    Path dir;

    @Test
    void tasksOfADeadBrokerMoveToTheSurvivor() throws Exception {
        TestPostgres postgres = TestPostgres.get();
        String database = postgres.createDatabase("connect_failover");
        Path a = dir.resolve("a.txt");
        Path b = dir.resolve("b.txt");
        try (BrokerProcess first =
                        broker("failover-1", 1, postgres.jdbcUrl(database)).start();
                BrokerProcess second =
                        broker("failover-2", 2, postgres.jdbcUrl(database)).start()) {
            try (Admin admin = first.admin()) {
                // on the broker that stays: without replication, a partition dies with its broker
                admin.createTopics(List.of(new NewTopic("failover-lines", Map.of(0, List.of(1)))))
                        .all()
                        .get();
            }
            append(a, "a", 0, 1000);
            append(b, "b", 0, 1000);
            assertThat(ConnectRest.create(
                                    first,
                                    "failover-source",
                                    Map.of(
                                            "connector.class", "FileStreamSource",
                                            "files", a + "," + b,
                                            "tasks.max", "2",
                                            "topic", "failover-lines",
                                            "value.converter", "org.apache.kafka.connect.storage.StringConverter"))
                            .statusCode())
                    .isEqualTo(201);
            ConnectRest.awaitState(first, "failover-source", "RUNNING");
            Awaitility.await("two tasks")
                    .atMost(Duration.ofSeconds(60))
                    .until(() -> ConnectRest.status(first, "failover-source")
                                    .jsonPath()
                                    .getList("tasks")
                                    .size()
                            == 2);
            ConnectRest.awaitState(first, "failover-source", "RUNNING");
            String firstWorker = "127.0.0.1:" + first.httpPort();
            String secondWorker = "127.0.0.1:" + second.httpPort();
            assertThat(workers(first)).containsExactlyInAnyOrder(firstWorker, secondWorker);

            Set<String> lines = new HashSet<>();
            try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(first.bootstrapServers())) {
                consumer.assign(List.of(new TopicPartition("failover-lines", 0)));
                consumer.seekToBeginning(consumer.assignment());
                awaitLines(consumer, lines, 2000);

                second.kill();
                append(a, "a", 1000, 2000);
                append(b, "b", 1000, 2000);

                Awaitility.await("both tasks on the survivor")
                        .atMost(Duration.ofSeconds(90))
                        .pollInterval(Duration.ofMillis(500))
                        .until(() -> workers(first).equals(List.of(firstWorker, firstWorker))
                                && ConnectRest.status(first, "failover-source")
                                        .jsonPath()
                                        .getList("tasks.state")
                                        .equals(List.of("RUNNING", "RUNNING")));
                assertThat(ConnectRest.status(first, "failover-source").<String>path("connector.worker_id"))
                        .isEqualTo(firstWorker);
                awaitLines(consumer, lines, 4000);
            }
            for (int i = 0; i < 2000; i++) {
                assertThat(lines).contains("a" + i, "b" + i);
            }
        }
    }

    private static BrokerProcess broker(String name, int nodeId, String jdbcUrl) {
        return BrokerProcess.create(name)
                .set("runnel.node-id", String.valueOf(nodeId))
                .set("quarkus.datasource.jdbc.url", jdbcUrl)
                .set("quarkus.datasource.username", "postgres")
                .set("runnel.connect.offset-flush-interval-ms", "1000")
                .set("runnel.connect.sync-interval-ms", "500");
    }

    private static List<String> workers(BrokerProcess broker) {
        JsonPath status = ConnectRest.status(broker, "failover-source").jsonPath();
        return status.getList("tasks.worker_id", String.class);
    }

    private static void awaitLines(KafkaConsumer<byte[], byte[]> consumer, Set<String> lines, int count) {
        Awaitility.await(count + " distinct lines")
                .atMost(Duration.ofSeconds(90))
                .until(() -> {
                    for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                        lines.add(new String(record.value(), StandardCharsets.UTF_8));
                    }
                    return lines.size() >= count;
                });
    }

    private static void append(Path file, String prefix, int from, int to) throws IOException {
        StringBuilder text = new StringBuilder();
        for (int i = from; i < to; i++) {
            text.append(prefix).append(i).append('\n');
        }
        Files.writeString(file, text, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
}
