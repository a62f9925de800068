package io.runnel.group;

import io.runnel.cluster.CoordinatorSlot;
import io.runnel.cluster.MetadataImage;
import io.runnel.metadata.GroupRepository;
import io.runnel.metadata.GroupRepository.GroupRow;
import io.runnel.metadata.GroupRepository.OffsetRow;
import io.runnel.metadata.GroupRepository.SlotContents;
import io.runnel.metadata.GroupRepository.SlotEpoch;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.jboss.logging.Logger;

/**
 * The groups and committed offsets of the coordinator slots this broker holds (Kafka's
 * {@code GroupMetadataManager}): which slots those are ({@link HeldSlots}, from each image), loading
 * a gained slot's groups and offsets from PostgreSQL, unloading a lost one, and every write, fenced by
 * the epoch of the slot as it was loaded.
 *
 * <p>Owned by the coordinator thread: the groups, the image, and the calls here unless said
 * otherwise. PostgreSQL is read on a loader thread and written on a persister thread (offsets on the
 * {@link OffsetStore} writer), and their results come back to the coordinator thread.
 */
final class GroupMetadataManager {

    private static final Logger LOG = Logger.getLogger(GroupMetadataManager.class);
    private static final long LOAD_RETRY_MS = 1000;

    private final int nodeId;
    private final GroupRepository repository;
    private final ScheduledExecutorService coordinatorThread;
    private final Consumer<ClassicGroup> onUnload;
    private final ExecutorService persister = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("runnel-group-persister").daemon().factory());
    private final ExecutorService loader = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("runnel-group-loader").daemon().factory());
    private final HeldSlots slots;
    private final OffsetStore offsets;
    /** Completes once every slot is placed on an active broker and this broker's are loaded. */
    private final CompletableFuture<Void> ready = new CompletableFuture<>();

    // state of the coordinator thread
    /** The groups of the loaded slots. */
    private final Map<String, ClassicGroup> groups = new HashMap<>();
    /** The last image applied. */
    private MetadataImage image = MetadataImage.EMPTY;

    /**
     * @param onUnload called for each group of a slot that moved away, before it goes, so whatever
     *     waits on it can be answered
     */
    GroupMetadataManager(
            int nodeId,
            GroupRepository repository,
            ScheduledExecutorService coordinatorThread,
            Consumer<ClassicGroup> onUnload) {
        this.nodeId = nodeId;
        this.repository = repository;
        this.coordinatorThread = coordinatorThread;
        this.onUnload = onUnload;
        this.slots = new HeldSlots(nodeId);
        this.offsets = new OffsetStore(nodeId, repository);
        offsets.start();
    }

    void stop() {
        loader.shutdownNow();
        persister.shutdown();
        try {
            persister.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        offsets.stop();
    }

    // ---- groups

    ClassicGroup group(String groupId) {
        return groups.get(groupId);
    }

    /** Adds a new group; only for a group whose slot is loaded here. */
    void add(ClassicGroup group) {
        groups.put(group.groupId, group);
    }

    Collection<ClassicGroup> groups() {
        return groups.values();
    }

    // ---- slots

    /**
     * Whether this broker serves the group now (NONE), or why not: NOT_COORDINATOR when it does not
     * hold the group's slot, COORDINATOR_LOAD_IN_PROGRESS while it loads it (K15). Any thread.
     */
    Errors coordinatorError(String groupId) {
        return slots.error(CoordinatorSlot.slotOf(groupId));
    }

    /** Whether no held slot is still loading. */
    boolean allLoaded() {
        return slots.allLoaded();
    }

    /** Completes once every slot is placed on an active broker and this broker has loaded its own. */
    CompletableFuture<Void> ready() {
        return ready;
    }

    int heldSlots() {
        return slots.count();
    }

    /** Drops the slots an image took away and starts loading the ones it gave. */
    void applyImage(MetadataImage next) {
        image = next;
        Map<Integer, Integer> gained = new TreeMap<>();
        List<Integer> lost = new ArrayList<>();
        int unloaded = 0;
        for (HeldSlots.Change change : slots.update(next.coordinatorSlots())) {
            switch (change) {
                case HeldSlots.Lost loss -> {
                    unloaded += unload(loss.slot());
                    lost.add(loss.slot());
                }
                case HeldSlots.Gained gain -> gained.put(gain.slot(), gain.coordinatorEpoch());
            }
        }
        if (!lost.isEmpty()) {
            LOG.infof("Coordinator slots %s moved away: %d groups unloaded", ranges(lost), unloaded);
        }
        if (!gained.isEmpty()) {
            load(gained);
        }
        maybeReady();
    }

    /** A slot moved away: its groups go (Dead), and its offsets. Returns how many groups went. */
    private int unload(int slot) {
        long now = System.currentTimeMillis();
        int unloaded = 0;
        for (Iterator<ClassicGroup> it = groups.values().iterator(); it.hasNext(); ) {
            ClassicGroup group = it.next();
            if (group.slot == slot) {
                onUnload.accept(group);
                group.transitionTo(GroupState.DEAD, now);
                it.remove();
                unloaded++;
            }
        }
        offsets.dropSlot(slot);
        return unloaded;
    }

    /** Reads gained slots on the loader thread, then installs them on the coordinator thread. */
    private void load(Map<Integer, Integer> gained) {
        CompletableFuture.supplyAsync(() -> repository.loadSlots(gained.keySet()), loader)
                .whenCompleteAsync(
                        (contents, failure) -> {
                            if (failure == null) {
                                install(gained, contents);
                                return;
                            }
                            LOG.warnf(
                                    "Could not load coordinator slots %s (retrying in %d ms): %s",
                                    ranges(gained.keySet()), LOAD_RETRY_MS, failure.toString());
                            coordinatorThread.schedule(() -> retryLoad(gained), LOAD_RETRY_MS, TimeUnit.MILLISECONDS);
                        },
                        coordinatorThread);
    }

    private void retryLoad(Map<Integer, Integer> gained) {
        Map<Integer, Integer> still = new TreeMap<>();
        gained.forEach((slot, epoch) -> {
            if (slots.isLoadingAt(slot, epoch)) {
                still.put(slot, epoch);
            }
        });
        if (!still.isEmpty()) {
            load(still);
        }
    }

    /**
     * Puts what was read into memory for the slots still loading at the epoch they were gained at, and
     * starts serving them. Nothing of such a slot is in memory yet: its loss dropped it, and a loading
     * slot neither creates groups nor takes commits. What was read is complete: the slot moved here
     * before it was read, and writes of earlier holders either committed before the move or saw it.
     */
    private void install(Map<Integer, Integer> gained, SlotContents contents) {
        long now = System.currentTimeMillis();
        Map<Integer, List<GroupRow>> groupRows = new HashMap<>();
        contents.groups()
                .forEach(row -> groupRows
                        .computeIfAbsent(CoordinatorSlot.slotOf(row.groupId()), s -> new ArrayList<>())
                        .add(row));
        Map<Integer, List<OffsetRow>> offsetRows = new HashMap<>();
        contents.offsets()
                .forEach(row -> offsetRows
                        .computeIfAbsent(CoordinatorSlot.slotOf(row.groupId()), s -> new ArrayList<>())
                        .add(row));
        int loadedGroups = 0;
        List<Integer> loadedSlots = new ArrayList<>();
        for (Map.Entry<Integer, Integer> slot : gained.entrySet()) {
            if (!slots.isLoadingAt(slot.getKey(), slot.getValue())) {
                continue; // lost, or gained again at a newer epoch, while it was read
            }
            for (GroupRow row : groupRows.getOrDefault(slot.getKey(), List.of())) {
                groups.put(row.groupId(), ClassicGroup.fromRow(row, now));
                loadedGroups++;
            }
            List<OffsetRow> committed = offsetRows.getOrDefault(slot.getKey(), List.of());
            offsets.put(committed);
            for (OffsetRow row : committed) {
                if (!groups.containsKey(row.groupId())) {
                    groups.put(row.groupId(), new ClassicGroup(row.groupId(), now));
                    loadedGroups++;
                }
            }
            slots.transitionToLoaded(slot.getKey(), slot.getValue());
            loadedSlots.add(slot.getKey());
        }
        if (!loadedSlots.isEmpty()) {
            LOG.infof("Loaded coordinator slots %s: %d groups", ranges(loadedSlots), loadedGroups);
        }
        maybeReady();
    }

    private void maybeReady() {
        if (!ready.isDone() && everySlotPlaced(image) && slots.allLoaded()) {
            ready.complete(null);
        }
    }

    /** Whether the controller has given every slot to an active broker. */
    static boolean everySlotPlaced(MetadataImage image) {
        if (image.coordinatorSlots().size() != CoordinatorSlot.COUNT) {
            return false;
        }
        for (CoordinatorSlot slot : image.coordinatorSlots()) {
            if (!image.brokers().containsKey(slot.coordinator())) {
                return false;
            }
        }
        return true;
    }

    /** Slot numbers in ascending order as ranges, for the log: "0-3, 7, 9-10". */
    static String ranges(Collection<Integer> slots) {
        List<Integer> sorted = slots.stream().sorted().toList();
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < sorted.size(); ) {
            int j = i;
            while (j + 1 < sorted.size() && sorted.get(j + 1) == sorted.get(j) + 1) {
                j++;
            }
            out.append(out.isEmpty() ? "" : ", ").append(sorted.get(i));
            if (j > i) {
                out.append('-').append(sorted.get(j));
            }
            i = j + 1;
        }
        return out.toString();
    }

    // ---- fenced writes

    /** The fence of writes for a group: its slot at the epoch this broker loaded it at. */
    private SlotEpoch fenceOf(String groupId) {
        int slot = CoordinatorSlot.slotOf(groupId);
        return slots.state(slot) instanceof HeldSlots.Loaded loaded
                ? new SlotEpoch(slot, loaded.coordinatorEpoch())
                : new SlotEpoch(slot, -1); // matches no stored epoch: refused
    }

    /**
     * Stores the group's generation: NONE once stored, NOT_COORDINATOR when this broker no longer
     * holds the slot at the epoch it loaded, COORDINATOR_NOT_AVAILABLE without PostgreSQL. Completes on
     * the coordinator thread.
     */
    CompletableFuture<Errors> storeGroup(ClassicGroup group) {
        GroupRow row = group.toRow();
        SlotEpoch fence = fenceOf(group.groupId);
        return CompletableFuture.supplyAsync(
                        () -> {
                            try {
                                return repository.saveGroup(nodeId, fence, row) ? Errors.NONE : Errors.NOT_COORDINATOR;
                            } catch (RuntimeException e) {
                                LOG.warnf("Could not save group %s: %s", row.groupId(), e.toString());
                                return Errors.COORDINATOR_NOT_AVAILABLE;
                            }
                        },
                        persister)
                .thenApplyAsync(error -> error, coordinatorThread);
    }

    /**
     * Stores offsets of a group the caller validated: NONE once durable and in memory,
     * NOT_COORDINATOR when the slot moved away (nothing written), COORDINATOR_NOT_AVAILABLE without
     * PostgreSQL. Completes on the coordinator thread.
     */
    CompletableFuture<Errors> storeOffsets(String groupId, List<OffsetRow> rows) {
        SlotEpoch fence = fenceOf(groupId);
        return offsets.commit(fence, rows)
                .handleAsync(
                        (written, failure) -> {
                            if (failure != null) {
                                return Errors.COORDINATOR_NOT_AVAILABLE;
                            }
                            if (!written) {
                                return Errors.NOT_COORDINATOR;
                            }
                            // durable; in memory unless the slot moved meanwhile (its next
                            // coordinator loads the rows from PostgreSQL)
                            if (slots.isLoadedAt(fence.slot(), fence.coordinatorEpoch())) {
                                offsets.put(rows);
                            }
                            return Errors.NONE;
                        },
                        coordinatorThread);
    }

    /** Removes a group and its offsets: NONE, or NOT_COORDINATOR when the slot moved away. */
    CompletableFuture<Errors> deleteGroup(ClassicGroup group) {
        groups.remove(group.groupId, group);
        offsets.deleteGroup(group.groupId);
        SlotEpoch fence = fenceOf(group.groupId);
        return fenced(() -> repository.deleteGroup(nodeId, fence, group.groupId));
    }

    /** Removes one committed offset: NONE, or NOT_COORDINATOR when the slot moved away. */
    CompletableFuture<Errors> deleteOffset(String groupId, TopicPartition tp) {
        offsets.forget(groupId, tp);
        SlotEpoch fence = fenceOf(groupId);
        return fenced(() -> repository.deleteOffsets(nodeId, fence, groupId, tp.topic(), tp.partition()));
    }

    private CompletableFuture<Errors> fenced(BooleanSupplier deletion) {
        return CompletableFuture.supplyAsync(
                () -> deletion.getAsBoolean() ? Errors.NONE : Errors.NOT_COORDINATOR, persister);
    }

    // ---- committed offsets, readable from any thread

    Map<TopicPartition, OffsetStore.Committed> offsets(String groupId) {
        return offsets.offsets(groupId);
    }

    boolean hasOffsets(String groupId) {
        return offsets.hasOffsets(groupId);
    }

    int groupsWithOffsets() {
        return offsets.groupsWithOffsets();
    }
}
