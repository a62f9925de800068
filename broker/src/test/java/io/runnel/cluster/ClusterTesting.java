package io.runnel.cluster;

import io.runnel.testing.BrokerProcess;
import io.runnel.testing.RawKafkaClient;
import io.runnel.testing.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import org.apache.kafka.common.message.DescribeClusterRequestData;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseTopic;

/** Brokers sharing one PostgreSQL with fast cluster timings, and questions asked of one broker alone. */
final class ClusterTesting {

    private ClusterTesting() {}

    /** A broker of a cluster whose metadata lives in {@code database}; sessions of 3 s, heartbeats every 500 ms. */
    static BrokerProcess broker(String name, int nodeId, TestPostgres postgres, String database) {
        return BrokerProcess.create(name)
                .set("runnel.node-id", String.valueOf(nodeId))
                .set("quarkus.datasource.jdbc.url", postgres.jdbcUrl(database))
                .set("quarkus.datasource.username", "postgres")
                .set("runnel.auto-create-topics", "false")
                .set("runnel.connect.enabled", "false")
                .set("runnel.cluster.broker-session-timeout-ms", "3000")
                .set("runnel.cluster.broker-heartbeat-interval-ms", "500");
    }

    /** Metadata of one topic as this broker alone answers it (Admin would ask any broker). */
    static MetadataResponseTopic metadata(BrokerProcess broker, String topic) {
        try (RawKafkaClient client = new RawKafkaClient(broker.kafkaPort())) {
            MetadataResponseData response = (MetadataResponseData) client.send(
                    new MetadataRequestData()
                            .setTopics(List.of(new MetadataRequestData.MetadataRequestTopic().setName(topic)))
                            .setAllowAutoTopicCreation(false),
                    (short) 12);
            return response.topics().find(topic);
        }
    }

    /** DescribeCluster as this broker alone answers it. */
    static DescribeClusterResponseData describeCluster(BrokerProcess broker) {
        try (RawKafkaClient client = new RawKafkaClient(broker.kafkaPort())) {
            return (DescribeClusterResponseData)
                    client.send(new DescribeClusterRequestData().setEndpointType((byte) 1), (short) 1);
        }
    }

    /** The controller epoch in the lease row. */
    static int controllerEpoch(TestPostgres postgres, String database) throws SQLException {
        try (Connection c = postgres.connect(database);
                ResultSet rs = c.createStatement().executeQuery("select epoch from controller")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
