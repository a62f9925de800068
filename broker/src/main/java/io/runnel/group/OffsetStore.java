package io.runnel.group;

import io.runnel.metadata.GroupRepository;
import io.runnel.metadata.GroupRepository.OffsetRow;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

/**
 * Committed offsets: the durable copy in PostgreSQL, and an in-memory copy that OffsetFetch reads.
 * Commits queue up for one writer thread, which writes everything queued as one batched upsert in
 * one transaction, so commits per second scale with the batch rather than the round trip. A commit
 * completes, and becomes visible to OffsetFetch, only once its transaction has committed.
 */
public final class OffsetStore {

    private static final Logger LOG = Logger.getLogger(OffsetStore.class);
    private static final int MAX_ROWS_PER_TRANSACTION = 20_000;

    /** A committed offset as OffsetFetch returns it. */
    public record Committed(long offset, int leaderEpoch, String metadata, long commitTimeMs) {}

    private record PendingCommit(List<OffsetRow> rows, CompletableFuture<Void> done) {}

    private final GroupRepository repository;
    private final Map<String, Map<TopicPartition, Committed>> offsets = new ConcurrentHashMap<>();
    private final BlockingQueue<PendingCommit> queue = new LinkedBlockingQueue<>();
    private final Thread writer;
    private volatile boolean running = true;

    OffsetStore(GroupRepository repository) {
        this.repository = repository;
        this.writer = new Thread(this::writeLoop, "runnel-offset-writer");
        this.writer.setDaemon(true);
    }

    void load() {
        for (OffsetRow row : repository.loadOffsets()) {
            put(row);
        }
        writer.start();
    }

    int groupsWithOffsets() {
        return offsets.size();
    }

    CompletableFuture<Void> commit(List<OffsetRow> rows) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (rows.isEmpty()) {
            done.complete(null);
        } else {
            queue.add(new PendingCommit(rows, done));
        }
        return done;
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

    private void put(OffsetRow row) {
        offsets.computeIfAbsent(row.groupId(), g -> new ConcurrentHashMap<>())
                .put(
                        new TopicPartition(row.topic(), row.partition()),
                        new Committed(row.offset(), row.leaderEpoch(), row.metadata(), row.commitTimeMs()));
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
        List<OffsetRow> all = new ArrayList<>();
        for (PendingCommit commit : batch) {
            all.addAll(commit.rows());
        }
        try {
            repository.upsertOffsets(all);
        } catch (RuntimeException e) {
            LOG.warnf("Could not store %d committed offsets: %s", all.size(), e.toString());
            batch.forEach(commit -> commit.done().completeExceptionally(e));
            return;
        }
        all.forEach(this::put);
        batch.forEach(commit -> commit.done().complete(null));
    }

    void stop() {
        running = false;
        writer.interrupt();
    }
}
