package io.runnel.group;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.cluster.CoordinatorSlot;
import io.runnel.group.HeldSlots.Gained;
import io.runnel.group.HeldSlots.Loaded;
import io.runnel.group.HeldSlots.Loading;
import io.runnel.group.HeldSlots.Lost;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntUnaryOperator;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

class HeldSlotsTest {

    private static final int ME = 2;

    /** Every slot, with the coordinator and epoch the functions give it. */
    private static List<CoordinatorSlot> slots(IntUnaryOperator coordinator, IntUnaryOperator epoch) {
        List<CoordinatorSlot> slots = new ArrayList<>();
        for (int s = 0; s < CoordinatorSlot.COUNT; s++) {
            slots.add(new CoordinatorSlot(s, coordinator.applyAsInt(s), epoch.applyAsInt(s)));
        }
        return slots;
    }

    private static List<CoordinatorSlot> allOn(int broker, int epoch) {
        return slots(s -> broker, s -> epoch);
    }

    @Test
    void slotsPlacedHereAreGainedAndLoadingUntilLoaded() {
        HeldSlots held = new HeldSlots(ME);

        List<HeldSlots.Change> changes = held.update(slots(s -> s < 3 ? ME : 1, s -> 1));

        assertThat(changes).containsExactly(new Gained(0, 1), new Gained(1, 1), new Gained(2, 1));
        assertThat(held.state(0)).isEqualTo(new Loading(1));
        assertThat(held.error(0)).isEqualTo(Errors.COORDINATOR_LOAD_IN_PROGRESS);
        assertThat(held.error(3)).isEqualTo(Errors.NOT_COORDINATOR);
        assertThat(held.allLoaded()).isFalse();
        assertThat(held.count()).isEqualTo(3);

        assertThat(held.transitionToLoaded(0, 1)).isTrue();
        assertThat(held.state(0)).isEqualTo(new Loaded(1));
        assertThat(held.error(0)).isEqualTo(Errors.NONE);
        assertThat(held.isLoadedAt(0, 1)).isTrue();
        assertThat(held.transitionToLoaded(1, 1)).isTrue();
        assertThat(held.transitionToLoaded(2, 1)).isTrue();
        assertThat(held.allLoaded()).isTrue();
    }

    @Test
    void theSameImageTwiceChangesNothing() {
        HeldSlots held = new HeldSlots(ME);
        held.update(allOn(ME, 4));
        held.transitionToLoaded(7, 4);

        assertThat(held.update(allOn(ME, 4))).isEmpty();
        assertThat(held.state(7)).isEqualTo(new Loaded(4));
        assertThat(held.state(8)).isEqualTo(new Loading(4));
    }

    @Test
    void aSlotMovedToAnotherBrokerIsLost() {
        HeldSlots held = new HeldSlots(ME);
        held.update(allOn(ME, 1));
        held.transitionToLoaded(5, 1);

        List<HeldSlots.Change> changes = held.update(slots(s -> s == 5 ? 3 : ME, s -> s == 5 ? 2 : 1));

        assertThat(changes).containsExactly(new Lost(5, 1));
        assertThat(held.state(5)).isNull();
        assertThat(held.error(5)).isEqualTo(Errors.NOT_COORDINATOR);
        assertThat(held.isLoadedAt(5, 1))
                .as("writes fenced at the old epoch stay out of memory")
                .isFalse();
    }

    @Test
    void aSlotBackAtANewerEpochIsLostAndGainedSoItLoadsAgain() {
        HeldSlots held = new HeldSlots(ME);
        held.update(allOn(ME, 1));
        held.transitionToLoaded(5, 1);

        // another broker held it at epoch 2 in between, unseen by this broker
        List<HeldSlots.Change> changes = held.update(slots(s -> ME, s -> s == 5 ? 3 : 1));

        assertThat(changes).containsExactly(new Lost(5, 1), new Gained(5, 3));
        assertThat(held.state(5)).isEqualTo(new Loading(3));
    }

    @Test
    void aLoadFinishingAfterTheSlotMovedOnIsNotInstalled() {
        HeldSlots held = new HeldSlots(ME);
        held.update(allOn(ME, 1));
        held.update(slots(s -> s == 9 ? 1 : ME, s -> s == 9 ? 2 : 1));

        assertThat(held.transitionToLoaded(9, 1)).as("lost while loading").isFalse();
        assertThat(held.state(9)).isNull();

        held.update(slots(s -> ME, s -> s == 9 ? 3 : 1));
        assertThat(held.transitionToLoaded(9, 1))
                .as("gained again at a newer epoch")
                .isFalse();
        assertThat(held.isLoadingAt(9, 3)).isTrue();
        assertThat(held.transitionToLoaded(9, 3)).isTrue();
    }

    @Test
    void anImageWithoutSlotsOrWithoutThisBrokerHoldsNothing() {
        HeldSlots held = new HeldSlots(ME);
        held.update(allOn(ME, 1));

        assertThat(held.update(List.of())).hasSize(CoordinatorSlot.COUNT).allMatch(c -> c instanceof Lost);
        assertThat(held.count()).isZero();
        assertThat(held.allLoaded()).as("nothing held, nothing to load").isTrue();

        assertThat(held.update(allOn(CoordinatorSlot.NO_COORDINATOR, 0))).isEmpty();
        assertThat(held.count()).isZero();
    }
}
