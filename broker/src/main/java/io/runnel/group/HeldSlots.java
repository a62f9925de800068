package io.runnel.group;

import io.runnel.cluster.CoordinatorSlot;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.apache.kafka.common.protocol.Errors;

/**
 * The group coordinator slots this broker holds (K15: the {@code __consumer_offsets} partitions a Kafka
 * broker leads), each at the coordinator epoch of the image that gave it here, and whether its groups
 * and offsets are loaded yet.
 *
 * <p>A slot is held from the first image naming this broker its coordinator at some epoch, until an
 * image names another broker or a newer epoch. Holding the same slot at a newer epoch means another
 * broker may have held it in between, so it counts as a loss and a gain: what was in memory is
 * dropped and the slot loads again. A gained slot is {@link Loading} until the coordinator installs
 * what it read from PostgreSQL, then {@link Loaded}; only a loaded slot serves its groups.
 *
 * <p>Changed only on the coordinator thread; {@link #state} and {@link #error} may be read from any
 * thread (OffsetFetch answers from the event loop).
 */
final class HeldSlots {

    /** A held slot's state, at the coordinator epoch it was gained at. */
    sealed interface SlotState {
        int coordinatorEpoch();
    }

    /** Its groups and offsets are being read from PostgreSQL. */
    record Loading(int coordinatorEpoch) implements SlotState {}

    /** Its groups and offsets are in memory: the slot serves requests. */
    record Loaded(int coordinatorEpoch) implements SlotState {}

    /** What an image changed for this broker. */
    sealed interface Change {
        int slot();

        int coordinatorEpoch();
    }

    /** This broker became the slot's coordinator at this epoch: load it. */
    record Gained(int slot, int coordinatorEpoch) implements Change {}

    /** This broker stopped coordinating the slot it held at this epoch: drop it. */
    record Lost(int slot, int coordinatorEpoch) implements Change {}

    private final int nodeId;
    private final AtomicReferenceArray<SlotState> states = new AtomicReferenceArray<>(CoordinatorSlot.COUNT);

    HeldSlots(int nodeId) {
        this.nodeId = nodeId;
    }

    /**
     * Brings the held slots in line with an image's slots (all of them, in slot order; an image
     * without slots holds none) and returns what changed: losses before gains of the same slot.
     */
    List<Change> update(List<CoordinatorSlot> slots) {
        List<Change> changes = new ArrayList<>();
        for (int slot = 0; slot < CoordinatorSlot.COUNT; slot++) {
            CoordinatorSlot next = slot < slots.size() ? slots.get(slot) : null;
            boolean mine = next != null && next.coordinator() == nodeId;
            SlotState held = states.get(slot);
            if (held != null && (!mine || held.coordinatorEpoch() != next.coordinatorEpoch())) {
                states.set(slot, null);
                changes.add(new Lost(slot, held.coordinatorEpoch()));
                held = null;
            }
            if (mine && held == null) {
                states.set(slot, new Loading(next.coordinatorEpoch()));
                changes.add(new Gained(slot, next.coordinatorEpoch()));
            }
        }
        return changes;
    }

    /**
     * Marks a slot loaded, if it is still loading at this epoch; false when it was lost or gained
     * again meanwhile, in which case what was loaded must be thrown away.
     */
    boolean transitionToLoaded(int slot, int coordinatorEpoch) {
        if (!isLoadingAt(slot, coordinatorEpoch)) {
            return false;
        }
        states.set(slot, new Loaded(coordinatorEpoch));
        return true;
    }

    /** The slot's state, or null when this broker does not hold it. */
    SlotState state(int slot) {
        return states.get(slot);
    }

    boolean isLoadingAt(int slot, int coordinatorEpoch) {
        return states.get(slot) instanceof Loading loading && loading.coordinatorEpoch() == coordinatorEpoch;
    }

    boolean isLoadedAt(int slot, int coordinatorEpoch) {
        return states.get(slot) instanceof Loaded loaded && loaded.coordinatorEpoch() == coordinatorEpoch;
    }

    /**
     * Whether a request for a group in this slot may be served here: NONE when loaded,
     * COORDINATOR_LOAD_IN_PROGRESS while loading, NOT_COORDINATOR when the slot is not held (K15).
     */
    Errors error(int slot) {
        return switch (states.get(slot)) {
            case Loaded loaded -> Errors.NONE;
            case Loading loading -> Errors.COORDINATOR_LOAD_IN_PROGRESS;
            case null -> Errors.NOT_COORDINATOR;
        };
    }

    /** Whether every held slot is loaded. */
    boolean allLoaded() {
        for (int slot = 0; slot < CoordinatorSlot.COUNT; slot++) {
            if (states.get(slot) instanceof Loading) {
                return false;
            }
        }
        return true;
    }

    /** How many slots this broker holds. */
    int count() {
        int held = 0;
        for (int slot = 0; slot < CoordinatorSlot.COUNT; slot++) {
            held += states.get(slot) == null ? 0 : 1;
        }
        return held;
    }
}
