package io.runnel.group;

import io.runnel.cluster.CoordinatorSlot;
import io.runnel.metadata.GroupRepository;
import io.runnel.metadata.GroupRepository.OffsetRow;
import io.runnel.metadata.GroupRepository.SlotEpoch;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

/**
 * Committed offsets: the durable copy in PostgreSQL, and an in-memory copy of the groups in the slots
 * this broker coordinates, which OffsetFetch reads. Commits queue up for one writer thread, which
 * writes everything queued as one batched upsert in one transaction, so commits per second scale with
 * the batch rather than the round trip.
 *
 * <p>Each commit carries the slot epoch its coordinator loaded the group's slot at, and the writer
 * writes only the commits of slots this broker still holds at that epoch (fenced in the same
 * transaction, see {@link GroupRepository}); the others complete {@code false} with nothing written.
 *
 * <p>The in-memory copy is changed only on the coordinator thread — after a commit is durable, on a
 * slot's load, on its loss — and read from any thread.
 */
public final class OffsetStore {

    private static final Logger LOG = Logger.getLogger(OffsetStore.class);
    private static final int MAX_ROWS_PER_TRANSACTION = 20_000;

    /** A committed offset as OffsetFetch returns it. */
    public record Committed(long offset, int leaderEpoch, String metadata, long commitTimeMs) {}

    private record PendingCommit(SlotEpoch fence, List<OffsetRow> rows, CompletableFuture<Boolean> written) {}

    private final int nodeId;
    private final GroupRepository repository;
    private final Map<String, Map<TopicPartition, Committed>> offsets = new ConcurrentHashMap<>();
    private final BlockingQueue<PendingCommit> queue = new LinkedBlockingQueue<>();
    private final Thread writer;
    private volatile boolean running = true;

    OffsetStore(int nodeId, GroupRepository repository) {
        this.nodeId = nodeId;
        this.repository = repository;
        this.writer = new Thread(this::writeLoop, "runnel-offset-writer");
        this.writer.setDaemon(true);
    }

    void start() {
        writer.start();
    }

    int groupsWithOffsets() {
        return offsets.size();
    }

    /**
     * Queues rows of one group for the writer. Completes true once they are durable, false when this
     * broker no longer held the group's slot at {@code fence} (nothing written); fails when PostgreSQL
     * could not be reached. The in-memory copy is not changed: the coordinator {@link #put}s the rows.
     */
    CompletableFuture<Boolean> commit(SlotEpoch fence, List<OffsetRow> rows) {
        CompletableFuture<Boolean> written = new CompletableFuture<>();
        if (rows.isEmpty()) {
            written.complete(true);
        } else {
            queue.add(new PendingCommit(fence, rows, written));
        }
        return written;
    }

    Map<TopicPartition, Committed> offsets(String groupId) {
        return offsets.getOrDefault(groupId, Map.of());
    }

    boolean hasOffsets(String groupId) {
        Map<TopicPartition, Committed> group = offsets.get(groupId);
        return group != null && !group.isEmpty();
    }

    Iterable<String> groupIds() {
        return offsets.keySet();
    }

    void deleteGroup(String groupId) {
        offsets.remove(groupId);
    }

    /** Forgets one partition's offset in memory; the caller deletes the row. */
    void forget(String groupId, TopicPartition partition) {
        Map<TopicPartition, Committed> group = offsets.get(groupId);
        if (group != null) {
            group.remove(partition);
            if (group.isEmpty()) {
                offsets.remove(groupId, group);
            }
        }
    }

    /** Forgets the offsets of every group in a slot: it is no longer coordinated here. */
    void dropSlot(int slot) {
        offsets.keySet().removeIf(groupId -> CoordinatorSlot.slotOf(groupId) == slot);
    }

    /** Takes committed rows into memory (durable ones: written, or loaded from PostgreSQL). */
    void put(List<OffsetRow> rows) {
        for (OffsetRow row : rows) {
            offsets.computeIfAbsent(row.groupId(), g -> new ConcurrentHashMap<>())
                    .put(
                            new TopicPartition(row.topic(), row.partition()),
                            new Committed(row.offset(), row.leaderEpoch(), row.metadata(), row.commitTimeMs()));
        }
    }

    private void writeLoop() {
        List<PendingCommit> batch = new ArrayList<>();
        while (running) {
            try {
                batch.add(queue.take());
                int rows = batch.getFirst().rows().size();
                PendingCommit next;
                while (rows < MAX_ROWS_PER_TRANSACTION && (next = queue.poll()) != null) {
                    batch.add(next);
                    rows += next.rows().size();
                }
                write(batch);
            } catch (InterruptedException e) {
                return;
            } finally {
                batch.clear();
            }
        }
    }

    private void write(List<PendingCommit> batch) {
        Map<SlotEpoch, List<OffsetRow>> rows = new LinkedHashMap<>();
        for (PendingCommit commit : batch) {
            rows.computeIfAbsent(commit.fence(), f -> new ArrayList<>()).addAll(commit.rows());
        }
        Set<SlotEpoch> refused;
        try {
            refused = repository.upsertOffsets(nodeId, rows);
        } catch (RuntimeException e) {
            LOG.warnf("Could not store committed offsets of %d commits: %s", batch.size(), e.toString());
            batch.forEach(commit -> commit.written().completeExceptionally(e));
            return;
        }
        if (!refused.isEmpty()) {
            LOG.infof("Refused offset commits for coordinator slots no longer held here: %s", refused);
        }
        batch.forEach(commit -> commit.written().complete(!refused.contains(commit.fence())));
    }

    void stop() {
        running = false;
        writer.interrupt();
    }
}
