package io.runnel.metadata;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;

/**
 * What brokers and the controller coordinate through: broker leases, the controller lease, and
 * conditional changes to partitions, broker fencing and coordinator slots. {@link PostgresClusterStore}
 * keeps them in PostgreSQL; a simulator can keep them in memory, with the same semantics:
 *
 * <ul>
 *   <li>Leases expire on the store's clock. A lapsed lease is never renewed under its old epoch.
 *   <li>The controller lease is taken only by a registered broker with a valid lease that is not
 *       shutting down, and only when it is free, lapsed or held by an earlier incarnation of the same
 *       node id; each take increments the controller epoch.
 *   <li>{@link #apply} succeeds only while the caller holds the controller lease at that epoch, and
 *       only if every broker still is as the caller saw it and every partition and slot is still at
 *       the epoch the change expects. Otherwise nothing is written.
 * </ul>
 */
public interface ClusterStore {

    /** A registered broker as the controller sees it. */
    record RegisteredBroker(
            int nodeId, long brokerEpoch, boolean fenced, boolean controlledShutdown, Instant leaseExpiresAt) {}

    /** The store's clock and every registered broker, read together. */
    record BrokerLeases(Instant now, Instant storeStartTime, long metadataVersion, List<RegisteredBroker> brokers) {}

    /** A partition's replicated state as stored. */
    record PartitionRow(
            UUID topicId,
            String topic,
            int partition,
            List<Integer> replicas,
            List<Integer> isr,
            int leader,
            int leaderEpoch,
            int partitionEpoch) {

        public PartitionRow {
            replicas = List.copyOf(replicas);
            isr = List.copyOf(isr);
        }
    }

    /** A group coordinator slot as stored. */
    record SlotRow(int slot, int coordinator, int coordinatorEpoch) {}

    /** Partitions, topic config overrides and coordinator slots, read in one snapshot. */
    record Partitions(
            long metadataVersion,
            List<PartitionRow> partitions,
            Map<UUID, Map<String, String>> topicConfigs,
            List<SlotRow> slots) {}

    /** New leader and ISR for a partition, applied only at {@code expectedPartitionEpoch}. */
    record PartitionChange(
            UUID topicId,
            int partition,
            int expectedPartitionEpoch,
            int leader,
            List<Integer> isr,
            boolean leaderChanged) {

        public PartitionChange {
            isr = List.copyOf(isr);
        }
    }

    /** Fences or unfences one registration of a broker (the change misses a newer registration). */
    record BrokerFencing(int nodeId, long brokerEpoch, boolean fenced) {}

    /** Gives a slot a new coordinator, applied only at {@code expectedCoordinatorEpoch}. */
    record SlotMove(int slot, int expectedCoordinatorEpoch, int coordinator) {}

    /** What the controller writes in one transaction. */
    record Changes(List<BrokerFencing> fencings, List<PartitionChange> partitions, List<SlotMove> slotMoves) {

        public static final Changes NONE = new Changes(List.of(), List.of(), List.of());

        public Changes {
            fencings = List.copyOf(fencings);
            partitions = List.copyOf(partitions);
            slotMoves = List.copyOf(slotMoves);
        }

        public boolean isEmpty() {
            return fencings.isEmpty() && partitions.isEmpty() && slotMoves.isEmpty();
        }
    }

    enum ApplyResult {
        /** Every change was written. */
        APPLIED,
        /** Nothing was written: a broker, partition or slot changed since it was read. Read again and replan. */
        STALE,
        /** Nothing was written: the caller no longer holds the controller lease at its epoch. */
        NOT_CONTROLLER
    }

    /** The store's clock and the metadata version, after a renewal. */
    record LeaseRenewal(Instant now, long metadataVersion) {}

    /** Registers an incarnation of a broker, fenced, under a new broker epoch, and returns that epoch. */
    long registerBroker(int nodeId, Optional<String> rack, String listeners, UUID incarnation, Duration lease);

    /** Extends the lease of this incarnation; empty when its registration is gone or was replaced. */
    Optional<LeaseRenewal> renewBrokerLease(int nodeId, UUID incarnation, Duration lease);

    /** Lets this incarnation's lease lapse at once (clean shutdown). */
    void expireBrokerLease(int nodeId, UUID incarnation);

    /** Marks this incarnation as shutting down, so the controller moves its leadership away (K11). */
    void beginControlledShutdown(int nodeId, UUID incarnation);

    /** Takes the controller lease if it is free or lapsed; returns the new controller epoch. */
    OptionalInt acquireControllerLease(int nodeId, UUID incarnation, Duration lease);

    /** Extends the controller lease held at {@code epoch}; false when it lapsed or changed hands. */
    boolean renewControllerLease(int nodeId, int epoch, Duration lease);

    /** Gives up the controller lease held at {@code epoch}, so another broker takes it at once. */
    void resignControllerLease(int nodeId, int epoch);

    BrokerLeases readBrokers();

    Partitions readPartitions();

    /**
     * Writes {@code changes} as the controller at {@code controllerEpoch}, provided the brokers are
     * still exactly {@code seen} (node id, broker epoch, fenced, controlled shutdown) and each partition
     * and slot is at its expected epoch; all or nothing.
     */
    ApplyResult apply(int nodeId, int controllerEpoch, List<RegisteredBroker> seen, Changes changes);
}
