package io.runnel.connect;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import io.runnel.testing.BrokerProcess;
import io.runnel.testing.Clients;
import io.runnel.testing.SharedBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * errors.tolerance: with {@code all}, a record the converter cannot read goes to the dead letter
 * queue with Kafka Connect's context headers while the rest flows on; with {@code none}, the task is
 * FAILED with the reason in its status, and a restart brings it back.
 */
class ErrorHandlingIT {

    @TempDir
    Path dir;

    @Test
    void unreadableRecordsGoToTheDeadLetterQueueWithContextHeaders() throws Exception {
        BrokerProcess broker = SharedBroker.get();
        try (Admin admin = broker.admin()) {
            Clients.createTopic(admin, "dlq-events", 1, Map.of());
        }
        produce(
                broker,
                "dlq-events",
                List.of(
                        "{\"n\":0}",
                        "{\"n\":1}",
                        "{\"n\":2}",
                        "not json{",
                        "{\"n\":4}",
                        "{\"n\":5}",
                        "{\"n\":6}",
                        "[also not",
                        "{\"n\":8}",
                        "{\"n\":9}"));
        Path output = dir.resolve("tolerant.txt");
        Map<String, String> config = new HashMap<>(Map.of(
                "connector.class", "FileStreamSink",
                "file", output.toString(),
                "topics", "dlq-events",
                "key.converter", "org.apache.kafka.connect.storage.StringConverter",
                "value.converter", "org.apache.kafka.connect.json.JsonConverter",
                "value.converter.schemas.enable", "false",
                "errors.tolerance", "all",
                "errors.log.enable", "true",
                "errors.deadletterqueue.topic.name", "dlq-events-dead",
                "errors.deadletterqueue.topic.replication.factor", "1"));
        config.put("errors.deadletterqueue.context.headers.enable", "true");
        assertThat(ConnectRest.create(broker, "tolerant-sink", config).statusCode())
                .isEqualTo(201);

        Awaitility.await("valid records in the file")
                .atMost(Duration.ofSeconds(60))
                .until(() -> Files.exists(output) && Files.readAllLines(output).size() == 8);
        assertThat(Files.readAllLines(output))
                .containsExactly("{n=0}", "{n=1}", "{n=2}", "{n=4}", "{n=5}", "{n=6}", "{n=8}", "{n=9}");

        List<ConsumerRecord<byte[], byte[]>> dead = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(broker.bootstrapServers())) {
            consumer.assign(List.of(new TopicPartition("dlq-events-dead", 0)));
            consumer.seekToBeginning(consumer.assignment());
            Awaitility.await("dead letters").atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(dead::add);
                return dead.size() >= 2;
            });
        }
        assertThat(dead).hasSize(2);
        assertThat(new String(dead.get(0).value(), StandardCharsets.UTF_8)).isEqualTo("not json{");
        assertThat(new String(dead.get(1).value(), StandardCharsets.UTF_8)).isEqualTo("[also not");
        Map<String, String> headers = headers(dead.get(0));
        assertThat(headers)
                .containsEntry("__connect.errors.topic", "dlq-events")
                .containsEntry("__connect.errors.partition", "0")
                .containsEntry("__connect.errors.offset", "3")
                .containsEntry("__connect.errors.connector.name", "tolerant-sink")
                .containsEntry("__connect.errors.task.id", "0")
                .containsEntry("__connect.errors.stage", "VALUE_CONVERTER")
                .containsEntry("__connect.errors.class.name", "org.apache.kafka.connect.json.JsonConverter")
                .containsEntry("__connect.errors.exception.class.name", "org.apache.kafka.connect.errors.DataException")
                .containsKey("__connect.errors.exception.message")
                .containsKey("__connect.errors.exception.stacktrace");
        assertThat(headers(dead.get(1))).containsEntry("__connect.errors.offset", "7");
        assertThat(ConnectRest.status(broker, "tolerant-sink").<String>path("tasks[0].state"))
                .isEqualTo("RUNNING");
        given().port(broker.httpPort())
                .delete("/connectors/tolerant-sink")
                .then()
                .statusCode(204);
    }

    @Test
    void withoutToleranceTheTaskFailsWithItsReasonAndARestartBringsItBack() throws Exception {
        BrokerProcess broker = SharedBroker.get();
        try (Admin admin = broker.admin()) {
            Clients.createTopic(admin, "strict-events", 1, Map.of());
        }
        produce(broker, "strict-events", List.of("{\"n\":0}", "{\"n\":1}"));
        Path output = dir.resolve("strict.txt");
        assertThat(ConnectRest.create(
                                broker,
                                "strict-sink",
                                Map.of(
                                        "connector.class", "FileStreamSink",
                                        "file", output.toString(),
                                        "topics", "strict-events",
                                        "value.converter", "org.apache.kafka.connect.json.JsonConverter",
                                        "value.converter.schemas.enable", "false"))
                        .statusCode())
                .isEqualTo(201);
        Awaitility.await("the good records committed")
                .atMost(Duration.ofSeconds(60))
                .until(() -> Integer.valueOf(2)
                        .equals(given().port(broker.httpPort())
                                .get("/connectors/strict-sink/offsets")
                                .jsonPath()
                                .get("offsets[0].offset.kafka_offset")));
        produce(broker, "strict-events", List.of("not json{", "{\"n\":3}"));

        Response failed = ConnectRest.awaitTaskState(broker, "strict-sink", 0, "FAILED");
        assertThat(failed.<String>path("tasks[0].trace"))
                .contains("Tolerance exceeded in error handler")
                .contains("org.apache.kafka.connect.errors.DataException");
        assertThat(failed.<String>path("connector.state")).isEqualTo("RUNNING");

        // the operator removes the poisonous record (everything before it is committed), then
        // restarts the failed task
        try (Admin admin = broker.admin()) {
            admin.deleteRecords(Map.of(new TopicPartition("strict-events", 0), RecordsToDelete.beforeOffset(3)))
                    .all()
                    .get();
        }
        Response restarted = given().port(broker.httpPort())
                .queryParam("includeTasks", true)
                .queryParam("onlyFailed", true)
                .post("/connectors/strict-sink/restart");
        assertThat(restarted.statusCode()).isEqualTo(202);
        assertThat(restarted.<String>path("tasks[0].state")).isEqualTo("RESTARTING");
        assertThat(restarted.<String>path("connector.state")).isEqualTo("RUNNING");

        ConnectRest.awaitTaskState(broker, "strict-sink", 0, "RUNNING");
        Awaitility.await("the record after the bad one")
                .atMost(Duration.ofSeconds(60))
                .until(() -> Files.exists(output) && Files.readAllLines(output).contains("{n=3}"));
        assertThat(Files.readAllLines(output)).containsExactly("{n=0}", "{n=1}", "{n=3}");
        given().port(broker.httpPort()).delete("/connectors/strict-sink").then().statusCode(204);
    }

    private static void produce(BrokerProcess broker, String topic, List<String> values) {
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(broker.bootstrapServers())) {
            for (String value : values) {
                producer.send(new ProducerRecord<>(topic, 0, null, value.getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
        }
    }

    private static Map<String, String> headers(ConsumerRecord<byte[], byte[]> record) {
        Map<String, String> headers = new HashMap<>();
        for (Header header : record.headers()) {
            headers.put(
                    header.key(), header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8));
        }
        return headers;
    }
}
