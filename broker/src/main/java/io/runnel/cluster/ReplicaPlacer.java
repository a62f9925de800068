package io.runnel.cluster;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;

/**
 * Places the replicas of new partitions on brokers: leaders spread round-robin from a starting
 * broker, followers on the next brokers in a rack-alternating order, so with racks each partition's
 * replicas span as many racks as possible.
 */
public final class ReplicaPlacer {

    private ReplicaPlacer() {}

    /**
     * @param brokers live brokers, in any order
     * @param firstPartition index of the first partition placed (for partitions added to a topic)
     * @param count how many partitions to place
     * @param start where the round-robin starts (random for a new topic, so leaders spread over topics)
     */
    public static List<List<Integer>> place(
            List<BrokerImage> brokers, int firstPartition, int count, short replicationFactor, int start) {
        if (replicationFactor > brokers.size()) {
            throw new InvalidReplicationFactorException("Unable to replicate the partition " + replicationFactor
                    + " time(s): The target replication factor of " + replicationFactor
                    + " cannot be reached because only " + brokers.size() + " broker(s) are registered.");
        }
        List<Integer> order = rackAlternating(brokers);
        Map<Integer, String> rackOf = new HashMap<>();
        brokers.forEach(b -> rackOf.put(b.nodeId(), b.rack().orElse("")));
        int racks = new HashSet<>(rackOf.values()).size();
        int n = order.size();
        List<List<Integer>> assignments = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int p = firstPartition + i;
            int leader = Math.floorMod(start + p, n);
            // Shift followers every full round so two partitions with the same leader differ in followers.
            int shift = 1 + Math.floorMod(p / n, Math.max(1, n - 1));
            List<Integer> replicas = new ArrayList<>(replicationFactor);
            Set<String> racksUsed = new HashSet<>();
            replicas.add(order.get(leader));
            racksUsed.add(rackOf.get(order.get(leader)));
            for (int r = 1; r < replicationFactor; r++) {
                int follower = pickFollower(order, leader + shift, replicas, racksUsed, racks, rackOf);
                replicas.add(follower);
                racksUsed.add(rackOf.get(follower));
            }
            assignments.add(replicas);
        }
        return assignments;
    }

    /**
     * The first broker from {@code from} on (round the ring) that is not a replica yet, in a rack not
     * used yet while unused racks remain.
     */
    private static int pickFollower(
            List<Integer> order,
            int from,
            List<Integer> replicas,
            Set<String> racksUsed,
            int racks,
            Map<Integer, String> rackOf) {
        int n = order.size();
        boolean newRackWanted = racksUsed.size() < racks;
        for (int k = 0; k < n; k++) {
            int candidate = order.get(Math.floorMod(from + k, n));
            if (!replicas.contains(candidate) && (!newRackWanted || !racksUsed.contains(rackOf.get(candidate)))) {
                return candidate;
            }
        }
        throw new IllegalStateException("no broker left for a replica");
    }

    /** Broker ids ordered so that consecutive brokers are in different racks where possible. */
    static List<Integer> rackAlternating(List<BrokerImage> brokers) {
        Map<String, List<Integer>> byRack = new LinkedHashMap<>();
        brokers.stream()
                .sorted(Comparator.comparingInt(BrokerImage::nodeId))
                .forEach(b -> byRack.computeIfAbsent(b.rack().orElse(""), r -> new ArrayList<>())
                        .add(b.nodeId()));
        List<Integer> order = new ArrayList<>(brokers.size());
        for (int round = 0; order.size() < brokers.size(); round++) {
            for (List<Integer> rack : byRack.values()) {
                if (round < rack.size()) {
                    order.add(rack.get(round));
                }
            }
        }
        return order;
    }
}
