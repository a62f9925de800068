package io.runnel.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.zip.CRC32C;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.record.RecordBatch;

/**
 * What a partition knows about idempotent producers: per producer id, its epoch and its last five
 * batches (sequence range and offsets), as Kafka keeps them. A retried batch that was already written
 * is recognised and answered with its original offset; a batch that skips sequence numbers is refused
 * with OUT_OF_ORDER_SEQUENCE_NUMBER; an older epoch is fenced with INVALID_PRODUCER_EPOCH.
 *
 * <p>Guarded by the owning log's lock. Persisted as a snapshot (valid at one log offset) on segment
 * roll and clean shutdown, and rebuilt on start from the latest snapshot plus the batches after it.
 */
final class ProducerStateManager {

    static final int MAX_BATCHES_PER_PRODUCER = 5;
    static final String SNAPSHOT_FILE = "producer-state.snapshot";
    private static final int SNAPSHOT_VERSION = 1;

    /** One appended batch of a producer. */
    record BatchMetadata(int firstSeq, int lastSeq, long firstOffset, long lastOffset, long timestamp) {}

    /** A producer's state; copied for a pending append so a rejected append changes nothing. */
    static final class Entry {
        final long producerId;
        short epoch;
        long lastTimestamp;
        final ArrayDeque<BatchMetadata> batches = new ArrayDeque<>(MAX_BATCHES_PER_PRODUCER);

        Entry(long producerId, short epoch) {
            this.producerId = producerId;
            this.epoch = epoch;
        }

        Entry copy() {
            Entry copy = new Entry(producerId, epoch);
            copy.lastTimestamp = lastTimestamp;
            copy.batches.addAll(batches);
            return copy;
        }

        int lastSeq() {
            return batches.isEmpty()
                    ? RecordBatch.NO_SEQUENCE
                    : batches.peekLast().lastSeq();
        }

        long lastOffset() {
            return batches.isEmpty() ? -1 : batches.peekLast().lastOffset();
        }

        void add(BatchMetadata batch) {
            if (batches.size() == MAX_BATCHES_PER_PRODUCER) {
                batches.removeFirst();
            }
            batches.addLast(batch);
            lastTimestamp = Math.max(lastTimestamp, batch.timestamp());
        }
    }

    private final Map<Long, Entry> producers = new HashMap<>();

    /** The changes of one append, applied with {@link #commit} once the batches are written. */
    final class Append {
        private final Map<Long, Entry> changed = new HashMap<>(2);

        /**
         * Checks a batch's producer epoch and sequence. Returns the earlier batch when this one is a
         * retry of it, else null.
         */
        BatchMetadata check(long producerId, short epoch, int firstSeq, int lastSeq) {
            Entry current = changed.containsKey(producerId) ? changed.get(producerId) : producers.get(producerId);
            if (current != null && epoch < current.epoch) {
                throw new InvalidProducerEpochException("Producer " + producerId + " epoch " + epoch
                        + " is older than the current epoch " + current.epoch);
            }
            if (current == null || epoch != current.epoch) {
                // a new producer, or a new epoch of one: its sequence starts at 0, unless we know
                // nothing about it (its batches were removed by retention), then any start is fine
                if (current != null && firstSeq != 0) {
                    throw new OutOfOrderSequenceException("Producer " + producerId + " starts epoch " + epoch
                            + " at sequence " + firstSeq + "; expected 0");
                }
                return null;
            }
            for (BatchMetadata batch : current.batches) {
                if (batch.firstSeq() == firstSeq && batch.lastSeq() == lastSeq) {
                    return batch;
                }
            }
            int lastAppended = current.lastSeq();
            if (lastAppended != RecordBatch.NO_SEQUENCE && !inSequence(lastAppended, firstSeq)) {
                throw new OutOfOrderSequenceException("Out of order sequence number for producer " + producerId
                        + " at epoch " + epoch + ": " + firstSeq + " (expected " + nextSeq(lastAppended) + ")");
            }
            return null;
        }

        void record(long producerId, short epoch, BatchMetadata batch) {
            Entry entry = changed.get(producerId);
            if (entry == null) {
                Entry current = producers.get(producerId);
                entry = current == null || current.epoch != epoch ? new Entry(producerId, epoch) : current.copy();
                changed.put(producerId, entry);
            }
            entry.epoch = epoch;
            entry.add(batch);
        }

        void commit() {
            producers.putAll(changed);
        }
    }

    Append begin() {
        return new Append();
    }

    /** Replays a batch read back from the log (recovery); no checks. */
    void replay(long producerId, short epoch, int firstSeq, int lastSeq, long firstOffset, long lastOffset, long ts) {
        Entry entry = producers.get(producerId);
        if (entry == null || entry.epoch != epoch) {
            entry = new Entry(producerId, epoch);
            producers.put(producerId, entry);
        }
        entry.add(new BatchMetadata(firstSeq, lastSeq, firstOffset, lastOffset, ts));
    }

    static boolean inSequence(int last, int next) {
        return next == nextSeq(last);
    }

    private static int nextSeq(int last) {
        return last == Integer.MAX_VALUE ? 0 : last + 1;
    }

    /** Forgets producers whose last write is older than {@code expirationMs} or below the log start. */
    void expire(long nowMs, long expirationMs, long logStartOffset) {
        Iterator<Entry> it = producers.values().iterator();
        while (it.hasNext()) {
            Entry entry = it.next();
            if (nowMs - entry.lastTimestamp > expirationMs || entry.lastOffset() < logStartOffset) {
                it.remove();
            }
        }
    }

    /** Forgets everything (before a rebuild after truncation). */
    void clear() {
        producers.clear();
    }

    int size() {
        return producers.size();
    }

    /** The state as a snapshot valid at {@code offset}, serialized (so it can be written elsewhere). */
    byte[] snapshot(long offset) {
        int size = 4 + 8 + 4;
        for (Entry e : producers.values()) {
            size += 8 + 2 + 8 + 4 + e.batches.size() * (4 + 4 + 8 + 8 + 8);
        }
        ByteBuffer buffer = ByteBuffer.allocate(size + 4);
        buffer.putInt(SNAPSHOT_VERSION).putLong(offset).putInt(producers.size());
        for (Entry e : producers.values()) {
            buffer.putLong(e.producerId)
                    .putShort(e.epoch)
                    .putLong(e.lastTimestamp)
                    .putInt(e.batches.size());
            for (BatchMetadata b : e.batches) {
                buffer.putInt(b.firstSeq())
                        .putInt(b.lastSeq())
                        .putLong(b.firstOffset())
                        .putLong(b.lastOffset())
                        .putLong(b.timestamp());
            }
        }
        CRC32C crc = new CRC32C();
        crc.update(buffer.array(), 0, size);
        buffer.putInt((int) crc.getValue());
        return buffer.array();
    }

    static void writeSnapshot(Path dir, byte[] snapshot) throws IOException {
        AtomicFile.write(dir.resolve(SNAPSHOT_FILE), ByteBuffer.wrap(snapshot));
    }

    /**
     * Loads the snapshot in {@code dir} if it is intact; returns the offset it is valid at, or -1 when
     * there is none (then the state is empty and must be rebuilt from the whole log).
     */
    long loadSnapshot(Path dir) throws IOException {
        producers.clear();
        Path file = dir.resolve(SNAPSHOT_FILE);
        if (!Files.exists(file)) {
            return -1;
        }
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length < 20) {
            return -1;
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        if (buffer.getInt(bytes.length - 4) != (int) crc.getValue() || buffer.getInt() != SNAPSHOT_VERSION) {
            return -1;
        }
        long offset = buffer.getLong();
        int count = buffer.getInt();
        for (int i = 0; i < count; i++) {
            Entry entry = new Entry(buffer.getLong(), buffer.getShort());
            entry.lastTimestamp = buffer.getLong();
            int batches = buffer.getInt();
            for (int b = 0; b < batches; b++) {
                entry.batches.addLast(new BatchMetadata(
                        buffer.getInt(), buffer.getInt(), buffer.getLong(), buffer.getLong(), buffer.getLong()));
            }
            producers.put(entry.producerId, entry);
        }
        return offset;
    }
}
