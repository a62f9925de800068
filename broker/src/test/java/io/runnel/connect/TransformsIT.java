package io.runnel.connect;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

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
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Single message transforms from connect-transforms, with predicates, between a source connector
 * and the JSON converter: lines become JSON objects with an added field and are routed to another
 * topic; a predicate class that does not exist is refused when the connector is created.
 */
class TransformsIT {

    @TempDir
    Path dir;

    @Test
    void transformsAndPredicatesShapeAndRouteRecords() throws Exception {
        BrokerProcess broker = SharedBroker.get();
        Path input = dir.resolve("events.txt");
        Files.writeString(input, "first\nsecond\nthird\n");
        Map<String, String> config = new HashMap<>();
        config.put("connector.class", "FileStreamSource");
        config.put("files", input.toString());
        config.put("topic", "raw-events");
        config.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
        config.put("value.converter.schemas.enable", "false");
        config.put("transforms", "hoist,origin,route,dropTombstones");
        config.put("transforms.hoist.type", "org.apache.kafka.connect.transforms.HoistField$Value");
        config.put("transforms.hoist.field", "line");
        config.put("transforms.origin.type", "org.apache.kafka.connect.transforms.InsertField$Value");
        config.put("transforms.origin.static.field", "origin");
        config.put("transforms.origin.static.value", "events.txt");
        config.put("transforms.route.type", "org.apache.kafka.connect.transforms.RegexRouter");
        config.put("transforms.route.regex", "raw-(.*)");
        config.put("transforms.route.replacement", "routed-$1");
        config.put("transforms.route.predicate", "isRaw");
        config.put("transforms.dropTombstones.type", "org.apache.kafka.connect.transforms.Filter");
        config.put("transforms.dropTombstones.predicate", "isTombstone");
        config.put("predicates", "isRaw,isTombstone");
        config.put("predicates.isRaw.type", "org.apache.kafka.connect.transforms.predicates.TopicNameMatches");
        config.put("predicates.isRaw.pattern", "raw-.*");
        config.put("predicates.isTombstone.type", "com.example.NoSuchPredicate");

        // a predicate class the broker does not have: refused, the reason on the field
        String invalid = given().port(broker.httpPort())
                .contentType("application/json")
                .body(Map.of("name", "transformed-source", "config", config))
                .post("/connectors")
                .then()
                .statusCode(400)
                .extract()
                .path("message");
        assertThat(invalid).contains("predicates.isTombstone.type").contains("com.example.NoSuchPredicate");

        config.put("predicates.isTombstone.type", "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone");
        assertThat(ConnectRest.create(broker, "transformed-source", config).statusCode())
                .isEqualTo(201);

        List<String> values = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(broker.bootstrapServers())) {
            Awaitility.await("routed topic").atMost(Duration.ofSeconds(60)).until(() -> {
                var partitions = consumer.listTopics().get("routed-events");
                return partitions != null && !partitions.isEmpty();
            });
            consumer.assign(List.of(new TopicPartition("routed-events", 0)));
            consumer.seekToBeginning(consumer.assignment());
            Awaitility.await("three records").atMost(Duration.ofSeconds(60)).until(() -> {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(new String(record.value(), StandardCharsets.UTF_8));
                }
                return values.size() >= 3;
            });
        }
        assertThat(values)
                .containsExactly(
                        "{\"line\":\"first\",\"origin\":\"events.txt\"}",
                        "{\"line\":\"second\",\"origin\":\"events.txt\"}",
                        "{\"line\":\"third\",\"origin\":\"events.txt\"}");
        given().port(broker.httpPort())
                .delete("/connectors/transformed-source")
                .then()
                .statusCode(204);
    }
}
