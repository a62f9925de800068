package io.runnel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ControllerLogicTest {

    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private static final Duration SESSION = Duration.ofSeconds(9);
    private static final Instant LONG_TRUSTED = NOW.minus(Duration.ofHours(1));
    private static final UUID TOPIC = UUID.fromString("00000000-0000-0000-0000-000000000001");
    private static final ControllerLogic.Settings SETTINGS = new ControllerLogic.Settings(SESSION, false);
    private static final ControllerLogic.Settings PREFERRED_DUE = new ControllerLogic.Settings(SESSION, true);

    // ---- rules 1 and 2: fencing

    @Test
    void unfencesARegisteredBrokerWithAValidLease() {
        ClusterView view = view(List.of(fenced(1, 7)), List.of());

        assertThat(plan(view).fencings()).containsExactly(new BrokerFencing(1, 7, false));
    }

    @Test
    void keepsFencedABrokerWhoseLeaseLapsedOrThatIsShuttingDown() {
        ClusterView view = view(
                List.of(
                        new RegisteredBroker(1, 3, true, false, NOW.minusSeconds(1)),
                        new RegisteredBroker(2, 4, true, true, NOW.plusSeconds(5))),
                List.of());

        assertThat(plan(view).fencings()).isEmpty();
    }

    @Test
    void fencesABrokerWhoseLeaseLapsed() {
        ClusterView view = view(List.of(active(1), lapsed(2, 5)), List.of());

        assertThat(plan(view).fencings()).containsExactly(new BrokerFencing(2, 5, true));
    }

    @Test
    void aLapsedLeaseCountsOnlyAFullSessionAfterPostgresWasReachableAgain() {
        ClusterView view = view(List.of(active(1), lapsed(2, 5)), List.of());
        Instant recovered = NOW.minusSeconds(3);

        Changes during = ControllerLogic.plan(view, NOW, recovered, SETTINGS);
        Changes after = ControllerLogic.plan(view, recovered.plus(SESSION), recovered, SETTINGS);

        assertThat(during.fencings()).isEmpty();
        assertThat(after.fencings()).containsExactly(new BrokerFencing(2, 5, true));
    }

    // ---- rule 3: fenced or shutting-down brokers (K9)

    @Test
    void aFencedLeaderIsReplacedByTheFirstActiveIsrMemberInReplicaOrder() {
        PartitionRow p = partition(List.of(1, 2, 3), List.of(1, 3, 2), 1, 4, 10);
        ClusterView view = view(List.of(lapsed(1, 1), active(2), active(3)), List.of(p));

        Changes changes = plan(view);

        assertThat(changes.fencings()).containsExactly(new BrokerFencing(1, 1, true));
        assertThat(changes.partitions()).containsExactly(new PartitionChange(TOPIC, 0, 10, 2, List.of(3, 2), true));
    }

    @Test
    void aFencedFollowerLeavesTheIsrAndTheLeaderStays() {
        PartitionRow p = partition(List.of(1, 2, 3), List.of(1, 2, 3), 1, 4, 10);
        ClusterView view = view(List.of(active(1), fenced(2, 2), active(3)), List.of(p));

        assertThat(plan(view).partitions()).containsExactly(new PartitionChange(TOPIC, 0, 10, 1, List.of(1, 3), false));
    }

    @Test
    void theLastIsrMemberStaysAndThePartitionIsLeftWithoutALeader() {
        PartitionRow p = partition(List.of(1, 2), List.of(1), 1, 4, 10);
        ClusterView view = view(List.of(lapsed(1, 1), active(2)), List.of(p));

        assertThat(plan(view).partitions()).containsExactly(new PartitionChange(TOPIC, 0, 10, -1, List.of(1), true));
    }

    @Test
    void whenTheWholeIsrIsGoneTheLeaderStaysItsLastMember() {
        PartitionRow p = partition(List.of(2, 1, 3), List.of(2, 1), 1, 4, 10);
        ClusterView view = view(List.of(lapsed(1, 1), lapsed(2, 2), active(3)), List.of(p));

        assertThat(plan(view).partitions()).containsExactly(new PartitionChange(TOPIC, 0, 10, -1, List.of(1), true));
    }

    @Test
    void uncleanElectionPicksALiveReplicaOutsideTheIsrOnlyWhenTheTopicAllowsIt() {
        PartitionRow p = partition(List.of(1, 2, 3), List.of(1), 1, 4, 10);
        List<RegisteredBroker> brokers = List.of(lapsed(1, 1), active(2), active(3));

        Changes clean = plan(view(brokers, List.of(p)));
        Changes unclean = plan(new ClusterView(brokers, List.of(p), Set.of(TOPIC), List.of()));

        assertThat(clean.partitions()).containsExactly(new PartitionChange(TOPIC, 0, 10, -1, List.of(1), true));
        assertThat(unclean.partitions()).containsExactly(new PartitionChange(TOPIC, 0, 10, 2, List.of(2), true));
    }

    @Test
    void uncleanElectionAlsoLeadsAPartitionLeftWithoutALeaderEarlier() {
        PartitionRow p = partition(List.of(1, 2), List.of(1), -1, 5, 11);
        RegisteredBroker gone = new RegisteredBroker(1, 1, true, false, NOW.minusSeconds(30));
        ClusterView view = new ClusterView(List.of(gone, active(2)), List.of(p), Set.of(TOPIC), List.of());

        assertThat(plan(view).partitions()).containsExactly(new PartitionChange(TOPIC, 0, 11, 2, List.of(2), true));
    }

    @Test
    void uncleanElectionWaitsForTheLastIsrMemberWhenItIsBeingUnfenced() {
        PartitionRow p = partition(List.of(1, 2), List.of(1), -1, 5, 11);
        Twin twin = new Twin(new ClusterView(List.of(fenced(1, 3), active(2)), List.of(p), Set.of(TOPIC), List.of()));

        twin.runToQuiescence();

        assertThat(twin.partition(0)).isEqualTo(partition(List.of(1, 2), List.of(1), 1, 6, 12));
    }

    @Test
    void aBrokerInControlledShutdownLosesLeadershipAndIsrMembershipButStaysUnfenced() {
        PartitionRow p = partition(List.of(1, 2), List.of(1, 2), 1, 4, 10);
        RegisteredBroker shuttingDown = new RegisteredBroker(1, 1, false, true, NOW.plusSeconds(5));
        ClusterView view = view(List.of(shuttingDown, active(2)), List.of(p));

        Changes changes = plan(view);

        assertThat(changes.fencings()).isEmpty();
        assertThat(changes.partitions()).containsExactly(new PartitionChange(TOPIC, 0, 10, 2, List.of(2), true));
    }

    // ---- rule 4: leaderless partitions

    @Test
    void aLeaderlessPartitionIsLedByTheFirstActiveIsrMember() {
        PartitionRow p = partition(List.of(1, 2, 3), List.of(3, 2), -1, 5, 11);
        ClusterView view = view(List.of(active(1), active(2), active(3)), List.of(p));

        assertThat(plan(view).partitions()).containsExactly(new PartitionChange(TOPIC, 0, 11, 2, List.of(3, 2), true));
    }

    @Test
    void anUnfencedBrokerLeadsItsLeaderlessPartitionsFromTheNextPlanOn() {
        PartitionRow p = partition(List.of(1), List.of(1), -1, 5, 11);
        Twin twin = new Twin(view(List.of(fenced(1, 9)), List.of(p)));

        Changes first = twin.plan(SETTINGS);
        twin.apply(first);
        Changes second = twin.plan(SETTINGS);

        assertThat(first.fencings()).containsExactly(new BrokerFencing(1, 9, false));
        assertThat(first.partitions()).isEmpty();
        assertThat(second.partitions()).containsExactly(new PartitionChange(TOPIC, 0, 11, 1, List.of(1), true));
    }

    // ---- re-registration (K9: a new incarnation is a shutdown of the old one)

    @Test
    void aReRegisteredLeaderLosesLeadershipAtOnceAndLeadsAgainOnlyUnderANewLeaderEpoch() {
        // SIGKILL and restart of a single broker within its session: the registration fenced it.
        PartitionRow p = partition(List.of(1), List.of(1), 1, 4, 10);
        Twin twin = new Twin(view(List.of(fenced(1, 2)), List.of(p)));

        twin.runToQuiescence();

        assertThat(twin.partition(0)).isEqualTo(partition(List.of(1), List.of(1), 1, 6, 12));
        assertThat(twin.broker(1).fenced()).isFalse();
    }

    @Test
    void aReRegisteredReplicaLeavesTheIsrOfThePartitionsItLed() {
        PartitionRow p = partition(List.of(1, 2), List.of(1, 2), 1, 4, 10);
        ClusterView view = view(List.of(fenced(1, 2), active(2)), List.of(p));

        Changes changes = plan(view);

        assertThat(changes.fencings()).containsExactly(new BrokerFencing(1, 2, false));
        assertThat(changes.partitions()).containsExactly(new PartitionChange(TOPIC, 0, 10, 2, List.of(2), true));
    }

    // ---- rule 5: preferred leaders

    @Test
    void thePreferredReplicaLeadsAgainWhenACheckIsDueAndItIsAnActiveIsrMember() {
        PartitionRow p = partition(List.of(1, 2, 3), List.of(2, 3, 1), 2, 5, 12);
        ClusterView view = view(List.of(active(1), active(2), active(3)), List.of(p));

        assertThat(plan(view).partitions()).isEmpty();
        assertThat(ControllerLogic.plan(view, NOW, LONG_TRUSTED, PREFERRED_DUE).partitions())
                .containsExactly(new PartitionChange(TOPIC, 0, 12, 1, List.of(2, 3, 1), true));
    }

    @Test
    void thePreferredReplicaDoesNotLeadOutsideTheIsrOrWhileShuttingDown() {
        PartitionRow notInIsr = partition(List.of(1, 2), List.of(2), 2, 5, 12);
        PartitionRow shuttingDown = new PartitionRow(TOPIC, "t", 1, List.of(3, 2), List.of(2, 3), 2, 5, 12);
        RegisteredBroker three = new RegisteredBroker(3, 3, false, true, NOW.plusSeconds(5));
        ClusterView view = view(List.of(active(1), active(2), three), List.of(notInIsr, shuttingDown));

        Changes changes = ControllerLogic.plan(view, NOW, LONG_TRUSTED, PREFERRED_DUE);

        // 3 only leaves the ISR (K9); nobody moves to a preferred replica
        assertThat(changes.partitions()).containsExactly(new PartitionChange(TOPIC, 1, 12, 2, List.of(2), false));
    }

    // ---- rule 6: coordinator slots

    @Test
    void unplacedSlotsAreSpreadEvenly() {
        ClusterView view = view(List.of(active(1), active(2), active(3)), List.of(), slots(-1, -1, -1, -1, -1));

        List<SlotMove> moves = plan(view).slotMoves();

        assertThat(moves)
                .containsExactly(
                        new SlotMove(0, 7, 1),
                        new SlotMove(1, 7, 2),
                        new SlotMove(2, 7, 3),
                        new SlotMove(3, 7, 1),
                        new SlotMove(4, 7, 2));
    }

    @Test
    void slotsOfAFencedCoordinatorMoveToTheBrokersWithFewestSlots() {
        ClusterView view = view(List.of(active(1), active(2), lapsed(3, 3)), List.of(), slots(1, 2, 3, 3, 1));

        List<SlotMove> moves = plan(view).slotMoves();

        assertThat(moves).containsExactly(new SlotMove(2, 7, 2), new SlotMove(3, 7, 1));
    }

    @Test
    void aJoiningBrokerTakesSlotsUntilCountsDifferByAtMostOne() {
        int[] coordinators =
                IntStream.range(0, CoordinatorSlot.COUNT).map(i -> 1 + i % 2).toArray();
        ClusterView view = view(List.of(active(1), active(2), active(3)), List.of(), slots(coordinators));

        Twin twin = new Twin(view);
        Changes changes = twin.plan(SETTINGS);
        twin.apply(changes);

        Map<Integer, Integer> counts = new HashMap<>();
        twin.view.slots().forEach(s -> counts.merge(s.coordinator(), 1, Integer::sum));
        assertThat(counts).containsOnlyKeys(1, 2, 3);
        assertThat(counts.values()).allSatisfy(c -> assertThat(c).isBetween(16, 17));
        assertThat(changes.slotMoves())
                .hasSize(16)
                .allSatisfy(m -> assertThat(m.coordinator()).isEqualTo(3));
        assertThat(twin.plan(SETTINGS).isEmpty()).isTrue();
    }

    // ---- conditional writes

    @Test
    void everyChangeCarriesTheEpochItWasPlannedAtSoAStalePlanIsRefused() {
        PartitionRow p = partition(List.of(1, 2, 3), List.of(1, 2, 3), 1, 4, 10);
        Twin twin = new Twin(view(List.of(lapsed(1, 1), active(2), active(3)), List.of(p)));
        Changes planned = twin.plan(SETTINGS);
        // meanwhile the leader shrank the ISR itself (AlterPartition): partition epoch 10 -> 11
        twin.replace(partition(List.of(1, 2, 3), List.of(1, 3), 1, 4, 11));

        boolean applied = twin.tryApply(planned);
        twin.runToQuiescence();

        assertThat(applied).isFalse();
        assertThat(twin.partition(0)).isEqualTo(partition(List.of(1, 2, 3), List.of(3), 3, 5, 12));
    }

    @Test
    void planningAgainAfterApplyingReachesAPlanWithoutChanges() {
        PartitionRow a = new PartitionRow(TOPIC, "t", 0, List.of(1, 2, 3), List.of(1, 2, 3), 1, 0, 0);
        PartitionRow b = new PartitionRow(TOPIC, "t", 1, List.of(2, 3, 1), List.of(2), 2, 0, 0);
        PartitionRow c = new PartitionRow(TOPIC, "t", 2, List.of(3), List.of(3), -1, 0, 0);
        PartitionRow d = new PartitionRow(TOPIC, "t", 3, List.of(1, 3), List.of(1, 3), 3, 0, 0);
        // 1 died, 3 restarted (registered again, fenced), 2 carries on
        Twin twin =
                new Twin(view(List.of(lapsed(1, 1), active(2), fenced(3, 4)), List.of(a, b, c, d), slots(1, 2, 3, -1)));

        int plans = twin.runToQuiescence();

        assertThat(plans).isEqualTo(2);
        assertThat(twin.partition(0)).isEqualTo(new PartitionRow(TOPIC, "t", 0, List.of(1, 2, 3), List.of(2), 2, 1, 1));
        assertThat(twin.partition(1)).isEqualTo(b);
        assertThat(twin.partition(2)).isEqualTo(new PartitionRow(TOPIC, "t", 2, List.of(3), List.of(3), 3, 1, 1));
        assertThat(twin.partition(3)).isEqualTo(new PartitionRow(TOPIC, "t", 3, List.of(1, 3), List.of(3), 3, 2, 2));
        assertThat(twin.view.slots()).extracting(SlotRow::coordinator).containsExactlyInAnyOrder(2, 2, 3, 3);
    }

    // ---- fixtures

    private static Changes plan(ClusterView view) {
        return ControllerLogic.plan(view, NOW, LONG_TRUSTED, SETTINGS);
    }

    private static RegisteredBroker active(int id) {
        return new RegisteredBroker(id, id, false, false, NOW.plusSeconds(60));
    }

    private static RegisteredBroker fenced(int id, long epoch) {
        return new RegisteredBroker(id, epoch, true, false, NOW.plusSeconds(5));
    }

    private static RegisteredBroker lapsed(int id, long epoch) {
        return new RegisteredBroker(id, epoch, false, false, NOW.minusMillis(1));
    }

    private static PartitionRow partition(
            List<Integer> replicas, List<Integer> isr, int leader, int leaderEpoch, int partitionEpoch) {
        return new PartitionRow(TOPIC, "t", 0, replicas, isr, leader, leaderEpoch, partitionEpoch);
    }

    private static List<SlotRow> slots(int... coordinators) {
        List<SlotRow> slots = new ArrayList<>();
        for (int i = 0; i < coordinators.length; i++) {
            slots.add(new SlotRow(i, coordinators[i], 7));
        }
        return slots;
    }

    private static ClusterView view(List<RegisteredBroker> brokers, List<PartitionRow> partitions) {
        return view(brokers, partitions, List.of());
    }

    private static ClusterView view(
            List<RegisteredBroker> brokers, List<PartitionRow> partitions, List<SlotRow> slots) {
        return new ClusterView(brokers, partitions, Set.of(), slots);
    }

    /** The view as a store would hold it, with the store's conditional writes; clock stopped at NOW. */
    private static final class Twin {
        ClusterView view;

        Twin(ClusterView view) {
            this.view = view;
        }

        Changes plan(ControllerLogic.Settings settings) {
            return ControllerLogic.plan(view, NOW, LONG_TRUSTED, settings);
        }

        void apply(Changes changes) {
            assertThat(tryApply(changes)).as("applied").isTrue();
        }

        boolean tryApply(Changes changes) {
            List<PartitionRow> partitions = new ArrayList<>(view.partitions());
            for (PartitionChange change : changes.partitions()) {
                int i = indexOf(partitions, change.partition());
                PartitionRow p = partitions.get(i);
                if (p.partitionEpoch() != change.expectedPartitionEpoch()) {
                    return false;
                }
                partitions.set(
                        i,
                        new PartitionRow(
                                p.topicId(),
                                p.topic(),
                                p.partition(),
                                p.replicas(),
                                change.isr(),
                                change.leader(),
                                p.leaderEpoch() + (change.leaderChanged() ? 1 : 0),
                                p.partitionEpoch() + 1));
            }
            List<RegisteredBroker> brokers = new ArrayList<>(view.brokers());
            for (BrokerFencing fencing : changes.fencings()) {
                int i = brokers.indexOf(broker(fencing.nodeId()));
                RegisteredBroker b = brokers.get(i);
                if (b.brokerEpoch() != fencing.brokerEpoch()) {
                    return false;
                }
                brokers.set(
                        i,
                        new RegisteredBroker(
                                b.nodeId(),
                                b.brokerEpoch(),
                                fencing.fenced(),
                                b.controlledShutdown(),
                                b.leaseExpiresAt()));
            }
            List<SlotRow> slots = new ArrayList<>(view.slots());
            for (SlotMove move : changes.slotMoves()) {
                SlotRow s = slots.get(move.slot());
                if (s.coordinatorEpoch() != move.expectedCoordinatorEpoch()) {
                    return false;
                }
                slots.set(move.slot(), new SlotRow(s.slot(), move.coordinator(), s.coordinatorEpoch() + 1));
            }
            view = new ClusterView(brokers, partitions, view.uncleanLeaderElectionTopics(), slots);
            return true;
        }

        /** Plans and applies until a plan changes nothing; returns the number of plans that did. */
        int runToQuiescence() {
            for (int plans = 0; plans < 10; plans++) {
                Changes changes = plan(SETTINGS);
                if (changes.isEmpty()) {
                    return plans;
                }
                apply(changes);
            }
            throw new AssertionError("No quiescence after 10 plans: " + view);
        }

        void replace(PartitionRow row) {
            List<PartitionRow> partitions = new ArrayList<>(view.partitions());
            partitions.set(indexOf(partitions, row.partition()), row);
            view = new ClusterView(view.brokers(), partitions, view.uncleanLeaderElectionTopics(), view.slots());
        }

        PartitionRow partition(int index) {
            return view.partitions().get(indexOf(view.partitions(), index));
        }

        RegisteredBroker broker(int id) {
            Optional<RegisteredBroker> b =
                    view.brokers().stream().filter(x -> x.nodeId() == id).findFirst();
            return b.orElseThrow();
        }

        private static int indexOf(List<PartitionRow> partitions, int partition) {
            for (int i = 0; i < partitions.size(); i++) {
                if (partitions.get(i).partition() == partition) {
                    return i;
                }
            }
            throw new IllegalArgumentException("No partition " + partition);
        }
    }
}
