package io.runnel.cluster;

import java.util.List;

/**
 * The replicated state of one partition as the cluster agreed it: replicas (preferred leader first),
 * in-sync replicas, leader, and the epochs that fence every change to it.
 */
public record PartitionState(
        int partition, List<Integer> replicas, List<Integer> isr, int leader, int leaderEpoch, int partitionEpoch) {

    public static final int NO_LEADER = -1;

    public PartitionState {
        replicas = List.copyOf(replicas);
        isr = List.copyOf(isr);
    }
}
