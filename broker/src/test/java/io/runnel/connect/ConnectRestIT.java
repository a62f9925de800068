package io.runnel.connect;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.restassured.http.ContentType;
import io.restassured.http.Method;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.runnel.testing.BrokerProcess;
import io.runnel.testing.Clients;
import io.runnel.testing.SharedBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka Connect's REST API as the broker serves it: every endpoint of {@code /connectors} and
 * {@code /connector-plugins}, for good requests and bad, with Kafka Connect's status codes and JSON
 * shapes (errors are {@code {"error_code": <status>, "message": "..."}}).
 *
 * <p>The broker is shared with other test classes: every connector and topic here is named {@code
 * rest-...} and deleted after its test.
 */
class ConnectRestIT {

    private static final String SOURCE_CLASS = "io.runnel.connector.file.FileStreamSourceConnector";
    private static final String SINK_CLASS = "io.runnel.connector.file.FileStreamSinkConnector";
    private static final String STRING_CONVERTER = "org.apache.kafka.connect.storage.StringConverter";
    private static final String JSON_CONVERTER = "org.apache.kafka.connect.json.JsonConverter";
    private static final String INVALID_CONFIG = "Connector configuration is invalid and contains the following ";
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final BrokerProcess broker = SharedBroker.get();
    private final List<String> connectors = new ArrayList<>();
    private final List<String> topics = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void deleteWhatTheTestCreated() throws Exception {
        for (String name : connectors) {
            api().delete("/connectors/{name}", name);
        }
        if (!topics.isEmpty()) {
            try (Admin admin = broker.admin()) {
                admin.deleteTopics(topics).all().get();
            }
        }
    }

    @Test
    void listsConnectorNamesAndExpandsTheirStatusAndInfo() {
        created(create("rest-list-source", source("rest-list-unused", dir.resolve("absent.txt"))));
        created(create("rest-list-sink", sink("rest-list-unused", dir.resolve("out.txt"))));
        ConnectRest.awaitState(broker, "rest-list-source", "RUNNING");
        ConnectRest.awaitState(broker, "rest-list-sink", "RUNNING");

        Response names = ok(api().get("/connectors"));
        assertThat(names.jsonPath().getList("", String.class)).contains("rest-list-source", "rest-list-sink");

        Response status = ok(api().queryParam("expand", "status").get("/connectors"));
        assertThat(status.<String>path("'rest-list-source'.status.name")).isEqualTo("rest-list-source");
        assertThat(status.<String>path("'rest-list-source'.status.connector.state"))
                .isEqualTo("RUNNING");
        assertThat(status.<String>path("'rest-list-source'.status.tasks[0].state"))
                .isEqualTo("RUNNING");
        assertThat(status.<String>path("'rest-list-source'.status.type")).isEqualTo("source");
        assertThat(status.<String>path("'rest-list-sink'.status.type")).isEqualTo("sink");
        assertThat(status.jsonPath().getMap("'rest-list-source'")).containsOnlyKeys("status");

        Response info = ok(api().queryParam("expand", "info").get("/connectors"));
        assertThat(info.<String>path("'rest-list-sink'.info.name")).isEqualTo("rest-list-sink");
        assertThat(info.<String>path("'rest-list-sink'.info.config.'connector.class'"))
                .isEqualTo("FileStreamSink");
        assertThat(info.<String>path("'rest-list-sink'.info.type")).isEqualTo("sink");
        assertThat(info.jsonPath().getList("'rest-list-sink'.info.tasks"))
                .containsExactly(Map.of("connector", "rest-list-sink", "task", 0));
        assertThat(info.jsonPath().getMap("'rest-list-sink'")).containsOnlyKeys("info");

        Response both = ok(api().queryParam("expand", "status", "info").get("/connectors"));
        assertThat(both.jsonPath().getMap("'rest-list-source'")).containsOnlyKeys("status", "info");

        assertError(api().queryParam("expand", "everything").get("/connectors"), 400, "everything");
    }

    @Test
    void createAnswers201WithTheConnectorAndItsTasksFollow() {
        Path input = dir.resolve("absent.txt");
        Response created = created(create("rest-create", source("rest-create-unused", input)));
        assertThat(created.header("Location")).endsWith("/connectors/rest-create");
        assertThat(created.<String>path("name")).isEqualTo("rest-create");
        assertThat(created.jsonPath().getMap("config", String.class, String.class))
                .containsEntry("name", "rest-create")
                .containsEntry("connector.class", "FileStreamSource")
                .containsEntry("topic", "rest-create-unused");
        assertThat(created.jsonPath().getList("tasks")).isNotNull();
        assertThat(created.<String>path("type")).isEqualTo("source");

        Awaitility.await("tasks of rest-create")
                .atMost(TIMEOUT)
                .until(() -> !ok(api().get("/connectors/rest-create/tasks"))
                        .jsonPath()
                        .getList("")
                        .isEmpty());
        assertThat(ok(api().get("/connectors/rest-create")).jsonPath().getList("tasks"))
                .containsExactly(Map.of("connector", "rest-create", "task", 0));

        assertError(create("rest-create", source("rest-create-unused", input)), 409, "rest-create", "already exists");

        // a name that is not a URL path segment as it stands is still a name
        Response spaced = created(create("rest create spaced", source("rest-create-unused", input)));
        assertThat(spaced.header("Location")).endsWith("/connectors/rest%20create%20spaced");
        assertThat(ok(api().get("/connectors/{name}", "rest create spaced")).<String>path("name"))
                .isEqualTo("rest create spaced");
    }

    @Test
    void createRejectsMalformedRequests() {
        assertError(api().body("{not json").post("/connectors"), 400, "not valid JSON");
        assertError(api().body("").post("/connectors"), 400, "empty");
        assertError(api().body(Map.of("name", "rest-no-config")).post("/connectors"), 400, "config");
        assertError(
                api().body(Map.of(
                                "name",
                                "rest-object-value",
                                "config",
                                Map.of("connector.class", "FileStreamSource", "topic", Map.of("nested", "x"))))
                        .post("/connectors"),
                400,
                "topic");
        assertError(create("rest-no-class", Map.of("topic", "t", "file", "in.txt")), 400, "no connector type");
        assertError(
                create("rest-unknown-class", Map.of("connector.class", "org.example.NoSuchConnector")),
                400,
                INVALID_CONFIG,
                "connector.class",
                "org.example.NoSuchConnector");
        Map<String, String> valid = source("rest-unused", dir.resolve("in.txt"));
        assertError(create("rest-\u0007bell", valid), 400, "control characters");
        assertError(create("   ", valid), 400, "name");

        assertThat(ok(api().get("/connectors")).jsonPath().getList("", String.class))
                .noneMatch(name -> name.startsWith("rest-no-")
                        || name.startsWith("rest-object")
                        || name.startsWith("rest-unknown")
                        || name.startsWith("rest-\u0007")
                        || name.isBlank());
    }

    @Test
    void createRejectsInvalidConfigsListingEveryFieldError() {
        Path input = dir.resolve("in.txt");
        Map<String, String> noTopic = source("rest-unused", input);
        noTopic.remove("topic");
        assertError(create("rest-invalid", noTopic), 400, INVALID_CONFIG + "1 error(s)", "topic: ");

        Map<String, String> noTasks = source("rest-unused", input);
        noTasks.put("tasks.max", "0");
        assertError(create("rest-invalid", noTasks), 400, INVALID_CONFIG + "1 error(s)", "tasks.max: ");

        noTopic.put("tasks.max", "0");
        assertError(create("rest-invalid", noTopic), 400, INVALID_CONFIG + "2 error(s)", "topic: ", "tasks.max: ");

        Map<String, String> bothTopicKinds = sink("rest-unused", dir.resolve("out.txt"));
        bothTopicKinds.put("topics.regex", "rest-.*");
        assertError(
                create("rest-invalid", bothTopicKinds),
                400,
                INVALID_CONFIG + "2 error(s)",
                "topics: ",
                "topics.regex: ",
                "mutually exclusive");

        Map<String, String> badTransform = source("rest-unused", input);
        badTransform.put("transforms", "tag");
        badTransform.put("transforms.tag.type", "org.example.NoSuchTransform");
        assertError(
                create("rest-invalid", badTransform),
                400,
                INVALID_CONFIG + "1 error(s)",
                "transforms.tag.type: ",
                "org.example.NoSuchTransform");

        assertError(api().get("/connectors/rest-invalid"), 404, "rest-invalid");
    }

    @Test
    void unknownConnectorsAre404OnEveryEndpoint() {
        String offsets = "{\"offsets\": [{\"partition\": {\"filename\": \"a\"}, \"offset\": {\"position\": 1}}]}";
        List<RequestCall> calls = List.of(
                new RequestCall(Method.GET, "/connectors/rest-nobody", null),
                new RequestCall(Method.GET, "/connectors/rest-nobody/config", null),
                new RequestCall(Method.GET, "/connectors/rest-nobody/status", null),
                new RequestCall(Method.GET, "/connectors/rest-nobody/tasks", null),
                new RequestCall(Method.GET, "/connectors/rest-nobody/tasks/0/status", null),
                new RequestCall(Method.GET, "/connectors/rest-nobody/offsets", null),
                new RequestCall(Method.PATCH, "/connectors/rest-nobody/offsets", offsets),
                new RequestCall(Method.DELETE, "/connectors/rest-nobody/offsets", null),
                new RequestCall(Method.POST, "/connectors/rest-nobody/restart", null),
                new RequestCall(Method.POST, "/connectors/rest-nobody/tasks/0/restart", null),
                new RequestCall(Method.PUT, "/connectors/rest-nobody/pause", null),
                new RequestCall(Method.PUT, "/connectors/rest-nobody/resume", null),
                new RequestCall(Method.PUT, "/connectors/rest-nobody/stop", null),
                new RequestCall(Method.DELETE, "/connectors/rest-nobody", null));
        for (RequestCall call : calls) {
            RequestSpecification request = api();
            if (call.body() != null) {
                request.body(call.body());
            }
            assertError(request.request(call.method(), call.path()), 404, "rest-nobody");
        }
    }

    @Test
    void readsConnectorAndConfig() {
        Map<String, String> config = source("rest-read-unused", dir.resolve("absent.txt"));
        created(create("rest-read", config));

        Response info = ok(api().get("/connectors/rest-read"));
        assertThat(info.<String>path("name")).isEqualTo("rest-read");
        assertThat(info.<String>path("type")).isEqualTo("source");
        assertThat(info.jsonPath().getMap("config", String.class, String.class))
                .containsAllEntriesOf(config)
                .containsEntry("name", "rest-read");
        assertThat(info.jsonPath().getList("tasks")).isNotNull();

        Map<String, String> expected = new HashMap<>(config);
        expected.put("name", "rest-read");
        assertThat(ok(api().get("/connectors/rest-read/config")).jsonPath().getMap("", String.class, String.class))
                .isEqualTo(expected);
    }

    @Test
    void putConfigCreatesThenUpdates() {
        Map<String, String> config = source("rest-put-unused", dir.resolve("absent.txt"));
        Response created = api().body(config).put("/connectors/rest-put/config");
        connectors.add("rest-put");
        assertThat(created.statusCode()).as(created.asString()).isEqualTo(201);
        assertThat(created.header("Location")).endsWith("/connectors/rest-put");
        assertThat(created.<String>path("name")).isEqualTo("rest-put");
        assertThat(created.<String>path("config.name")).isEqualTo("rest-put");
        assertThat(created.<String>path("type")).isEqualTo("source");
        ConnectRest.awaitState(broker, "rest-put", "RUNNING");

        config.put("batch.size", "7");
        Response updated = ok(api().body(config).put("/connectors/rest-put/config"));
        assertThat(updated.<String>path("name")).isEqualTo("rest-put");
        assertThat(updated.<String>path("config.'batch.size'")).isEqualTo("7");
        assertThat(ok(api().get("/connectors/rest-put/config")).<String>path("'batch.size'"))
                .isEqualTo("7");
        Awaitility.await("the task restarted with the new config")
                .atMost(TIMEOUT)
                .until(() -> "7".equals(api().get("/connectors/rest-put/tasks").path("[0].config.'batch.size'")));
        ConnectRest.awaitState(broker, "rest-put", "RUNNING");

        Map<String, String> misnamed = new HashMap<>(config);
        misnamed.put("name", "rest-other");
        assertError(api().body(misnamed).put("/connectors/rest-put/config"), 400, "rest-other", "rest-put");
        Map<String, String> invalid = new HashMap<>(config);
        invalid.put("batch.size", "0");
        assertError(api().body(invalid).put("/connectors/rest-put/config"), 400, INVALID_CONFIG, "batch.size");
        assertError(api().body("{not json").put("/connectors/rest-put/config"), 400, "not valid JSON");
        assertThat(ok(api().get("/connectors/rest-put/config")).<String>path("'batch.size'"))
                .as("rejected updates change nothing")
                .isEqualTo("7");
        assertError(api().get("/connectors/rest-other"), 404, "rest-other");
    }

    @Test
    void reportsConnectorAndTaskStatus() {
        created(create("rest-status", twoFileSource("rest-status-unused")));
        ConnectRest.awaitState(broker, "rest-status", "RUNNING");

        Response status = ok(ConnectRest.status(broker, "rest-status"));
        assertThat(status.jsonPath().getMap("")).containsOnlyKeys("name", "connector", "tasks", "type");
        assertThat(status.<String>path("name")).isEqualTo("rest-status");
        assertThat(status.<String>path("type")).isEqualTo("source");
        assertThat(status.jsonPath().getMap("connector")).containsOnlyKeys("state", "worker_id");
        assertThat(status.<String>path("connector.state")).isEqualTo("RUNNING");
        assertThat(status.<String>path("connector.worker_id")).isNotBlank();
        assertThat(status.jsonPath().getList("tasks.id")).containsExactly(0, 1);
        assertThat(status.jsonPath().getList("tasks.state")).containsExactly("RUNNING", "RUNNING");
        assertThat(status.jsonPath().getList("tasks.worker_id", String.class)).allMatch(w -> !w.isBlank());

        Response task = ok(api().get("/connectors/rest-status/tasks/1/status"));
        assertThat(task.jsonPath().getMap("")).containsOnlyKeys("id", "state", "worker_id");
        assertThat(task.<Integer>path("id")).isEqualTo(1);
        assertThat(task.<String>path("state")).isEqualTo("RUNNING");

        assertError(api().get("/connectors/rest-status/tasks/2/status"), 404, "rest-status");
        assertError(api().get("/connectors/rest-status/tasks/one/status"), 404, "rest-status");
    }

    @Test
    void listsTaskIdsWithTheirConfigs() {
        created(create("rest-tasks", twoFileSource("rest-tasks-unused")));
        Awaitility.await("two tasks of rest-tasks")
                .atMost(TIMEOUT)
                .until(() -> ok(api().get("/connectors/rest-tasks/tasks"))
                                .jsonPath()
                                .getList("")
                                .size()
                        == 2);

        Response tasks = ok(api().get("/connectors/rest-tasks/tasks"));
        assertThat(tasks.jsonPath().getList("id"))
                .containsExactly(
                        Map.of("connector", "rest-tasks", "task", 0), Map.of("connector", "rest-tasks", "task", 1));
        assertThat(tasks.<String>path("[0].config.files"))
                .isEqualTo(dir.resolve("a.txt").toString());
        assertThat(tasks.<String>path("[1].config.files"))
                .isEqualTo(dir.resolve("b.txt").toString());
        assertThat(tasks.<String>path("[1].config.topic")).isEqualTo("rest-tasks-unused");
        assertError(api().get("/connectors/rest-nobody/tasks"), 404, "rest-nobody");
    }

    @Test
    void restartsConnectorAndTasks() {
        created(create("rest-restart", source("rest-restart-unused", dir.resolve("absent.txt"))));
        ConnectRest.awaitState(broker, "rest-restart", "RUNNING");

        Response plain = api().post("/connectors/rest-restart/restart");
        assertThat(plain.statusCode()).as(plain.asString()).isEqualTo(204);
        assertThat(plain.asString()).isEmpty();
        ConnectRest.awaitState(broker, "rest-restart", "RUNNING");

        Response onlyFailed = api().queryParam("includeTasks", true)
                .queryParam("onlyFailed", true)
                .post("/connectors/rest-restart/restart");
        assertThat(onlyFailed.statusCode()).as(onlyFailed.asString()).isEqualTo(202);
        assertThat(onlyFailed.<String>path("connector.state"))
                .as("nothing failed, so nothing restarts")
                .isEqualTo("RUNNING");
        assertThat(onlyFailed.jsonPath().getList("tasks.state")).containsExactly("RUNNING");

        Response all = api().queryParam("includeTasks", true)
                .queryParam("onlyFailed", false)
                .post("/connectors/rest-restart/restart");
        assertThat(all.statusCode()).as(all.asString()).isEqualTo(202);
        assertThat(all.<String>path("name")).isEqualTo("rest-restart");
        assertThat(all.<String>path("type")).isEqualTo("source");
        assertThat(all.<String>path("connector.state")).isEqualTo("RESTARTING");
        assertThat(all.jsonPath().getList("tasks.id")).containsExactly(0);
        assertThat(all.jsonPath().getList("tasks.state")).containsExactly("RESTARTING");
        ConnectRest.awaitState(broker, "rest-restart", "RUNNING");

        Response task = api().post("/connectors/rest-restart/tasks/0/restart");
        assertThat(task.statusCode()).as(task.asString()).isEqualTo(204);
        ConnectRest.awaitState(broker, "rest-restart", "RUNNING");

        assertError(api().post("/connectors/rest-restart/tasks/3/restart"), 404, "rest-restart");
        assertError(api().post("/connectors/rest-nobody/restart"), 404, "rest-nobody");
    }

    @Test
    void pausesResumesAndStops() {
        created(create("rest-states", source("rest-states-unused", dir.resolve("absent.txt"))));
        ConnectRest.awaitState(broker, "rest-states", "RUNNING");

        accepted(api().put("/connectors/rest-states/pause"));
        ConnectRest.awaitState(broker, "rest-states", "PAUSED");
        accepted(api().put("/connectors/rest-states/resume"));
        ConnectRest.awaitState(broker, "rest-states", "RUNNING");

        accepted(api().put("/connectors/rest-states/stop"));
        awaitStopped("rest-states");
        assertThat(ok(api().get("/connectors/rest-states")).jsonPath().getList("tasks"))
                .isEmpty();
        assertError(api().get("/connectors/rest-states/tasks/0/status"), 404, "rest-states");

        accepted(api().put("/connectors/rest-states/resume"));
        ConnectRest.awaitState(broker, "rest-states", "RUNNING");
    }

    @Test
    void readsAltersAndResetsSourceOffsets() throws Exception {
        String topic = topic("rest-source-offsets");
        Path input = dir.resolve("lines.txt");
        Files.writeString(input, "first\nsecond\nthird\n", StandardCharsets.UTF_8);
        String file = input.toString();
        created(create("rest-source-offsets", source(topic, input)));

        awaitOffsets("rest-source-offsets", List.of(sourceOffset(file, 19)));
        assertThat(lines(topic)).containsExactly("first", "second", "third");

        String alter = offsetsBody(sourceOffset(file, 6));
        assertError(api().body(alter).patch("/connectors/rest-source-offsets/offsets"), 400, "STOPPED", "/stop");
        assertError(api().delete("/connectors/rest-source-offsets/offsets"), 400, "STOPPED");

        accepted(api().put("/connectors/rest-source-offsets/stop"));
        awaitStopped("rest-source-offsets");
        String path = "/connectors/rest-source-offsets/offsets";
        assertError(api().body("{not json").patch(path), 400, "not valid JSON");
        assertError(api().body("{}").patch(path), 400, "offsets");
        assertError(api().body("{\"offsets\": []}").patch(path), 400, "offsets");
        assertError(
                api().body("{\"offsets\": [{\"offset\": {\"position\": 1}}]}").patch(path), 400, "partition");
        assertError(
                api().body(offsetsBody(Map.of("partition", Map.of("filename", file), "offset", "6")))
                        .patch(path),
                400,
                "offset");
        // shapes only the connector knows: FileStreamSource checks them in its alterOffsets
        assertError(
                api().body(offsetsBody(Map.of("partition", Map.of("file", file), "offset", Map.of("position", 6))))
                        .patch(path),
                400,
                "filename");
        assertError(
                api().body(offsetsBody(
                                Map.of("partition", Map.of("filename", file), "offset", Map.of("position", "six"))))
                        .patch(path),
                400,
                "position");
        assertThat(offsets("rest-source-offsets"))
                .as("rejected changes change nothing")
                .containsExactly(sourceOffset(file, 19));

        Response altered = ok(api().body(alter).patch(path));
        assertThat(altered.<String>path("message")).contains("altered successfully");
        assertThat(offsets("rest-source-offsets")).containsExactly(sourceOffset(file, 6));

        // the altered offset is where the task resumes: the lines after "first" once more
        accepted(api().put("/connectors/rest-source-offsets/resume"));
        Awaitility.await("lines after the altered offset again")
                .atMost(TIMEOUT)
                .until(() -> lines(topic).size() == 5);
        assertThat(lines(topic)).containsExactly("first", "second", "third", "second", "third");
        awaitOffsets("rest-source-offsets", List.of(sourceOffset(file, 19)));

        accepted(api().put("/connectors/rest-source-offsets/stop"));
        awaitStopped("rest-source-offsets");
        Response reset = ok(api().delete(path));
        assertThat(reset.<String>path("message")).contains("reset successfully");
        assertThat(offsets("rest-source-offsets")).isEmpty();
    }

    @Test
    void readsAltersAndResetsSinkOffsets() throws Exception {
        String topic = topic("rest-sink-offsets");
        produce(topic, "one", "two", "three");
        Path output = dir.resolve("out.txt");
        created(create("rest-sink-offsets", sink(topic, output)));

        awaitOffsets("rest-sink-offsets", List.of(sinkOffset(topic, 3)));
        String path = "/connectors/rest-sink-offsets/offsets";
        assertError(api().body(offsetsBody(sinkOffset(topic, 1))).patch(path), 400, "STOPPED");

        accepted(api().put("/connectors/rest-sink-offsets/stop"));
        awaitStopped("rest-sink-offsets");
        // STOPPED is reported once the task has stopped: its consumer has left the group
        assertError(
                api().body(offsetsBody(Map.of("partition", Map.of("kafka_topic", topic), "offset", Map.of())))
                        .patch(path),
                400,
                "kafka_partition");
        assertError(
                api().body(offsetsBody(Map.of(
                                "partition",
                                Map.of("kafka_topic", topic, "kafka_partition", 0),
                                "offset",
                                Map.of("kafka_offset", -1))))
                        .patch(path),
                400,
                "kafka_offset");

        Response altered = ok(api().body(offsetsBody(sinkOffset(topic, 1))).patch(path));
        assertThat(altered.<String>path("message")).contains("altered successfully");
        assertThat(offsets("rest-sink-offsets")).containsExactly(sinkOffset(topic, 1));
        // numbers as strings, which Kafka Connect accepts too
        ok(api().body(offsetsBody(Map.of(
                        "partition",
                        Map.of("kafka_topic", topic, "kafka_partition", "0"),
                        "offset",
                        Map.of("kafka_offset", "2"))))
                .patch(path));
        assertThat(offsets("rest-sink-offsets")).containsExactly(sinkOffset(topic, 2));

        Response reset = ok(api().delete(path));
        assertThat(reset.<String>path("message")).contains("reset successfully");
        assertThat(offsets("rest-sink-offsets")).isEmpty();
    }

    @Test
    void deletesConnectors() {
        created(create("rest-delete", source("rest-delete-unused", dir.resolve("absent.txt"))));
        ConnectRest.awaitState(broker, "rest-delete", "RUNNING");

        Response deleted = api().delete("/connectors/rest-delete");
        assertThat(deleted.statusCode()).as(deleted.asString()).isEqualTo(204);
        assertError(api().get("/connectors/rest-delete"), 404, "rest-delete");
        assertError(api().get("/connectors/rest-delete/status"), 404, "rest-delete");
        assertThat(ok(api().get("/connectors")).jsonPath().getList("", String.class))
                .doesNotContain("rest-delete");
        assertError(api().delete("/connectors/rest-delete"), 404, "rest-delete");
    }

    @Test
    void unknownPathsAndMethodsAnswerWithTheErrorBody() {
        assertError(api().get("/connectors/rest-x/no-such-thing"), 404, "404");
        assertError(api().delete("/connector-plugins"), 405, "405");
    }

    @Test
    void theRootAnswersVersionCommitAndClusterId() {
        Response root = api().get("/");
        assertThat(root.statusCode()).isEqualTo(200);
        assertThat(root.jsonPath().getMap("")).containsOnlyKeys("version", "commit", "kafka_cluster_id");
        assertThat(root.<String>path("version")).isEqualTo("4.1.1");
        assertThat(root.<String>path("kafka_cluster_id")).isNotBlank();
    }

    @Test
    void listsInstalledPluginsAndTheirConfigDefinitions() {
        Response connectorsOnly = ok(api().get("/connector-plugins"));
        assertThat(connectorsOnly.jsonPath().getList("type", String.class))
                .allMatch(t -> t.equals("source") || t.equals("sink"));
        assertThat(plugin(connectorsOnly, SOURCE_CLASS)).containsEntry("type", "source");
        assertThat(plugin(connectorsOnly, SINK_CLASS)).containsEntry("type", "sink");
        assertThat((String) plugin(connectorsOnly, SOURCE_CLASS).get("version")).isNotBlank();

        Response all = ok(api().queryParam("connectorsOnly", false).get("/connector-plugins"));
        assertThat(plugin(all, SOURCE_CLASS)).containsEntry("type", "source");
        assertThat(all.jsonPath().getList("findAll { it['class'] == '" + JSON_CONVERTER + "' }.type"))
                .contains("converter");
        assertThat(plugin(all, "org.apache.kafka.connect.transforms.InsertField$Value"))
                .containsEntry("type", "transformation");

        for (String name : List.of("FileStreamSource", SOURCE_CLASS)) {
            Response config = ok(api().get("/connector-plugins/{plugin}/config", name));
            assertThat(config.jsonPath().getList("name")).contains("topic", "files", "file", "batch.size");
            Map<String, Object> batchSize = config.jsonPath().getMap("find { it.name == 'batch.size' }");
            assertThat(batchSize)
                    .containsEntry("type", "INT")
                    .containsEntry("required", false)
                    .containsEntry("default_value", "2000")
                    .containsEntry("importance", "LOW")
                    .containsKeys("documentation", "group", "order", "width", "display_name", "dependents");
            assertThat(config.<Boolean>path("find { it.name == 'topic' }.required"))
                    .isTrue();
        }
        assertError(api().get("/connector-plugins/NoSuchConnector/config"), 404, "NoSuchConnector");
    }

    @Test
    void validatesConfigsAgainstAConnectorPlugin() {
        String path = "/connector-plugins/FileStreamSource/config/validate";
        Map<String, String> config = source("rest-validate-unused", dir.resolve("in.txt"));
        config.put("name", "rest-validate");

        Response valid = ok(api().body(config).put(path));
        assertThat(valid.<String>path("name")).isEqualTo(SOURCE_CLASS);
        assertThat(valid.<Integer>path("error_count")).isZero();
        assertThat(valid.jsonPath().getList("groups", String.class)).contains("Common");
        assertThat(valid.<String>path("configs.find { it.value.name == 'topic' }.value.value"))
                .isEqualTo("rest-validate-unused");
        assertThat(valid.<String>path("configs.find { it.value.name == 'topic' }.definition.name"))
                .isEqualTo("topic");
        assertThat(valid.jsonPath().getMap("configs[0].value"))
                .containsOnlyKeys("name", "value", "recommended_values", "errors", "visible");

        config.remove("topic");
        config.put("tasks.max", "0");
        Response invalid = ok(api().body(config).put(path));
        assertThat(invalid.<Integer>path("error_count")).isEqualTo(2);
        assertThat(errorsOf(invalid, "topic")).isNotEmpty();
        assertThat(errorsOf(invalid, "tasks.max")).isNotEmpty();
        assertThat(errorsOf(invalid, "batch.size")).isEmpty();

        Map<String, String> sink = sink("rest-validate-unused", dir.resolve("out.txt"));
        sink.put("name", "rest-validate");
        sink.put("topics.regex", "rest-.*");
        Response sinkErrors = ok(api().body(sink).put("/connector-plugins/{plugin}/config/validate", SINK_CLASS));
        assertThat(sinkErrors.<Integer>path("error_count")).isEqualTo(2);
        assertThat(errorsOf(sinkErrors, "topics")).singleElement().asString().contains("mutually exclusive");
        assertThat(errorsOf(sinkErrors, "topics.regex"))
                .singleElement()
                .asString()
                .contains("mutually exclusive");

        assertError(
                api().body(config).put("/connector-plugins/NoSuchConnector/config/validate"), 404, "NoSuchConnector");
        assertError(api().body("{not json").put(path), 400, "not valid JSON");
        assertError(api().body(Map.of("topic", List.of("a", "b"))).put(path), 400, "topic");
        assertError(api().body(sink).put(path), 400, "FileStreamSink", "FileStreamSource");
    }

    @Test
    void aSourceCreatedThroughRestWritesItsFileIntoTheTopic() throws Exception {
        String topic = topic("rest-e2e-lines");
        Path input = dir.resolve("e2e.txt");
        Files.writeString(input, "alpha\nbeta\n", StandardCharsets.UTF_8);
        Map<String, String> config = source(topic, input);
        config.put("value.converter", JSON_CONVERTER);
        config.put("value.converter.schemas.enable", "false");
        config.put("transforms", "hoist");
        config.put("transforms.hoist.type", "org.apache.kafka.connect.transforms.HoistField$Value");
        config.put("transforms.hoist.field", "line");
        created(create("rest-e2e", config));
        ConnectRest.awaitState(broker, "rest-e2e", "RUNNING");

        Files.writeString(input, "gamma\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        Awaitility.await("three lines in " + topic)
                .atMost(TIMEOUT)
                .until(() -> lines(topic).size() == 3);
        assertThat(lines(topic)).containsExactly("{\"line\":\"alpha\"}", "{\"line\":\"beta\"}", "{\"line\":\"gamma\"}");
    }

    // ---- requests and what they answer

    private record RequestCall(Method method, String path, String body) {}

    private RequestSpecification api() {
        return given().port(broker.httpPort()).contentType(ContentType.JSON);
    }

    private Response create(String name, Map<String, String> config) {
        return api().body(Map.of("name", name, "config", config)).post("/connectors");
    }

    /** Asserts a 201 and remembers the connector for deletion after the test. */
    private Response created(Response response) {
        assertThat(response.statusCode()).as(response.asString()).isEqualTo(201);
        connectors.add(response.path("name"));
        return response;
    }

    private static Response ok(Response response) {
        assertThat(response.statusCode()).as(response.asString()).isEqualTo(200);
        return response;
    }

    private static void accepted(Response response) {
        assertThat(response.statusCode()).as(response.asString()).isEqualTo(202);
    }

    /** Kafka Connect's error body: the status again, and a message that says what is wrong. */
    private static void assertError(Response response, int status, String... messageParts) {
        assertThat(response.statusCode()).as(response.asString()).isEqualTo(status);
        assertThat(response.contentType()).startsWith("application/json");
        assertThat(response.jsonPath().getMap("")).containsOnlyKeys("error_code", "message");
        assertThat(response.<Integer>path("error_code")).isEqualTo(status);
        assertThat(response.<String>path("message")).contains(messageParts);
    }

    private void awaitStopped(String name) {
        Awaitility.await(name + " STOPPED")
                .atMost(TIMEOUT)
                .pollInterval(Duration.ofMillis(200))
                .until(() -> "STOPPED".equals(ConnectRest.status(broker, name).path("connector.state"))
                        && ok(api().get("/connectors/{name}/tasks", name))
                                .jsonPath()
                                .getList("")
                                .isEmpty());
        assertThat(ConnectRest.status(broker, name).jsonPath().getList("tasks")).isEmpty();
    }

    private static Map<String, Object> plugin(Response plugins, String className) {
        Map<String, Object> plugin = plugins.jsonPath().getMap("find { it['class'] == '" + className + "' }");
        assertThat(plugin).as(className + " in " + plugins.asString()).isNotNull();
        return plugin;
    }

    private static List<String> errorsOf(Response validation, String field) {
        return validation
                .jsonPath()
                .getList("configs.find { it.value.name == '" + field + "' }.value.errors", String.class);
    }

    // ---- offsets

    private List<Map<String, Object>> offsets(String name) {
        return ok(api().get("/connectors/{name}/offsets", name)).jsonPath().getList("offsets");
    }

    private void awaitOffsets(String name, List<Map<String, Object>> expected) {
        Awaitility.await(name + " offsets " + expected)
                .atMost(TIMEOUT)
                .pollInterval(Duration.ofMillis(200))
                .until(() -> offsets(name).equals(expected));
    }

    private static Map<String, Object> sourceOffset(String file, int position) {
        return Map.of("partition", Map.of("filename", file), "offset", Map.of("position", position));
    }

    private static Map<String, Object> sinkOffset(String topic, int offset) {
        return Map.of(
                "partition",
                Map.of("kafka_topic", topic, "kafka_partition", 0),
                "offset",
                Map.of("kafka_offset", offset));
    }

    private static String offsetsBody(Map<String, Object> entry) {
        try {
            return new ObjectMapper().writeValueAsString(Map.of("offsets", List.of(entry)));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    // ---- connector configs, topics and records

    private static Map<String, String> source(String topic, Path file) {
        Map<String, String> config = new HashMap<>();
        config.put("connector.class", "FileStreamSource");
        config.put("topic", topic);
        config.put("file", file.toString());
        config.put("key.converter", STRING_CONVERTER);
        config.put("value.converter", STRING_CONVERTER);
        return config;
    }

    private Map<String, String> twoFileSource(String topic) {
        Map<String, String> config = source(topic, dir.resolve("a.txt"));
        config.remove("file");
        config.put("files", dir.resolve("a.txt") + "," + dir.resolve("b.txt"));
        config.put("tasks.max", "2");
        return config;
    }

    private static Map<String, String> sink(String topic, Path file) {
        Map<String, String> config = new HashMap<>();
        config.put("connector.class", "FileStreamSink");
        config.put("topics", topic);
        config.put("file", file.toString());
        config.put("key.converter", STRING_CONVERTER);
        config.put("value.converter", STRING_CONVERTER);
        return config;
    }

    /** Creates a one-partition topic, deleted after the test. */
    private String topic(String name) throws Exception {
        try (Admin admin = broker.admin()) {
            Clients.createTopic(admin, name, 1, Map.of());
        }
        topics.add(name);
        return name;
    }

    private void produce(String topic, String... values) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(broker.bootstrapServers())) {
            for (String value : values) {
                producer.send(new ProducerRecord<>(topic, value.getBytes(StandardCharsets.UTF_8)))
                        .get();
            }
        }
    }

    /** The values in the topic's only partition, as text. */
    private List<String> lines(String topic) {
        return Clients.readAll(broker.bootstrapServers(), new TopicPartition(topic, 0)).stream()
                .map(r -> new String(r.value(), StandardCharsets.UTF_8))
                .toList();
    }
}
