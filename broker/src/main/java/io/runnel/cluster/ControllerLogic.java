package io.runnel.cluster;

import io.runnel.metadata.ClusterStore.BrokerFencing;
import io.runnel.metadata.ClusterStore.Changes;
import io.runnel.metadata.ClusterStore.PartitionChange;
import io.runnel.metadata.ClusterStore.PartitionRow;
import io.runnel.metadata.ClusterStore.RegisteredBroker;
import io.runnel.metadata.ClusterStore.SlotMove;
import io.runnel.metadata.ClusterStore.SlotRow;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The controller's decisions, as a pure function of a {@link ClusterView}: no I/O and no clock (the
 * store's {@code now} comes in). It decides from the state alone, not from events, so a plan that was
 * lost or refused as stale is simply made again from fresh state, and a new controller carries on
 * where the last one stopped. Applying its plan and planning again reaches a plan with no changes.
 *
 * <p>A broker is <em>active</em> when it is registered, unfenced and not shutting down. The rules
 * (Kafka's {@code ReplicationControlManager}, K9–K12 in the replication plan):
 *
 * <ol>
 *   <li>Unfence a fenced broker whose lease is valid and that is not shutting down. It becomes
 *       eligible for leadership in the next plan, made from the state where it is unfenced.
 *   <li>Fence an unfenced broker whose lease lapsed, but only once {@code now} is a full session past
 *       {@code trustedSince}: after PostgreSQL was unreachable, every broker gets a whole session to
 *       renew before anyone is judged by its lease. A registration fences the broker itself (a new
 *       incarnation counts as a shutdown of the old one).
 *   <li>Inactive brokers leave every ISR, but the last member stays, so that a clean election can
 *       happen when it returns. A partition whose leader is inactive gets the first replica that is in
 *       the new ISR and active; failing that, with {@code unclean.leader.election.enable}, the first
 *       active replica with the ISR reduced to it (committed records may be lost, K10), unless an ISR
 *       member is being unfenced and can be elected cleanly in the next plan; else no leader.
 *   <li>A partition without a leader gets the first ISR member (in replica order) that is active.
 *   <li>When a preferred leader check is due: where {@code replicas[0]} is in the ISR, active and not
 *       the leader, it becomes leader (K12).
 *   <li>Slots without an active coordinator go to the active broker with the fewest slots; then slots
 *       move from the busiest to the idlest broker until their counts differ by at most one.
 * </ol>
 *
 * Every leader change (to none included) increments the leader epoch; every change increments the
 * partition epoch. Each change carries the epoch it was planned at, so the store refuses it if the
 * partition, broker or slot changed meanwhile.
 */
public final class ControllerLogic {

    /**
     * @param brokerSessionTimeout how long a lease may lapse before the broker is fenced, counted from
     *     {@code trustedSince} too
     * @param preferredLeaderElectionDue whether rule 5 runs in this plan
     */
    public record Settings(Duration brokerSessionTimeout, boolean preferredLeaderElectionDue) {}

    private ControllerLogic() {}

    public static Changes plan(ClusterView view, Instant now, Instant trustedSince, Settings settings) {
        boolean leasesTrusted = !now.isBefore(trustedSince.plus(settings.brokerSessionTimeout()));
        List<BrokerFencing> fencings = new ArrayList<>();
        Set<Integer> active = new HashSet<>();
        Set<Integer> unfencing = new HashSet<>();
        for (RegisteredBroker broker : view.brokers()) {
            boolean leaseValid = broker.leaseExpiresAt().isAfter(now);
            if (broker.fenced()) {
                if (leaseValid && !broker.controlledShutdown()) {
                    fencings.add(new BrokerFencing(broker.nodeId(), broker.brokerEpoch(), false));
                    unfencing.add(broker.nodeId());
                }
            } else if (!leaseValid && leasesTrusted) {
                fencings.add(new BrokerFencing(broker.nodeId(), broker.brokerEpoch(), true));
            } else if (!broker.controlledShutdown()) {
                active.add(broker.nodeId());
            }
        }
        List<PartitionChange> partitions = new ArrayList<>();
        for (PartitionRow partition : view.partitions()) {
            boolean unclean = view.uncleanLeaderElectionTopics().contains(partition.topicId());
            maybeChange(partition, active, unfencing, unclean, settings.preferredLeaderElectionDue())
                    .ifPresent(partitions::add);
        }
        return new Changes(fencings, partitions, placeSlots(view.slots(), active));
    }

    static Optional<PartitionChange> maybeChange(
            PartitionRow p,
            Set<Integer> active,
            Set<Integer> unfencing,
            boolean uncleanElection,
            boolean preferredDue) {
        List<Integer> isr = p.isr().stream().filter(active::contains).toList();
        if (isr.isEmpty() && !p.isr().isEmpty()) {
            // K9: the last member stays. The leader's log holds everything any member has.
            isr = List.of(p.isr().contains(p.leader()) ? p.leader() : p.isr().getFirst());
        }
        int leader = p.leader();
        boolean leaderUsable = leader != PartitionState.NO_LEADER && active.contains(leader) && isr.contains(leader);
        if (!leaderUsable) {
            leader = firstActive(p.replicas(), isr, active);
            // never unclean while an ISR member is about to be eligible again
            if (leader == PartitionState.NO_LEADER
                    && uncleanElection
                    && p.isr().stream().noneMatch(unfencing::contains)) {
                leader = firstActive(p.replicas(), p.replicas(), active);
                if (leader != PartitionState.NO_LEADER) {
                    isr = List.of(leader);
                }
            }
        } else if (preferredDue) {
            int preferred = p.replicas().getFirst();
            if (preferred != leader && isr.contains(preferred) && active.contains(preferred)) {
                leader = preferred;
            }
        }
        if (leader == p.leader() && isr.equals(p.isr())) {
            return Optional.empty();
        }
        return Optional.of(
                new PartitionChange(p.topicId(), p.partition(), p.partitionEpoch(), leader, isr, leader != p.leader()));
    }

    private static int firstActive(List<Integer> replicas, List<Integer> among, Set<Integer> active) {
        for (int replica : replicas) {
            if (among.contains(replica) && active.contains(replica)) {
                return replica;
            }
        }
        return PartitionState.NO_LEADER;
    }

    static List<SlotMove> placeSlots(List<SlotRow> slots, Set<Integer> active) {
        if (active.isEmpty()) {
            return List.of();
        }
        int[] coordinator = slots.stream().mapToInt(SlotRow::coordinator).toArray();
        TreeMap<Integer, List<Integer>> slotsOf = new TreeMap<>();
        active.forEach(id -> slotsOf.put(id, new ArrayList<>()));
        List<Integer> orphans = new ArrayList<>();
        for (int i = 0; i < coordinator.length; i++) {
            List<Integer> held = slotsOf.get(coordinator[i]);
            if (held == null) {
                orphans.add(i);
            } else {
                held.add(i);
            }
        }
        for (int i : orphans) {
            int target = idlest(slotsOf);
            coordinator[i] = target;
            slotsOf.get(target).add(i);
        }
        while (true) {
            int busiest = busiest(slotsOf);
            int idlest = idlest(slotsOf);
            if (slotsOf.get(busiest).size() - slotsOf.get(idlest).size() <= 1) {
                break;
            }
            List<Integer> held = slotsOf.get(busiest);
            int moved = held.removeLast();
            coordinator[moved] = idlest;
            slotsOf.get(idlest).add(moved);
        }
        List<SlotMove> moves = new ArrayList<>();
        for (int i = 0; i < coordinator.length; i++) {
            SlotRow slot = slots.get(i);
            if (coordinator[i] != slot.coordinator()) {
                moves.add(new SlotMove(slot.slot(), slot.coordinatorEpoch(), coordinator[i]));
            }
        }
        return moves;
    }

    /** The broker with the fewest slots, the lowest id among equals. */
    private static int idlest(Map<Integer, List<Integer>> slotsOf) {
        int best = -1;
        for (Map.Entry<Integer, List<Integer>> e : slotsOf.entrySet()) {
            if (best == -1 || e.getValue().size() < slotsOf.get(best).size()) {
                best = e.getKey();
            }
        }
        return best;
    }

    /** The broker with the most slots, the lowest id among equals. */
    private static int busiest(Map<Integer, List<Integer>> slotsOf) {
        int best = -1;
        for (Map.Entry<Integer, List<Integer>> e : slotsOf.entrySet()) {
            if (best == -1 || e.getValue().size() > slotsOf.get(best).size()) {
                best = e.getKey();
            }
        }
        return best;
    }
}
