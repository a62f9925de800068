package io.runnel.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.junit.jupiter.api.Test;

class ReplicaPlacerTest {

    private static BrokerImage broker(int id) {
        return new BrokerImage(id, Optional.empty(), List.of());
    }

    private static BrokerImage broker(int id, String rack) {
        return new BrokerImage(id, Optional.of(rack), List.of());
    }

    private static List<BrokerImage> brokers(int... ids) {
        List<BrokerImage> list = new ArrayList<>();
        for (int id : ids) {
            list.add(broker(id));
        }
        return list;
    }

    private static Map<Integer, String> racks(List<BrokerImage> brokers) {
        return brokers.stream()
                .collect(Collectors.toMap(BrokerImage::nodeId, b -> b.rack().orElse("")));
    }

    /** Six brokers, two in each of three racks. */
    private static List<BrokerImage> threeRacksOfTwo() {
        return List.of(broker(1, "a"), broker(2, "a"), broker(3, "b"), broker(4, "b"), broker(5, "c"), broker(6, "c"));
    }

    @Test
    void placesTheRequestedNumberOfPartitionsWithTheRequestedReplicas() {
        List<List<Integer>> placement = ReplicaPlacer.place(brokers(1, 2, 3, 4), 0, 7, (short) 3, 0);

        assertThat(placement).hasSize(7);
        assertThat(placement).allSatisfy(replicas -> assertThat(replicas).hasSize(3));
    }

    @Test
    void placingNoPartitionsGivesAnEmptyPlacement() {
        assertThat(ReplicaPlacer.place(brokers(1, 2), 0, 0, (short) 1, 0)).isEmpty();
    }

    @Test
    void everyPartitionHasDistinctBrokers() {
        List<BrokerImage> brokers = brokers(10, 20, 30, 40, 50);
        for (short rf = 1; rf <= 5; rf++) {
            for (int start = 0; start < 5; start++) {
                List<List<Integer>> placement = ReplicaPlacer.place(brokers, 0, 60, rf, start);
                for (List<Integer> replicas : placement) {
                    assertThat(replicas).doesNotHaveDuplicates().hasSize(rf);
                    assertThat(replicas).isSubsetOf(10, 20, 30, 40, 50);
                }
            }
        }
    }

    @Test
    void everyPartitionHasDistinctBrokersWithRacks() {
        List<BrokerImage> brokers =
                List.of(broker(1, "a"), broker(2, "a"), broker(3, "a"), broker(4, "b"), broker(5, "c"), broker(6, "c"));
        for (short rf = 1; rf <= 6; rf++) {
            for (int start = 0; start < 6; start++) {
                for (List<Integer> replicas : ReplicaPlacer.place(brokers, 0, 50, rf, start)) {
                    assertThat(replicas).doesNotHaveDuplicates().hasSize(rf);
                }
            }
        }
    }

    @Test
    void replicationFactorEqualToTheBrokerCountUsesEveryBroker() {
        for (List<Integer> replicas : ReplicaPlacer.place(brokers(1, 2, 3), 0, 9, (short) 3, 1)) {
            assertThat(replicas).containsExactlyInAnyOrder(1, 2, 3);
        }
    }

    @Test
    void leadersAreSpreadRoundRobinOverAllBrokers() {
        List<List<Integer>> placement = ReplicaPlacer.place(brokers(1, 2, 3, 4), 0, 12, (short) 2, 0);

        Map<Integer, Integer> leaderships = new HashMap<>();
        for (List<Integer> replicas : placement) {
            leaderships.merge(replicas.getFirst(), 1, Integer::sum);
        }
        assertThat(leaderships).containsOnlyKeys(1, 2, 3, 4);
        assertThat(leaderships.values()).containsOnly(3);
    }

    @Test
    void consecutivePartitionsHaveDifferentLeaders() {
        List<List<Integer>> placement = ReplicaPlacer.place(brokers(1, 2, 3, 4), 0, 4, (short) 1, 0);

        assertThat(placement.stream().map(List::getFirst)).containsExactlyInAnyOrder(1, 2, 3, 4);
    }

    @Test
    void replicasAreSpreadEvenlyOverAllBrokers() {
        // n * (n - 1) partitions cover every follower shift once for each leader.
        int n = 4;
        List<List<Integer>> placement = ReplicaPlacer.place(brokers(1, 2, 3, 4), 0, n * (n - 1), (short) 3, 2);

        Map<Integer, Integer> replicaCounts = new HashMap<>();
        placement.forEach(replicas -> replicas.forEach(b -> replicaCounts.merge(b, 1, Integer::sum)));
        assertThat(replicaCounts).containsOnlyKeys(1, 2, 3, 4);
        assertThat(replicaCounts.values()).containsOnly(n * (n - 1) * 3 / n);
    }

    @Test
    void startChoosesTheFirstPartitionsLeader() {
        List<BrokerImage> brokers = brokers(1, 2, 3);

        assertThat(ReplicaPlacer.place(brokers, 0, 1, (short) 1, 0).getFirst()).containsExactly(1);
        assertThat(ReplicaPlacer.place(brokers, 0, 1, (short) 1, 1).getFirst()).containsExactly(2);
        assertThat(ReplicaPlacer.place(brokers, 0, 1, (short) 1, 2).getFirst()).containsExactly(3);
        assertThat(ReplicaPlacer.place(brokers, 0, 1, (short) 1, 3).getFirst()).containsExactly(1);
    }

    @Test
    void samePartitionLeaderAcrossRoundsGetsDifferentFollowers() {
        List<List<Integer>> placement = ReplicaPlacer.place(brokers(1, 2, 3, 4), 0, 8, (short) 2, 0);

        for (int p = 0; p < 4; p++) {
            List<Integer> first = placement.get(p);
            List<Integer> second = placement.get(p + 4);
            assertThat(second.getFirst()).isEqualTo(first.getFirst());
            assertThat(second.get(1)).isNotEqualTo(first.get(1));
        }
    }

    @Test
    void placementDoesNotDependOnTheOrderBrokersAreListed() {
        List<BrokerImage> sorted = new ArrayList<>(threeRacksOfTwo());
        List<BrokerImage> shuffled = new ArrayList<>(sorted);
        Collections.shuffle(shuffled, new Random(7));
        Collections.reverse(sorted);

        assertThat(ReplicaPlacer.place(shuffled, 0, 20, (short) 3, 4))
                .isEqualTo(ReplicaPlacer.place(sorted, 0, 20, (short) 3, 4));
    }

    @Test
    void addedPartitionsArePlacedAsIfPlacedWithTheTopic() {
        List<BrokerImage> brokers = brokers(1, 2, 3, 4, 5);
        List<List<Integer>> all = ReplicaPlacer.place(brokers, 0, 13, (short) 3, 2);

        List<List<Integer>> added = ReplicaPlacer.place(brokers, 8, 5, (short) 3, 2);

        assertThat(added).isEqualTo(all.subList(8, 13));
    }

    @Test
    void largeOrNegativeStartStillPlacesValidReplicas() {
        for (int start : new int[] {-1, -1000, Integer.MAX_VALUE - 3, Integer.MIN_VALUE}) {
            List<List<Integer>> placement = ReplicaPlacer.place(brokers(1, 2, 3), 0, 6, (short) 2, start);
            assertThat(placement)
                    .allSatisfy(r ->
                            assertThat(r).hasSize(2).doesNotHaveDuplicates().isSubsetOf(1, 2, 3));
        }
    }

    @Test
    void singleBrokerHoldsEveryReplica() {
        assertThat(ReplicaPlacer.place(brokers(7), 0, 3, (short) 1, 5))
                .containsExactly(List.of(7), List.of(7), List.of(7));
    }

    @Test
    void tooFewBrokersIsAnInvalidReplicationFactor() {
        assertThatThrownBy(() -> ReplicaPlacer.place(brokers(1, 2), 0, 1, (short) 3, 0))
                .isInstanceOf(InvalidReplicationFactorException.class)
                .hasMessageContaining("3")
                .hasMessageContaining("only 2 broker(s)");
    }

    @Test
    void noBrokersIsAnInvalidReplicationFactor() {
        assertThatThrownBy(() -> ReplicaPlacer.place(List.of(), 0, 1, (short) 1, 0))
                .isInstanceOf(InvalidReplicationFactorException.class);
    }

    @Test
    void rackAlternatingOrderPutsConsecutiveBrokersInDifferentRacks() {
        List<BrokerImage> brokers = threeRacksOfTwo();

        List<Integer> order = ReplicaPlacer.rackAlternating(brokers);

        assertThat(order).containsExactly(1, 3, 5, 2, 4, 6);
    }

    @Test
    void rackAlternatingOrderWithoutRacksIsByBrokerId() {
        assertThat(ReplicaPlacer.rackAlternating(brokers(5, 3, 9, 1))).containsExactly(1, 3, 5, 9);
    }

    @Test
    void rackAlternatingOrderWithUnevenRacksListsEveryBrokerOnce() {
        List<BrokerImage> brokers = List.of(broker(1, "a"), broker(2, "a"), broker(3, "a"), broker(4, "b"));

        assertThat(ReplicaPlacer.rackAlternating(brokers)).containsExactly(1, 4, 2, 3);
    }

    @Test
    void firstRoundOfPartitionsSpansEveryRackWithBalancedRacks() {
        List<BrokerImage> brokers = threeRacksOfTwo();
        Map<Integer, String> rackOf = racks(brokers);

        for (int start = 0; start < brokers.size(); start++) {
            for (List<Integer> replicas : ReplicaPlacer.place(brokers, 0, brokers.size(), (short) 3, start)) {
                assertThat(replicas.stream().map(rackOf::get).collect(Collectors.toSet()))
                        .as("racks of %s", replicas)
                        .containsExactlyInAnyOrder("a", "b", "c");
            }
        }
    }

    @Test
    void leadersAreSpreadOverRacks() {
        List<BrokerImage> brokers = threeRacksOfTwo();
        Map<Integer, String> rackOf = racks(brokers);

        List<List<Integer>> placement = ReplicaPlacer.place(brokers, 0, 3, (short) 1, 0);

        assertThat(placement.stream().map(r -> rackOf.get(r.getFirst()))).containsExactlyInAnyOrder("a", "b", "c");
    }

    @Test
    void everyPartitionSpansAsManyRacksAsPossible() {
        List<BrokerImage> balanced = List.of(broker(1, "a"), broker(2, "a"), broker(3, "b"), broker(4, "b"));
        assertSpansAsManyRacksAsPossible(balanced, (short) 2);
        assertSpansAsManyRacksAsPossible(threeRacksOfTwo(), (short) 2);
        assertSpansAsManyRacksAsPossible(threeRacksOfTwo(), (short) 3);
    }

    @Test
    void everyPartitionSpansAsManyRacksAsPossibleWithUnevenRacks() {
        List<BrokerImage> uneven = List.of(broker(1, "a"), broker(2, "a"), broker(3, "a"), broker(4, "b"));
        assertSpansAsManyRacksAsPossible(uneven, (short) 2);
    }

    private static void assertSpansAsManyRacksAsPossible(List<BrokerImage> brokers, short rf) {
        Map<Integer, String> rackOf = racks(brokers);
        int rackCount = new HashSet<>(rackOf.values()).size();
        for (int start = 0; start < brokers.size(); start++) {
            List<List<Integer>> placement = ReplicaPlacer.place(brokers, 0, 4 * brokers.size(), rf, start);
            for (int p = 0; p < placement.size(); p++) {
                List<Integer> replicas = placement.get(p);
                Set<String> racks = replicas.stream().map(rackOf::get).collect(Collectors.toSet());
                assertThat(racks)
                        .as("partition %d (start %d) replicas %s", p, start, replicas)
                        .hasSize(Math.min(rf, rackCount));
            }
        }
    }
}
