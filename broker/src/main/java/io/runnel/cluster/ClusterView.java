package io.runnel.cluster;

import io.runnel.metadata.ClusterStore.PartitionRow;
import io.runnel.metadata.ClusterStore.RegisteredBroker;
import io.runnel.metadata.ClusterStore.SlotRow;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * What the controller decides from: every registered broker with its lease, every partition, the
 * topics that allow unclean leader election (their {@code unclean.leader.election.enable}, or the
 * broker default), and the coordinator slots.
 */
public record ClusterView(
        List<RegisteredBroker> brokers,
        List<PartitionRow> partitions,
        Set<UUID> uncleanLeaderElectionTopics,
        List<SlotRow> slots) {

    public ClusterView {
        brokers = List.copyOf(brokers);
        partitions = List.copyOf(partitions);
        uncleanLeaderElectionTopics = Set.copyOf(uncleanLeaderElectionTopics);
        slots = List.copyOf(slots);
    }
}
