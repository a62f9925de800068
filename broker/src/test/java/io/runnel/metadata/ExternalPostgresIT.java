package io.runnel.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.testing.BrokerProcess;
import io.runnel.testing.TestPostgres;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.List;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;

/** With quarkus.datasource.jdbc.url set, the broker uses that database and starts no PostgreSQL of its own. */
class ExternalPostgresIT {

    @Test
    void usesTheConfiguredDatabase() throws Exception {
        TestPostgres postgres = TestPostgres.get();
        String database = postgres.createDatabase("external_it");
        try (BrokerProcess broker = BrokerProcess.create("external-db")
                .set("quarkus.datasource.jdbc.url", postgres.jdbcUrl(database))
                .set("quarkus.datasource.username", "postgres")
                .start()) {
            try (Admin admin = broker.admin()) {
                admin.createTopics(List.of(new NewTopic("in-external-db", 2, (short) 1)))
                        .all()
                        .get();
            }
            assertThat(Files.exists(broker.dataDir().resolve("postgres"))).isFalse();
            try (Connection c = postgres.connect(database);
                    ResultSet rs = c.createStatement()
                            .executeQuery("select count(*) from partitions p join topics t using (topic_id)"
                                    + " where t.name = 'in-external-db'")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(2);
            }
        }
    }
}
