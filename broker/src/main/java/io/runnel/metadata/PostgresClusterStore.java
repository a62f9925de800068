package io.runnel.metadata;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.PersistenceException;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * {@link ClusterStore} in PostgreSQL (tables in {@code V5__replication.sql}):
 *
 * <pre>
 * brokers    (node_id, incarnation_id, broker_epoch, fenced, controlled_shutdown, lease_expires_at, ...)
 * controller (holder, epoch, lease_expires_at)               one row
 * partitions (topic_id, partition_index, replicas, isr, leader, leader_epoch, partition_epoch)
 * coordinator_slots (slot, coordinator, coordinator_epoch)   50 rows
 * </pre>
 *
 * Each method is one JDBC transaction of its own, outside JTA, so callers on the heartbeat and
 * controller threads never share a transaction with anything else. Lease times are PostgreSQL's
 * {@code now()}, the one clock every broker agrees on.
 */
@ApplicationScoped
public class PostgresClusterStore implements ClusterStore {

    @Inject
    DataSource dataSource;

    PostgresClusterStore() {}

    /** For tests that run the store against a database of their own. */
    public PostgresClusterStore(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    @Override
    public long registerBroker(int nodeId, Optional<String> rack, String listeners, UUID incarnation, Duration lease) {
        return inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("""
                    insert into brokers (node_id, rack, listeners, incarnation_id, registered_at, lease_expires_at,
                                         broker_epoch, fenced, controlled_shutdown)
                    values (?, ?, ?, ?, now(), now() + make_interval(secs => ?), nextval('broker_epochs'), true, false)
                    on conflict (node_id) do update set rack = excluded.rack, listeners = excluded.listeners,
                        incarnation_id = excluded.incarnation_id, registered_at = excluded.registered_at,
                        lease_expires_at = excluded.lease_expires_at, broker_epoch = excluded.broker_epoch,
                        fenced = true, controlled_shutdown = false
                    returning broker_epoch
                    """)) {
                s.setInt(1, nodeId);
                s.setString(2, rack.orElse(null));
                s.setString(3, listeners);
                s.setObject(4, incarnation);
                s.setDouble(5, seconds(lease));
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }

    @Override
    public Optional<LeaseRenewal> renewBrokerLease(int nodeId, UUID incarnation, Duration lease) {
        return inTransaction(c -> {
            boundWaits(c);
            try (PreparedStatement s = c.prepareStatement("""
                    update brokers set lease_expires_at = now() + make_interval(secs => ?)
                    where node_id = ? and incarnation_id = ?
                    returning now(), (select metadata_version from cluster)
                    """)) {
                s.setDouble(1, seconds(lease));
                s.setInt(2, nodeId);
                s.setObject(3, incarnation);
                try (ResultSet rs = s.executeQuery()) {
                    return rs.next() ? Optional.of(new LeaseRenewal(instant(rs, 1), rs.getLong(2))) : Optional.empty();
                }
            }
        });
    }

    @Override
    public void expireBrokerLease(int nodeId, UUID incarnation) {
        inTransaction(c -> update(
                c,
                "update brokers set lease_expires_at = now() where node_id = ? and incarnation_id = ?",
                nodeId,
                incarnation));
    }

    @Override
    public void beginControlledShutdown(int nodeId, UUID incarnation) {
        inTransaction(c -> update(
                c,
                "update brokers set controlled_shutdown = true where node_id = ? and incarnation_id = ?",
                nodeId,
                incarnation));
    }

    @Override
    public OptionalInt acquireControllerLease(int nodeId, UUID incarnation, Duration lease) {
        return inTransaction(c -> {
            // "holder = me": a lease still held by an earlier incarnation of this node id, which is
            // gone, since this incarnation's registration replaced it
            try (PreparedStatement s = c.prepareStatement("""
                    update controller set holder = ?, epoch = epoch + 1,
                           lease_expires_at = now() + make_interval(secs => ?)
                    where singleton and (holder is null or holder = ? or lease_expires_at < now())
                      and exists (select 1 from brokers where node_id = ? and incarnation_id = ?
                                  and lease_expires_at > now() and not controlled_shutdown)
                    returning epoch
                    """)) {
                s.setInt(1, nodeId);
                s.setDouble(2, seconds(lease));
                s.setInt(3, nodeId);
                s.setInt(4, nodeId);
                s.setObject(5, incarnation);
                try (ResultSet rs = s.executeQuery()) {
                    return rs.next() ? OptionalInt.of(rs.getInt(1)) : OptionalInt.empty();
                }
            }
        });
    }

    @Override
    public boolean renewControllerLease(int nodeId, int epoch, Duration lease) {
        return inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("""
                    update controller set lease_expires_at = now() + make_interval(secs => ?)
                    where holder = ? and epoch = ? and lease_expires_at > now()
                    """)) {
                s.setDouble(1, seconds(lease));
                s.setInt(2, nodeId);
                s.setInt(3, epoch);
                return s.executeUpdate() == 1;
            }
        });
    }

    @Override
    public void resignControllerLease(int nodeId, int epoch) {
        inTransaction(c -> update(
                c,
                "update controller set holder = null, lease_expires_at = now() where holder = ? and epoch = ?",
                nodeId,
                epoch));
    }

    @Override
    public BrokerLeases readBrokers() {
        return inTransaction(c -> {
            Instant now;
            Instant started;
            long version;
            try (Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("select now(), pg_postmaster_start_time(),"
                            + " coalesce((select metadata_version from cluster), 0)")) {
                rs.next();
                now = instant(rs, 1);
                started = instant(rs, 2);
                version = rs.getLong(3);
            }
            return new BrokerLeases(now, started, version, brokers(c, false));
        });
    }

    @Override
    public Partitions readPartitions() {
        return inTransaction(c -> {
            try (Statement s = c.createStatement()) {
                s.execute("set transaction isolation level repeatable read");
            }
            long version;
            try (Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("select coalesce((select metadata_version from cluster), 0)")) {
                rs.next();
                version = rs.getLong(1);
            }
            List<PartitionRow> partitions = new ArrayList<>();
            try (Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("""
                            select p.topic_id, t.name, p.partition_index, p.replicas, p.isr, p.leader,
                                   p.leader_epoch, p.partition_epoch
                            from partitions p join topics t using (topic_id)
                            order by t.name, p.partition_index
                            """)) {
                while (rs.next()) {
                    partitions.add(new PartitionRow(
                            rs.getObject(1, UUID.class),
                            rs.getString(2),
                            rs.getInt(3),
                            ints(rs.getArray(4)),
                            ints(rs.getArray(5)),
                            rs.getInt(6),
                            rs.getInt(7),
                            rs.getInt(8)));
                }
            }
            Map<UUID, Map<String, String>> configs = new HashMap<>();
            try (Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("select topic_id, name, value from topic_configs")) {
                while (rs.next()) {
                    configs.computeIfAbsent(rs.getObject(1, UUID.class), id -> new HashMap<>())
                            .put(rs.getString(2), rs.getString(3));
                }
            }
            return new Partitions(version, partitions, configs, slots(c));
        });
    }

    /** Every coordinator slot, in slot order. */
    static List<SlotRow> slots(Connection c) throws SQLException {
        List<SlotRow> slots = new ArrayList<>();
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(
                        "select slot, coordinator, coordinator_epoch from coordinator_slots order by slot")) {
            while (rs.next()) {
                slots.add(new SlotRow(rs.getInt(1), rs.getInt(2), rs.getInt(3)));
            }
        }
        return slots;
    }

    @Override
    public ApplyResult apply(int nodeId, int controllerEpoch, List<RegisteredBroker> seen, Changes changes) {
        try {
            return inTransaction(c -> {
                boundWaits(c);
                // The share lock makes a concurrent take-over of the lease wait until this commits.
                try (PreparedStatement s = c.prepareStatement("select 1 from controller where holder = ?"
                        + " and epoch = ? and lease_expires_at > now() for share")) {
                    s.setInt(1, nodeId);
                    s.setInt(2, controllerEpoch);
                    try (ResultSet rs = s.executeQuery()) {
                        if (!rs.next()) {
                            throw new Abort(ApplyResult.NOT_CONTROLLER);
                        }
                    }
                }
                // The cluster row first, as the triggers take it first in every other writer.
                try (Statement s = c.createStatement()) {
                    s.execute("select 1 from cluster for no key update");
                }
                if (!sameBrokers(seen, brokers(c, true))) {
                    throw new Abort(ApplyResult.STALE);
                }
                applyPartitionChanges(c, changes.partitions());
                applyFencings(c, changes.fencings());
                applySlotMoves(c, changes.slotMoves());
                return ApplyResult.APPLIED;
            });
        } catch (Abort abort) {
            return abort.result;
        }
    }

    private static boolean sameBrokers(List<RegisteredBroker> seen, List<RegisteredBroker> now) {
        if (seen.size() != now.size()) {
            return false;
        }
        Map<Integer, RegisteredBroker> byId = new HashMap<>();
        now.forEach(b -> byId.put(b.nodeId(), b));
        for (RegisteredBroker b : seen) {
            RegisteredBroker current = byId.get(b.nodeId());
            if (current == null
                    || current.brokerEpoch() != b.brokerEpoch()
                    || current.fenced() != b.fenced()
                    || current.controlledShutdown() != b.controlledShutdown()) {
                return false;
            }
        }
        return true;
    }

    private static void applyPartitionChanges(Connection c, List<PartitionChange> changes) throws SQLException {
        if (changes.isEmpty()) {
            return;
        }
        try (PreparedStatement s = c.prepareStatement("""
                update partitions set leader = ?, leader_epoch = leader_epoch + ?, isr = ?,
                       partition_epoch = partition_epoch + 1
                where topic_id = ? and partition_index = ? and partition_epoch = ?
                """)) {
            for (PartitionChange change : changes) {
                s.setInt(1, change.leader());
                s.setInt(2, change.leaderChanged() ? 1 : 0);
                s.setArray(3, c.createArrayOf("integer", change.isr().toArray()));
                s.setObject(4, change.topicId());
                s.setInt(5, change.partition());
                s.setInt(6, change.expectedPartitionEpoch());
                s.addBatch();
            }
            requireAllMatched(s.executeBatch());
        }
    }

    private static void applyFencings(Connection c, List<BrokerFencing> fencings) throws SQLException {
        if (fencings.isEmpty()) {
            return;
        }
        try (PreparedStatement s =
                c.prepareStatement("update brokers set fenced = ? where node_id = ? and broker_epoch = ?")) {
            for (BrokerFencing fencing : fencings) {
                s.setBoolean(1, fencing.fenced());
                s.setInt(2, fencing.nodeId());
                s.setLong(3, fencing.brokerEpoch());
                s.addBatch();
            }
            requireAllMatched(s.executeBatch());
        }
    }

    private static void applySlotMoves(Connection c, List<SlotMove> moves) throws SQLException {
        if (moves.isEmpty()) {
            return;
        }
        try (PreparedStatement s = c.prepareStatement("update coordinator_slots set coordinator = ?,"
                + " coordinator_epoch = coordinator_epoch + 1 where slot = ? and coordinator_epoch = ?")) {
            for (SlotMove move : moves) {
                s.setInt(1, move.coordinator());
                s.setInt(2, move.slot());
                s.setInt(3, move.expectedCoordinatorEpoch());
                s.addBatch();
            }
            requireAllMatched(s.executeBatch());
        }
    }

    private static void requireAllMatched(int[] counts) {
        for (int count : counts) {
            if (count == 0) {
                throw new Abort(ApplyResult.STALE);
            }
        }
    }

    private static List<RegisteredBroker> brokers(Connection c, boolean forShare) throws SQLException {
        List<RegisteredBroker> brokers = new ArrayList<>();
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(
                        "select node_id, broker_epoch, fenced, controlled_shutdown, lease_expires_at from brokers"
                                + " order by node_id" + (forShare ? " for share" : ""))) {
            while (rs.next()) {
                brokers.add(new RegisteredBroker(
                        rs.getInt(1), rs.getLong(2), rs.getBoolean(3), rs.getBoolean(4), instant(rs, 5)));
            }
        }
        return brokers;
    }

    private static int update(Connection c, String sql, Object... parameters) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                s.setObject(i + 1, parameters[i]);
            }
            return s.executeUpdate();
        }
    }

    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T inTransaction(Work<T> work) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        } catch (SQLException e) {
            throw new PersistenceException("Cluster metadata in PostgreSQL: " + e.getMessage(), e);
        }
    }

    /**
     * Bounds this transaction's waits: a broker frozen mid-transaction (SIGSTOP, a long GC pause)
     * loses its session after 5 s idle, so its row locks (and with them the controller) are not held
     * longer; and no statement waits longer than that for a lock. Called first in a transaction that
     * does not set its isolation level.
     */
    private static void boundWaits(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("select set_config('idle_in_transaction_session_timeout', '5s', true),"
                    + " set_config('lock_timeout', '5s', true)");
        }
    }

    /** Ends an {@link #apply} without writing anything. */
    private static final class Abort extends RuntimeException {
        final ApplyResult result;

        Abort(ApplyResult result) {
            super(result.name(), null, false, false);
            this.result = result;
        }
    }

    private static double seconds(Duration duration) {
        return duration.toMillis() / 1000.0;
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        return rs.getObject(column, OffsetDateTime.class).toInstant();
    }

    private static List<Integer> ints(Array array) throws SQLException {
        return Arrays.asList((Integer[]) array.getArray());
    }
}
