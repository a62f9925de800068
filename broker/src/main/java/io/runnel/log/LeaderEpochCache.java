package io.runnel.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.jboss.logging.Logger;

/**
 * A replica's leader epoch history (Kafka's {@code LeaderEpochFileCache}, KIP-101): for each leader
 * epoch, the first offset written in it. Followers use it to find where their log diverges from a
 * new leader's; leaders answer OffsetsForLeaderEpoch with it (KIP-279, KIP-320).
 *
 * <p>Invariant: epochs and start offsets both strictly increase from one entry to the next.
 *
 * <p>On disk, {@code leader-epoch-checkpoint} in the partition directory, Kafka's checkpoint text
 * format, rewritten whole (through {@link AtomicFile}) on every change:
 *
 * <pre>
 * 0                  the format version
 * 2                  the number of entries
 * 0 0                an entry: epoch, start offset
 * 3 1200
 * </pre>
 *
 * <p>Thread safety: every method is synchronized on the cache. Changes come under the owning log's
 * lock; lookups come from request handlers on any thread.
 */
public final class LeaderEpochCache {

    private static final Logger LOG = Logger.getLogger(LeaderEpochCache.class);
    static final String FILE = "leader-epoch-checkpoint";
    private static final int VERSION = 0;

    /** One entry: {@code epoch} began at {@code startOffset}. */
    public record EpochEntry(int epoch, long startOffset) {}

    private final Path file;
    private final TreeMap<Integer, EpochEntry> epochs = new TreeMap<>();
    private final boolean loaded;

    /**
     * Reads {@code file} when it exists. An unreadable one is reported and left out: {@link
     * #loadedFromCheckpoint()} then says false and the owner rebuilds the history from its batches.
     */
    public LeaderEpochCache(Path file) {
        this.file = file;
        this.loaded = load();
    }

    private boolean load() {
        if (!Files.exists(file)) {
            return false;
        }
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
            if (lines.size() < 2 || Integer.parseInt(lines.get(0).trim()) != VERSION) {
                throw new IOException("unknown version or truncated file");
            }
            int count = Integer.parseInt(lines.get(1).trim());
            if (lines.size() < 2 + count) {
                throw new IOException("expected " + count + " entries, found " + (lines.size() - 2));
            }
            for (int i = 0; i < count; i++) {
                String[] fields = lines.get(2 + i).trim().split("\\s+");
                if (fields.length != 2) {
                    throw new IOException("malformed line '" + lines.get(2 + i) + "'");
                }
                put(new EpochEntry(Integer.parseInt(fields[0]), Long.parseLong(fields[1])));
            }
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.warnf("Ignoring unreadable %s (the history is rebuilt from the log): %s", file, e.getMessage());
            epochs.clear();
            return false;
        }
    }

    /** Whether the history came from an intact checkpoint file. */
    boolean loadedFromCheckpoint() {
        return loaded;
    }

    /**
     * Records that {@code epoch} began at {@code startOffset}, as Kafka does: nothing changes when
     * {@code epoch} is the latest epoch and starts no earlier than recorded; otherwise the new
     * entry replaces every entry with an epoch or start offset at or above its own, so the history
     * stays increasing in both (a leader that took over and wrote nothing leaves no entry behind).
     *
     * @throws IllegalArgumentException for a negative epoch or offset
     */
    public synchronized void assign(int epoch, long startOffset) {
        if (put(new EpochEntry(epoch, startOffset))) {
            flush();
        }
    }

    /** Assigns several entries and writes the file once (rebuilding the history from the log). */
    synchronized void assignAll(List<EpochEntry> entries) {
        for (EpochEntry entry : entries) {
            put(entry);
        }
        flush();
    }

    private boolean put(EpochEntry entry) {
        if (entry.epoch() < 0 || entry.startOffset() < 0) {
            throw new IllegalArgumentException("Invalid leader epoch entry " + entry);
        }
        Map.Entry<Integer, EpochEntry> latest = epochs.lastEntry();
        if (latest != null
                && latest.getKey() == entry.epoch()
                && latest.getValue().startOffset() <= entry.startOffset()) {
            return false;
        }
        List<EpochEntry> removed = new ArrayList<>();
        Iterator<EpochEntry> newestFirst = epochs.descendingMap().values().iterator();
        while (newestFirst.hasNext()) {
            EpochEntry existing = newestFirst.next();
            if (existing.epoch() < entry.epoch() && existing.startOffset() < entry.startOffset()) {
                break;
            }
            removed.add(existing);
            newestFirst.remove();
        }
        if (removed.size() > 1 || (removed.size() == 1 && removed.getFirst().startOffset() != entry.startOffset())) {
            LOG.warnf("%s: new epoch entry %s replaced conflicting entries %s", file.getParent(), entry, removed);
        }
        epochs.put(entry.epoch(), entry);
        return true;
    }

    /** The latest epoch, the one the log is being written in. */
    public synchronized OptionalInt latestEpoch() {
        Map.Entry<Integer, EpochEntry> latest = epochs.lastEntry();
        return latest == null ? OptionalInt.empty() : OptionalInt.of(latest.getKey());
    }

    /** The entry of {@code epoch}, if that epoch wrote anything (or a leader took over in it). */
    public synchronized Optional<EpochEntry> epochEntry(int epoch) {
        return Optional.ofNullable(epochs.get(epoch));
    }

    /** The epoch {@code offset} was written in: the latest epoch starting at or before it. */
    public synchronized OptionalInt epochForOffset(long offset) {
        OptionalInt found = OptionalInt.empty();
        for (EpochEntry entry : epochs.values()) {
            if (entry.startOffset() > offset) {
                break;
            }
            found = OptionalInt.of(entry.epoch());
        }
        return found;
    }

    /**
     * Where {@code requestedEpoch} ended, as OffsetsForLeaderEpoch answers (KIP-101, KIP-279): the
     * largest epoch at or below the requested one, with the start offset of the next higher epoch
     * as its end, or {@code logEndOffset} when the requested epoch is the latest. Kafka's answers at
     * the edges are kept: an epoch older than the whole history gets itself with the start of the
     * first known epoch (its records were removed from the log, so the follower starts where the
     * history does); an epoch newer than the latest, an undefined epoch (-1) and an empty history
     * get {@link OffsetAndEpoch#UNDEFINED}.
     */
    public synchronized OffsetAndEpoch endOffsetFor(int requestedEpoch, long logEndOffset) {
        if (requestedEpoch < 0) {
            return OffsetAndEpoch.UNDEFINED;
        }
        Map.Entry<Integer, EpochEntry> latest = epochs.lastEntry();
        if (latest != null && latest.getKey() == requestedEpoch) {
            return new OffsetAndEpoch(logEndOffset, requestedEpoch);
        }
        Map.Entry<Integer, EpochEntry> higher = epochs.higherEntry(requestedEpoch);
        if (higher == null) {
            return OffsetAndEpoch.UNDEFINED;
        }
        Map.Entry<Integer, EpochEntry> floor = epochs.floorEntry(requestedEpoch);
        int epoch = floor == null ? requestedEpoch : floor.getKey();
        return new OffsetAndEpoch(higher.getValue().startOffset(), epoch);
    }

    /** Removes the entries starting at or after {@code endOffset} (the log was truncated there). */
    public synchronized void truncateFromEnd(long endOffset) {
        Map.Entry<Integer, EpochEntry> latest = epochs.lastEntry();
        if (endOffset < 0 || latest == null || latest.getValue().startOffset() < endOffset) {
            return;
        }
        epochs.values().removeIf(entry -> entry.startOffset() >= endOffset);
        flush();
    }

    /**
     * Forgets the history below a new log start offset: the entries starting at or before it go,
     * and the last of them is kept, moved to start there (it still covers the records from there
     * on). {@code truncateFromStart(6)} keeps an entry starting at 6.
     */
    public synchronized void truncateFromStart(long startOffset) {
        EpochEntry lastBefore = null;
        int removed = 0;
        Iterator<EpochEntry> oldestFirst = epochs.values().iterator();
        while (oldestFirst.hasNext()) {
            EpochEntry entry = oldestFirst.next();
            if (entry.startOffset() > startOffset) {
                break;
            }
            lastBefore = entry;
            removed++;
            oldestFirst.remove();
        }
        if (lastBefore == null) {
            return;
        }
        epochs.put(lastBefore.epoch(), new EpochEntry(lastBefore.epoch(), startOffset));
        if (removed > 1 || lastBefore.startOffset() != startOffset) {
            flush();
        }
    }

    /** Forgets everything (the log was emptied to start over at another offset). */
    public synchronized void clearAndFlush() {
        epochs.clear();
        flush();
    }

    /** The entries, oldest first. */
    public synchronized List<EpochEntry> epochEntries() {
        return List.copyOf(epochs.values());
    }

    private void flush() {
        StringBuilder text = new StringBuilder();
        text.append(VERSION).append('\n').append(epochs.size()).append('\n');
        for (EpochEntry entry : epochs.values()) {
            text.append(entry.epoch()).append(' ').append(entry.startOffset()).append('\n');
        }
        try {
            AtomicFile.write(file, ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.US_ASCII)));
        } catch (IOException e) {
            throw new KafkaStorageException("Could not write " + file + ": " + e.getMessage(), e);
        }
    }
}
