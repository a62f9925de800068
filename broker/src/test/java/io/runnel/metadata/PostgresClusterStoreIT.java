package io.runnel.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.cluster.CoordinatorSlot;
import io.runnel.metadata.ClusterStore.ApplyResult;
import io.runnel.metadata.ClusterStore.BrokerFencing;
import io.runnel.metadata.ClusterStore.Changes;
import io.runnel.metadata.ClusterStore.PartitionChange;
import io.runnel.metadata.ClusterStore.PartitionRow;
import io.runnel.metadata.ClusterStore.RegisteredBroker;
import io.runnel.metadata.ClusterStore.SlotMove;
import io.runnel.testing.TestPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The semantics of {@link ClusterStore} that the controller relies on (and an in-memory twin must
 * copy), checked against the real schema in a real PostgreSQL. Time passing is simulated by moving
 * lease expiries into the past.
 */
class PostgresClusterStoreIT {

    private static final Duration LEASE = Duration.ofSeconds(30);
    private static final UUID ONE = UUID.randomUUID();
    private static final UUID TWO = UUID.randomUUID();

    private TestPostgres postgres;
    private String database;
    private PostgresClusterStore store;

    @BeforeEach
    void migrate() {
        postgres = TestPostgres.get();
        database = postgres.createDatabase("cluster_store");
        Flyway.configure()
                .dataSource(postgres.jdbcUrl(database), "postgres", "")
                .locations("classpath:db/migration")
                .load()
                .migrate();
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setURL(postgres.jdbcUrl(database));
        dataSource.setUser("postgres");
        store = new PostgresClusterStore(dataSource);
        sql("insert into cluster (singleton, cluster_id) values (true, 'test-cluster')");
    }

    @Test
    void everyRegistrationIsFencedUnderANewBrokerEpoch() {
        long first = store.registerBroker(1, Optional.empty(), "PLAINTEXT://a:1", ONE, LEASE);
        sql("update brokers set fenced = false");
        long second = store.registerBroker(1, Optional.of("r1"), "PLAINTEXT://a:1", TWO, LEASE);

        assertThat(second).isGreaterThan(first);
        assertThat(store.readBrokers().brokers()).singleElement().satisfies(b -> {
            assertThat(b.brokerEpoch()).isEqualTo(second);
            assertThat(b.fenced()).isTrue();
        });
        assertThat(store.renewBrokerLease(1, ONE, LEASE))
                .as("the replaced incarnation")
                .isEmpty();
        assertThat(store.renewBrokerLease(1, TWO, LEASE)).isPresent();
    }

    @Test
    void theControllerLeaseHasOneHolderAndEachTakeOverFencesTheFormerOne() {
        store.registerBroker(1, Optional.empty(), "PLAINTEXT://a:1", ONE, LEASE);
        store.registerBroker(2, Optional.empty(), "PLAINTEXT://b:1", TWO, LEASE);

        OptionalInt first = store.acquireControllerLease(1, ONE, LEASE);
        assertThat(first).isPresent();
        assertThat(store.acquireControllerLease(2, TWO, LEASE)).isEmpty();
        assertThat(store.renewControllerLease(1, first.getAsInt(), LEASE)).isTrue();

        sql("update controller set lease_expires_at = now() - interval '1 second'"); // 1 stalls past its lease
        assertThat(store.renewControllerLease(1, first.getAsInt(), LEASE))
                .as("a lapsed lease is not revived")
                .isFalse();
        OptionalInt second = store.acquireControllerLease(2, TWO, LEASE);

        assertThat(second).hasValue(first.getAsInt() + 1);
        assertThat(store.apply(1, first.getAsInt(), store.readBrokers().brokers(), fence(2, 2)))
                .isEqualTo(ApplyResult.NOT_CONTROLLER);
        assertThat(store.apply(2, second.getAsInt(), store.readBrokers().brokers(), Changes.NONE))
                .isEqualTo(ApplyResult.APPLIED);
    }

    @Test
    void onlyARegisteredBrokerWithAValidLeaseThatIsNotShuttingDownTakesTheLease() {
        assertThat(store.acquireControllerLease(1, ONE, LEASE))
                .as("not registered")
                .isEmpty();
        store.registerBroker(1, Optional.empty(), "PLAINTEXT://a:1", ONE, LEASE);
        sql("update brokers set controlled_shutdown = true");
        assertThat(store.acquireControllerLease(1, ONE, LEASE))
                .as("shutting down")
                .isEmpty();
        sql("update brokers set controlled_shutdown = false, lease_expires_at = now() - interval '1 second'");
        assertThat(store.acquireControllerLease(1, ONE, LEASE)).as("lapsed").isEmpty();
        store.renewBrokerLease(1, ONE, LEASE);
        assertThat(store.acquireControllerLease(1, ONE, LEASE)).isPresent();
    }

    @Test
    void aNewIncarnationTakesOverItsPredecessorsLeaseAndAResignedLeaseIsFreeAtOnce() {
        store.registerBroker(1, Optional.empty(), "PLAINTEXT://a:1", ONE, LEASE);
        int killed = store.acquireControllerLease(1, ONE, LEASE).getAsInt();
        store.registerBroker(1, Optional.empty(), "PLAINTEXT://a:1", TWO, LEASE); // restarted after SIGKILL

        int restarted = store.acquireControllerLease(1, TWO, LEASE).getAsInt();
        store.resignControllerLease(1, restarted);
        store.registerBroker(2, Optional.empty(), "PLAINTEXT://b:1", ONE, LEASE);

        assertThat(restarted).isEqualTo(killed + 1);
        assertThat(store.acquireControllerLease(2, ONE, LEASE)).hasValue(restarted + 1);
    }

    @Test
    void aStalePartitionEpochOrAChangedBrokerWritesNothing() throws SQLException {
        store.registerBroker(1, Optional.empty(), "PLAINTEXT://a:1", ONE, LEASE);
        store.registerBroker(2, Optional.empty(), "PLAINTEXT://b:1", TWO, LEASE);
        int epoch = store.acquireControllerLease(1, ONE, LEASE).getAsInt();
        UUID topic = createTopic("t", 2);
        List<RegisteredBroker> seen = store.readBrokers().brokers();
        long version = store.readPartitions().metadataVersion();

        Changes stale = new Changes(
                List.of(new BrokerFencing(1, seen.get(0).brokerEpoch(), false)),
                List.of(
                        new PartitionChange(topic, 0, 0, 2, List.of(2), true),
                        new PartitionChange(topic, 1, 5, 2, List.of(2), true)),
                List.of());
        assertThat(store.apply(1, epoch, seen, stale)).isEqualTo(ApplyResult.STALE);
        assertThat(store.readPartitions().metadataVersion()).isEqualTo(version);

        store.registerBroker(2, Optional.empty(), "PLAINTEXT://b:1", TWO, LEASE); // a new epoch for 2
        Changes fine =
                new Changes(List.of(), List.of(new PartitionChange(topic, 0, 0, 2, List.of(2), true)), List.of());
        assertThat(store.apply(1, epoch, seen, fine)).isEqualTo(ApplyResult.STALE);

        assertThat(store.readBrokers().brokers())
                .allSatisfy(b -> assertThat(b.fenced()).isTrue());
        assertThat(store.readPartitions().partitions())
                .extracting(PartitionRow::leader, PartitionRow::partitionEpoch)
                .containsOnly(org.assertj.core.groups.Tuple.tuple(1, 0));
    }

    @Test
    void anAppliedPlanBumpsTheEpochsAndNotifiesEveryListener() throws SQLException {
        store.registerBroker(1, Optional.empty(), "PLAINTEXT://a:1", ONE, LEASE);
        store.registerBroker(2, Optional.empty(), "PLAINTEXT://b:1", TWO, LEASE);
        int epoch = store.acquireControllerLease(1, ONE, LEASE).getAsInt();
        UUID topic = createTopic("t", 2);
        try (Connection listener = postgres.connect(database)) {
            listener.createStatement().execute("LISTEN runnel_metadata");
            long before = store.readPartitions().metadataVersion();
            List<RegisteredBroker> seen = store.readBrokers().brokers();

            Changes changes = new Changes(
                    List.of(new BrokerFencing(2, seen.get(1).brokerEpoch(), false)),
                    List.of(
                            new PartitionChange(topic, 0, 0, 2, List.of(1, 2), true),
                            new PartitionChange(topic, 1, 0, 1, List.of(1), false)),
                    List.of(new SlotMove(7, 0, 2)));
            assertThat(store.apply(1, epoch, seen, changes)).isEqualTo(ApplyResult.APPLIED);

            assertThat(store.readPartitions().partitions())
                    .extracting(
                            PartitionRow::leader,
                            PartitionRow::isr,
                            PartitionRow::leaderEpoch,
                            PartitionRow::partitionEpoch)
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple(2, List.of(1, 2), 1, 1),
                            org.assertj.core.groups.Tuple.tuple(1, List.of(1), 0, 1));
            assertThat(store.readBrokers().brokers().get(1).fenced()).isFalse();
            assertThat(store.readPartitions().slots().get(7)).isEqualTo(new ClusterStore.SlotRow(7, 2, 1));
            assertThat(store.readPartitions().metadataVersion()).isGreaterThan(before);
            PGNotification[] notifications = listener.unwrap(PGConnection.class).getNotifications(10_000);
            assertThat(notifications).isNotEmpty();
            assertThat(notifications[0].getName()).isEqualTo("runnel_metadata");
        }
    }

    @Test
    void leaseRenewalsAndFailedTakeOversChangeNoMetadataVersion() {
        store.registerBroker(1, Optional.empty(), "PLAINTEXT://a:1", ONE, LEASE);
        store.registerBroker(2, Optional.empty(), "PLAINTEXT://b:1", TWO, LEASE);
        int epoch = store.acquireControllerLease(1, ONE, LEASE).getAsInt();
        long version = store.readBrokers().metadataVersion();

        store.renewBrokerLease(1, ONE, LEASE);
        store.renewControllerLease(1, epoch, LEASE);
        store.acquireControllerLease(2, TWO, LEASE);

        assertThat(store.renewBrokerLease(2, TWO, LEASE).orElseThrow().metadataVersion())
                .isEqualTo(version);
    }

    @Test
    void postgresPlacesAGroupInTheSameSlotAsJava() throws SQLException {
        List<String> groups = List.of("", "a", "my-group", "connect-es-sink", "gruppe-äöü", "组", "g".repeat(300));
        try (Connection c = postgres.connect(database);
                PreparedStatement s = c.prepareStatement("select group_slot(?)")) {
            for (String group : groups) {
                s.setString(1, group);
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    assertThat(rs.getInt(1)).as(group).isEqualTo(CoordinatorSlot.slotOf(group));
                }
            }
        }
    }

    private UUID createTopic(String name, int partitions) throws SQLException {
        UUID id = UUID.randomUUID();
        try (Connection c = postgres.connect(database)) {
            try (PreparedStatement s = c.prepareStatement("insert into topics (topic_id, name) values (?, ?)")) {
                s.setObject(1, id);
                s.setString(2, name);
                s.executeUpdate();
            }
            for (int p = 0; p < partitions; p++) {
                try (PreparedStatement s =
                        c.prepareStatement("insert into partitions values (?, ?, '{1,2}', '{1,2}', 1, 0, 0)")) {
                    s.setObject(1, id);
                    s.setInt(2, p);
                    s.executeUpdate();
                }
            }
        }
        return id;
    }

    private static Changes fence(int nodeId, long brokerEpoch) {
        return new Changes(List.of(new BrokerFencing(nodeId, brokerEpoch, true)), List.of(), List.of());
    }

    private void sql(String statement) {
        try (Connection c = postgres.connect(database);
                Statement s = c.createStatement()) {
            s.execute(statement);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
