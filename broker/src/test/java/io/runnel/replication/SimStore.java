package io.runnel.replication;

import io.runnel.cluster.ClusterView;
import io.runnel.metadata.ClusterStore.BrokerFencing;
import io.runnel.metadata.ClusterStore.Changes;
import io.runnel.metadata.ClusterStore.PartitionChange;
import io.runnel.metadata.ClusterStore.PartitionRow;
import io.runnel.metadata.ClusterStore.RegisteredBroker;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The simulator's PostgreSQL: the rows the controller and the leaders change, with the same
 * conditional-update semantics as {@code PostgresClusterStore} and {@code IsrStore}, on the virtual
 * clock, and unreachable during simulated outages. Checks on every write that leader and partition
 * epochs only grow (I2) and that an ISR of more than one holds no fenced broker (I6).
 */
final class SimStore {

    /** Thrown while the store is unreachable. */
    static final class Unavailable extends RuntimeException {
        Unavailable() {
            super("store unavailable", null, false, false);
        }
    }

    static final class BrokerRow {
        long brokerEpoch;
        boolean fenced = true;
        long leaseExpiresAt;
        int incarnation;
    }

    private final long sessionMs;
    final Map<Integer, BrokerRow> brokers = new TreeMap<>();
    final List<PartitionRow> partitions = new ArrayList<>();
    private long nextBrokerEpoch = 1;
    int controller = -1;
    int controllerEpoch;
    long controllerLeaseExpiresAt;
    boolean available = true;

    SimStore(long sessionMs) {
        this.sessionMs = sessionMs;
    }

    private void reach() {
        if (!available) {
            throw new Unavailable();
        }
    }

    long register(int nodeId, int incarnation, long now) {
        reach();
        BrokerRow row = brokers.computeIfAbsent(nodeId, id -> new BrokerRow());
        row.brokerEpoch = nextBrokerEpoch++;
        row.fenced = true;
        row.incarnation = incarnation;
        row.leaseExpiresAt = now + sessionMs;
        return row.brokerEpoch;
    }

    /** False when the registration was replaced (re-register). */
    boolean renew(int nodeId, int incarnation, long now) {
        reach();
        BrokerRow row = brokers.get(nodeId);
        if (row == null || row.incarnation != incarnation) {
            return false;
        }
        row.leaseExpiresAt = now + sessionMs;
        return true;
    }

    /** Acquires or renews the controller lease; the epoch held, or empty. */
    OptionalInt controllerLease(int nodeId, int heldEpoch, long now) {
        reach();
        if (controller == nodeId && controllerEpoch == heldEpoch && controllerLeaseExpiresAt > now) {
            controllerLeaseExpiresAt = now + sessionMs;
            return OptionalInt.of(controllerEpoch);
        }
        BrokerRow row = brokers.get(nodeId);
        boolean registered = row != null && row.leaseExpiresAt > now;
        if ((controller == -1 || controllerLeaseExpiresAt <= now) && registered) {
            controller = nodeId;
            controllerEpoch++;
            controllerLeaseExpiresAt = now + sessionMs;
            return OptionalInt.of(controllerEpoch);
        }
        return OptionalInt.empty();
    }

    ClusterView view() {
        reach();
        List<RegisteredBroker> registered = new ArrayList<>();
        brokers.forEach((id, row) -> registered.add(new RegisteredBroker(
                id, row.brokerEpoch, row.fenced, false, Instant.ofEpochMilli(row.leaseExpiresAt))));
        return new ClusterView(registered, partitions, Set.of(), List.of());
    }

    /** Applies a controller's plan: all or nothing, as {@code PostgresClusterStore.apply}. */
    boolean apply(int nodeId, int epoch, List<RegisteredBroker> seen, Changes changes, long now) {
        reach();
        if (controller != nodeId || controllerEpoch != epoch || controllerLeaseExpiresAt <= now) {
            return false;
        }
        for (RegisteredBroker broker : seen) {
            BrokerRow row = brokers.get(broker.nodeId());
            if (row == null || row.brokerEpoch != broker.brokerEpoch() || row.fenced != broker.fenced()) {
                return false;
            }
        }
        Map<Integer, PartitionRow> updated = new HashMap<>();
        for (PartitionChange change : changes.partitions()) {
            PartitionRow row = partitions.get(change.partition());
            if (row.partitionEpoch() != change.expectedPartitionEpoch()) {
                return false;
            }
            updated.put(
                    change.partition(),
                    new PartitionRow(
                            row.topicId(),
                            row.topic(),
                            row.partition(),
                            row.replicas(),
                            change.isr(),
                            change.leader(),
                            row.leaderEpoch() + (change.leaderChanged() ? 1 : 0),
                            row.partitionEpoch() + 1));
        }
        for (BrokerFencing fencing : changes.fencings()) {
            BrokerRow row = brokers.get(fencing.nodeId());
            if (row.brokerEpoch == fencing.brokerEpoch()) {
                row.fenced = fencing.fenced();
            }
        }
        updated.forEach(this::write);
        return true;
    }

    /** A leader's ISR change, as {@code IsrStore.alterIsr}: the new partition epoch, or empty. */
    OptionalInt alterIsr(
            int partition,
            int leader,
            long leaderBrokerEpoch,
            int leaderEpoch,
            int partitionEpoch,
            List<Integer> newIsr,
            Map<Integer, Long> added) {
        reach();
        PartitionRow row = partitions.get(partition);
        if (row.leader() != leader || row.leaderEpoch() != leaderEpoch || row.partitionEpoch() != partitionEpoch) {
            return OptionalInt.empty();
        }
        BrokerRow self = brokers.get(leader);
        if (self == null || self.fenced || self.brokerEpoch != leaderBrokerEpoch) {
            return OptionalInt.empty();
        }
        for (int member : newIsr) {
            BrokerRow broker = brokers.get(member);
            if (broker == null || broker.fenced) {
                return OptionalInt.empty(); // INELIGIBLE_REPLICA
            }
        }
        for (Map.Entry<Integer, Long> entry : added.entrySet()) {
            BrokerRow broker = brokers.get(entry.getKey());
            if (broker == null || broker.fenced || broker.brokerEpoch != entry.getValue()) {
                return OptionalInt.empty();
            }
        }
        write(
                partition,
                new PartitionRow(
                        row.topicId(),
                        row.topic(),
                        row.partition(),
                        row.replicas(),
                        newIsr,
                        row.leader(),
                        row.leaderEpoch(),
                        row.partitionEpoch() + 1));
        return OptionalInt.of(row.partitionEpoch() + 1);
    }

    private void write(int partition, PartitionRow next) {
        PartitionRow previous = partitions.get(partition);
        if (next.isr().size() > 1) {
            for (int member : next.isr()) {
                if (brokers.get(member).fenced) {
                    throw new AssertionError("I6: fenced broker " + member + " written into ISR " + next.isr()
                            + " of partition " + partition);
                }
            }
        }
        if (next.leaderEpoch() < previous.leaderEpoch() || next.partitionEpoch() <= previous.partitionEpoch()) {
            throw new AssertionError(
                    "I2: epochs went back on partition " + partition + ": " + previous + " -> " + next);
        }
        partitions.set(partition, next);
    }

    void createPartitions(int count, List<Integer> replicasFirst, int brokers) {
        UUID topicId = new UUID(1, 1);
        for (int p = 0; p < count; p++) {
            List<Integer> replicas = new ArrayList<>();
            for (int i = 0; i < brokers; i++) {
                replicas.add(replicasFirst.get((p + i) % brokers));
            }
            partitions.add(new PartitionRow(topicId, "sim", p, replicas, replicas, replicas.getFirst(), 0, 0));
        }
    }
}
