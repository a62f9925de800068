package io.runnel.admin;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.nullValue;

import io.runnel.testing.BrokerProcess;
import io.runnel.testing.Clients;
import io.runnel.testing.SharedBroker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** Consumer lag over HTTP: log end offset minus committed offset, per partition, from the broker's own state. */
class GroupLagIT {

    @Test
    void lagIsLogEndOffsetMinusCommittedOffsetPerPartition() throws Exception {
        BrokerProcess broker = SharedBroker.get();
        try (Admin admin = broker.admin()) {
            Clients.createTopic(admin, "lagged", 2, Map.of());
        }
        try (KafkaProducer<byte[], byte[]> producer = Clients.producer(broker.bootstrapServers())) {
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>("lagged", 0, null, ("a" + i).getBytes()));
            }
            for (int i = 0; i < 4; i++) {
                producer.send(new ProducerRecord<>("lagged", 1, null, ("b" + i).getBytes()));
            }
            producer.flush();
        }
        try (KafkaConsumer<byte[], byte[]> consumer =
                Clients.consumer(broker.bootstrapServers(), Map.of(ConsumerConfig.GROUP_ID_CONFIG, "lag-group"))) {
            consumer.assign(List.of(new TopicPartition("lagged", 0), new TopicPartition("lagged", 1)));
            consumer.commitSync(
                    Map.of(
                            new TopicPartition("lagged", 0), new OffsetAndMetadata(7),
                            new TopicPartition("lagged", 1), new OffsetAndMetadata(4)),
                    Duration.ofSeconds(30));
        }

        given().port(broker.httpPort())
                .get("/admin/groups/lag-group/lag")
                .then()
                .statusCode(200)
                .body("groupId", equalTo("lag-group"))
                .body("state", equalTo("Empty"))
                .body("totalLag", equalTo(3))
                .body("partitions[0].topic", equalTo("lagged"))
                .body("partitions[0].partition", equalTo(0))
                .body("partitions[0].committedOffset", equalTo(7))
                .body("partitions[0].logEndOffset", equalTo(10))
                .body("partitions[0].lag", equalTo(3))
                .body("partitions[1].lag", equalTo(0));
        given().port(broker.httpPort())
                .get("/admin/groups")
                .then()
                .statusCode(200)
                .body("groupId", hasItem("lag-group"));
    }

    @Test
    void anUnknownGroupIsNotFound() {
        given().port(SharedBroker.get().httpPort())
                .get("/admin/groups/no-such-group/lag")
                .then()
                .statusCode(404)
                .body("errorCode", equalTo(404))
                .body("message", equalTo("Group no-such-group does not exist"))
                .body("partitions", nullValue());
    }
}
