package io.runnel.connect;

import static io.restassured.RestAssured.given;

import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.runnel.testing.BrokerProcess;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;

/** Small helpers over the broker's Kafka Connect REST API for connector tests. */
final class ConnectRest {

    private ConnectRest() {}

    static Response create(BrokerProcess broker, String name, Map<String, String> config) {
        return given().port(broker.httpPort())
                .contentType(ContentType.JSON)
                .body(Map.of("name", name, "config", config))
                .post("/connectors");
    }

    static Response status(BrokerProcess broker, String name) {
        return given().port(broker.httpPort()).get("/connectors/" + name + "/status");
    }

    /** Waits until the connector and all its (at least one) tasks report {@code state}. */
    static void awaitState(BrokerProcess broker, String name, String state) {
        Awaitility.await(name + " " + state)
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    Response status = status(broker, name);
                    return status.statusCode() == 200
                            && state.equals(status.path("connector.state"))
                            && status.jsonPath().getList("tasks").size() > 0
                            && status.jsonPath().getList("tasks.state").stream().allMatch(state::equals);
                });
    }

    /** Waits until task {@code task} reports {@code state}. */
    static Response awaitTaskState(BrokerProcess broker, String name, int task, String state) {
        Awaitility.await(name + " task " + task + " " + state)
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> state.equals(status(broker, name).path("tasks[" + task + "].state")));
        return status(broker, name);
    }
}
