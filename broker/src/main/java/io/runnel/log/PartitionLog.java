package io.runnel.log;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.record.FileLogInputStream.FileChannelRecordBatch;
import org.apache.kafka.common.record.FileRecords;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.MutableRecordBatch;
import org.apache.kafka.common.record.RecordBatch;
import org.jboss.logging.Logger;

/**
 * One partition's log (Kafka's {@code UnifiedLog}): an ordered list of segments, the last of them
 * active, from the log start offset to the log end offset.
 *
 * <p>Appends take the log's lock, assign offsets by stamping them into the batches in place and
 * write to the active segment (a page-cache write); nothing on this path waits for a disk or for
 * PostgreSQL. Reads take no lock: they find the segment and the file range under the high watermark
 * and hand it out to be sent as it is.
 *
 * <p>The high watermark is the offset below which records are visible to consumers. With a single
 * replica it follows the log end offset; replication will move it by the followers' progress.
 */
public final class PartitionLog {

    private static final Logger LOG = Logger.getLogger(PartitionLog.class);
    static final String RECOVERY_POINT_FILE = "recovery-point";
    static final String LOG_START_OFFSET_FILE = "log-start-offset";
    static final String METADATA_FILE = "partition.metadata";

    /** A position in the log: an offset, the segment holding it, and its byte position there. */
    private record OffsetPosition(long offset, long segmentBase, int position) {}

    private final TopicPartition topicPartition;
    private final Uuid topicId;
    private final Path dir;
    private final SegmentDeleter deleter;
    private final ConcurrentSkipListMap<Long, LogSegment> segments = new ConcurrentSkipListMap<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final ProducerStateManager producers = new ProducerStateManager();
    private volatile LogConfig config;
    private volatile LogSegment active;
    private volatile long logStartOffset;
    private volatile OffsetPosition highWatermark;
    private volatile long recoveryPoint;
    private volatile long lastFlushMs;
    private long unflushedMessages;
    private volatile long appendedBytes;
    private final List<Consumer<PartitionLog>> appendListeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** A file operation that may fail. */
    interface IoAction {
        void run() throws IOException;
    }

    /**
     * Replaces a sealed segment by a cleaned copy of it: {@code swap} moves the files, then the new
     * file is opened and put in the old one's place. Called with the lock held. Returns false (and
     * does nothing) when the segment is no longer in the log.
     */
    boolean replaceSegment(LogSegment old, IoAction swap) throws IOException {
        if (segments.get(old.baseOffset()) != old || old == active) {
            return false;
        }
        swap.run();
        LogSegment cleaned = LogSegment.open(dir, old.baseOffset(), config.indexIntervalBytes, false);
        cleaned.recover();
        segments.put(old.baseOffset(), cleaned);
        deleter.deleteLater(old, config.fileDeleteDelayMs);
        return true;
    }

    /** Deletes the files of removed segments once readers no longer need them. */
    public interface SegmentDeleter {
        void deleteLater(LogSegment segment, long delayMs);
    }

    private PartitionLog(
            TopicPartition topicPartition, Uuid topicId, Path dir, LogConfig config, SegmentDeleter deleter) {
        this.topicPartition = topicPartition;
        this.topicId = topicId;
        this.dir = dir;
        this.config = config;
        this.deleter = deleter;
    }

    /**
     * Opens the log in {@code dir}, creating it if needed. After an unclean shutdown every segment
     * at or after the recovery point is validated batch by batch and cut at the first bad one; the
     * segments after a cut are removed.
     */
    static PartitionLog open(
            Path dir,
            TopicPartition topicPartition,
            Uuid topicId,
            LogConfig config,
            boolean cleanShutdown,
            long nowMs,
            SegmentDeleter deleter)
            throws IOException {
        Files.createDirectories(dir);
        PartitionLog log = new PartitionLog(topicPartition, topicId, dir, config, deleter);
        log.load(cleanShutdown, nowMs);
        return log;
    }

    private void load(boolean cleanShutdown, long nowMs) throws IOException {
        Files.writeString(dir.resolve(METADATA_FILE), "version: 0\ntopic_id: " + topicId + "\n");
        finishInterruptedSwaps();
        List<Long> bases = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                String name = file.getFileName().toString();
                if (name.endsWith(".deleted") || name.endsWith(".tmp") || name.endsWith(".cleaned")) {
                    Files.deleteIfExists(file);
                } else if (name.endsWith(".log")) {
                    bases.add(Long.parseLong(name.substring(0, name.length() - 4)));
                }
            }
        }
        bases.sort(null);
        long checkpointedRecovery = readLong(RECOVERY_POINT_FILE, 0);
        boolean truncated = false;
        for (int i = 0; i < bases.size(); i++) {
            long base = bases.get(i);
            if (truncated) {
                LOG.warnf("%s: removing segment %d after a corrupt one", topicPartition, base);
                Files.deleteIfExists(LogSegment.logFile(dir, base));
                Files.deleteIfExists(dir.resolve(LogSegment.fileName(base) + ".index"));
                Files.deleteIfExists(dir.resolve(LogSegment.fileName(base) + ".timeindex"));
                continue;
            }
            boolean beforeRecoveryPoint = i + 1 < bases.size() && bases.get(i + 1) <= checkpointedRecovery;
            boolean trusted = cleanShutdown || beforeRecoveryPoint;
            LogSegment segment = LogSegment.open(dir, base, config.indexIntervalBytes, trusted);
            if (!trusted) {
                int cut = segment.recover();
                if (cut > 0) {
                    LOG.warnf(
                            "%s: recovered segment %d to its last valid batch, cutting %d bytes of torn or corrupt data",
                            topicPartition, base, cut);
                    truncated = true;
                }
            }
            segments.put(base, segment);
        }
        long checkpointedStart = readLong(LOG_START_OFFSET_FILE, 0);
        if (segments.isEmpty()) {
            long base = Math.max(0, checkpointedStart);
            segments.put(base, LogSegment.create(dir, base, config.indexIntervalBytes, nowMs));
        }
        active = segments.lastEntry().getValue();
        logStartOffset = Math.max(checkpointedStart, segments.firstKey());
        if (logStartOffset > active.nextOffset()) {
            logStartOffset = active.nextOffset();
        }
        recoveryPoint = cleanShutdown ? active.nextOffset() : Math.min(checkpointedRecovery, active.nextOffset());
        lastFlushMs = nowMs;
        highWatermark = endPosition();
        loadProducerState();
    }

    /** A cleaned segment renamed to {@code .swap} is complete: it replaces the original. */
    private void finishInterruptedSwaps() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                String name = file.getFileName().toString();
                if (name.endsWith(".log" + LogCleaner.SWAP_SUFFIX)) {
                    Path target =
                            file.resolveSibling(name.substring(0, name.length() - LogCleaner.SWAP_SUFFIX.length()));
                    LOG.infof("%s: completing the swap of cleaned segment %s", topicPartition, target.getFileName());
                    Files.move(file, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                    String base = target.getFileName().toString().replace(".log", "");
                    Files.deleteIfExists(dir.resolve(base + ".index"));
                    Files.deleteIfExists(dir.resolve(base + ".timeindex"));
                }
            }
        }
    }

    private void loadProducerState() throws IOException {
        long snapshotOffset = producers.loadSnapshot(dir);
        if (snapshotOffset < 0 || snapshotOffset > logEndOffset()) {
            producers.clear();
            snapshotOffset = 0;
        }
        for (LogSegment segment : segments.tailMap(segments.floorKey(Math.max(snapshotOffset, segments.firstKey())))
                .values()) {
            // Only the batches at or after the snapshot: start from its position, not the segment's start.
            int from = snapshotOffset > segment.baseOffset() ? segment.positionOf(snapshotOffset) : 0;
            for (FileChannelRecordBatch batch : segment.records().batchesFrom(from)) {
                if (batch.lastOffset() >= snapshotOffset && batch.hasProducerId()) {
                    producers.replay(
                            batch.producerId(),
                            batch.producerEpoch(),
                            batch.baseSequence(),
                            batch.lastSequence(),
                            batch.baseOffset(),
                            batch.lastOffset(),
                            batch.maxTimestamp());
                }
            }
        }
    }

    // ---- appends

    /**
     * Appends a producer's validated batches as the partition leader: checks idempotent producer
     * sequences, assigns offsets, stamps the leader epoch, writes them to the active segment.
     */
    public AppendResult appendAsLeader(BatchValidator.Validated validated, int leaderEpoch, long nowMs) {
        MemoryRecords records = validated.records();
        AppendResult result;
        lock.lock();
        try {
            // Check every batch (each against the state including the batches before it) before
            // stamping anything, so a refused append leaves the batches and the state untouched.
            ProducerStateManager.Append producerAppend = producers.begin();
            long firstOffset = logEndOffset();
            long next = firstOffset;
            long maxTimestamp = RecordBatch.NO_TIMESTAMP;
            for (MutableRecordBatch batch : validated.batches()) {
                long lastOffset = next + (batch.lastOffset() - batch.baseOffset());
                if (batch.hasProducerId()) {
                    ProducerStateManager.BatchMetadata duplicate = producerAppend.check(
                            batch.producerId(), batch.producerEpoch(), batch.baseSequence(), batch.lastSequence());
                    if (duplicate != null) {
                        return new AppendResult(
                                duplicate.firstOffset(),
                                duplicate.lastOffset(),
                                RecordBatch.NO_TIMESTAMP,
                                logStartOffset,
                                0,
                                true);
                    }
                    producerAppend.record(
                            batch.producerId(),
                            batch.producerEpoch(),
                            new ProducerStateManager.BatchMetadata(
                                    batch.baseSequence(), batch.lastSequence(), next, lastOffset, nowMs));
                }
                maxTimestamp = Math.max(maxTimestamp, batch.maxTimestamp());
                next = lastOffset + 1;
            }
            long stamp = firstOffset;
            for (MutableRecordBatch batch : validated.batches()) {
                long lastOffset = stamp + (batch.lastOffset() - batch.baseOffset());
                batch.setLastOffset(lastOffset);
                batch.setPartitionLeaderEpoch(leaderEpoch);
                stamp = lastOffset + 1;
            }
            maybeRoll(records.sizeInBytes(), next - 1, nowMs);
            try {
                active.append(records, firstOffset, next - 1, maxTimestamp);
            } catch (IOException e) {
                throw new KafkaStorageException("Could not append to " + topicPartition + ": " + e.getMessage(), e);
            }
            producerAppend.commit();
            unflushedMessages += validated.recordCount();
            appendedBytes += records.sizeInBytes();
            result = new AppendResult(
                    firstOffset,
                    next - 1,
                    config.messageTimestampLogAppendTime ? nowMs : RecordBatch.NO_TIMESTAMP,
                    logStartOffset,
                    validated.recordCount(),
                    false);
        } finally {
            lock.unlock();
        }
        return result;
    }

    /** Whether enough messages are unflushed that {@code flush.messages} asks for a flush now. */
    public boolean flushDue() {
        return unflushedMessages >= config.flushMessages;
    }

    private void maybeRoll(int incomingBytes, long lastOffset, long nowMs) {
        LogSegment segment = active;
        if (segment.size() == 0) {
            return;
        }
        boolean full = (long) segment.size() + incomingBytes > config.segmentBytes;
        boolean old = nowMs - segment.createdMs() > config.segmentMs;
        boolean offsetsOverflow = lastOffset - segment.baseOffset() > Integer.MAX_VALUE;
        if (full || old || offsetsOverflow) {
            roll(nowMs);
        }
    }

    /** Starts a new active segment at the log end offset. Called with the lock held. */
    private void roll(long nowMs) {
        LogSegment sealed = active;
        long base = sealed.nextOffset();
        try {
            LogSegment next = LogSegment.create(dir, base, config.indexIntervalBytes, nowMs);
            segments.put(base, next);
            active = next;
            sealed.writeIndexes();
            ProducerStateManager.writeSnapshot(dir, producers.snapshot(base));
        } catch (IOException e) {
            throw new KafkaStorageException("Could not roll a segment of " + topicPartition + ": " + e, e);
        }
        LOG.debugf("%s: rolled segment at offset %d", topicPartition, base);
    }

    /** Sets the high watermark; with one replica, the owner sets it to the log end offset. */
    public void updateHighWatermarkToLogEnd() {
        highWatermark = endPosition();
        appendListeners.forEach(listener -> listener.accept(this));
    }

    private OffsetPosition endPosition() {
        lock.lock();
        try {
            LogSegment segment = active;
            return new OffsetPosition(segment.nextOffset(), segment.baseOffset(), segment.size());
        } finally {
            lock.unlock();
        }
    }

    /** Tells {@code listener} whenever new records become visible (long-polling fetches wait on it). */
    public void onNewRecords(Consumer<PartitionLog> listener) {
        appendListeners.add(listener);
    }

    public void removeListener(Consumer<PartitionLog> listener) {
        appendListeners.remove(listener);
    }

    // ---- reads

    /**
     * Reads from {@code fetchOffset}: at most {@code maxBytes} (but the whole first batch when
     * {@code minOneBatch}), never past the high watermark.
     *
     * @throws OffsetOutOfRangeException when the offset is before the log start or after the end
     */
    public FetchedData read(long fetchOffset, int maxBytes, boolean minOneBatch) {
        OffsetPosition hw = highWatermark;
        long start = logStartOffset;
        long end = logEndOffset();
        if (fetchOffset < start || fetchOffset > end) {
            throw new OffsetOutOfRangeException("Offset " + fetchOffset + " is out of range for " + topicPartition
                    + ": the log holds [" + start + ", " + end + ")");
        }
        if (fetchOffset >= hw.offset()) {
            return new FetchedData(MemoryRecords.EMPTY, hw.offset(), start, end);
        }
        Map.Entry<Long, LogSegment> entry = segments.floorEntry(fetchOffset);
        if (entry == null) {
            entry = segments.firstEntry();
        }
        while (entry != null && entry.getKey() <= hw.segmentBase()) {
            LogSegment segment = entry.getValue();
            int maxPosition = segment.baseOffset() == hw.segmentBase() ? hw.position() : segment.size();
            LogSegment.ReadSlice slice = segment.read(fetchOffset, maxBytes, maxPosition, minOneBatch);
            if (slice != null) {
                return new FetchedData(slice.records(), hw.offset(), start, end);
            }
            entry = segments.higherEntry(entry.getKey());
        }
        return new FetchedData(MemoryRecords.EMPTY, hw.offset(), start, end);
    }

    /**
     * The first offset whose record has a timestamp at or after {@code timestamp}, with that
     * timestamp, or null when every record is older.
     */
    public FileRecords.TimestampAndOffset offsetForTimestamp(long timestamp) {
        long start = logStartOffset;
        for (LogSegment segment : segments.values()) {
            if (segment.nextOffset() <= start || segment.maxTimestamp() < timestamp) {
                continue;
            }
            FileRecords.TimestampAndOffset found = segment.findOffsetByTimestamp(timestamp, start);
            if (found != null && found.offset < highWatermark.offset()) {
                return found;
            }
        }
        return null;
    }

    /** The record with the largest timestamp (the first of them), or null in an empty log. */
    public FileRecords.TimestampAndOffset maxTimestampAndOffset() {
        LogSegment best = null;
        for (LogSegment segment : segments.values()) {
            if (segment.nextOffset() > logStartOffset
                    && segment.maxTimestamp() >= 0
                    && (best == null || segment.maxTimestamp() > best.maxTimestamp())) {
                best = segment;
            }
        }
        if (best == null) {
            return null;
        }
        // The segment knows the batch; the record within it is found by its timestamp.
        return best.findOffsetByTimestamp(best.maxTimestamp(), logStartOffset);
    }

    // ---- retention, DeleteRecords, flush

    /**
     * Advances the log start offset (DeleteRecords) and removes segments wholly below it.
     *
     * @throws OffsetOutOfRangeException when {@code offset} is beyond the high watermark
     */
    public long deleteRecordsBefore(long offset, long nowMs) {
        lock.lock();
        try {
            long hw = highWatermark.offset();
            long target = offset == -1 ? hw : offset;
            if (target > hw || target < 0) {
                throw new OffsetOutOfRangeException("Cannot delete records of " + topicPartition + " before offset "
                        + offset + ": the high watermark is " + hw);
            }
            if (target > logStartOffset) {
                logStartOffset = target;
                writeLong(LOG_START_OFFSET_FILE, target);
                removeSegmentsBelowStart(nowMs);
            }
            return logStartOffset;
        } finally {
            lock.unlock();
        }
    }

    /** Applies retention.ms and retention.bytes; returns the number of segments removed. */
    public int applyRetention(long nowMs) {
        LogConfig cfg = config;
        if (!cfg.delete()) {
            return 0;
        }
        lock.lock();
        try {
            int removed = 0;
            if (cfg.retentionMs >= 0) {
                while (true) {
                    LogSegment oldest = segments.firstEntry().getValue();
                    if ((oldest == active && oldest.size() == 0)
                            || nowMs - oldest.retentionTimestamp() <= cfg.retentionMs) {
                        break;
                    }
                    if (oldest == active) {
                        roll(nowMs);
                    }
                    removeOldest(oldest, nowMs, "retention.ms");
                    removed++;
                }
            }
            if (cfg.retentionBytes >= 0) {
                long total = size();
                while (segments.size() > 1) {
                    LogSegment oldest = segments.firstEntry().getValue();
                    if (total - oldest.size() < cfg.retentionBytes) {
                        break;
                    }
                    total -= oldest.size();
                    removeOldest(oldest, nowMs, "retention.bytes");
                    removed++;
                }
            }
            return removed;
        } finally {
            lock.unlock();
        }
    }

    private void removeOldest(LogSegment oldest, long nowMs, String reason) {
        segments.remove(oldest.baseOffset());
        long newStart = segments.firstKey();
        if (newStart > logStartOffset) {
            logStartOffset = newStart;
            writeLong(LOG_START_OFFSET_FILE, newStart);
        }
        LOG.infof(
                "%s: deleting segment %d (%d bytes) by %s; log start offset now %d",
                topicPartition, oldest.baseOffset(), oldest.size(), reason, logStartOffset);
        scheduleDeletion(oldest);
        producers.expire(nowMs, Long.MAX_VALUE, logStartOffset);
    }

    private void removeSegmentsBelowStart(long nowMs) {
        while (true) {
            LogSegment oldest = segments.firstEntry().getValue();
            if (oldest.nextOffset() > logStartOffset || (oldest == active && oldest.size() == 0)) {
                return;
            }
            if (oldest == active) {
                roll(nowMs);
            }
            removeOldest(oldest, nowMs, "DeleteRecords");
        }
    }

    private void scheduleDeletion(LogSegment segment) {
        try {
            segment.markDeleted();
        } catch (IOException e) {
            LOG.warnf("%s: could not rename segment %d for deletion: %s", topicPartition, segment.baseOffset(), e);
        }
        deleter.deleteLater(segment, config.fileDeleteDelayMs);
    }

    /** Forgets idempotent producers idle for longer than {@code expirationMs}. */
    public void expireProducers(long nowMs, long expirationMs) {
        lock.lock();
        try {
            producers.expire(nowMs, expirationMs, logStartOffset);
        } finally {
            lock.unlock();
        }
    }

    /** Whether {@code flush.ms} has passed since the last flush with messages waiting. */
    public boolean flushDueByTime(long nowMs) {
        return nowMs - lastFlushMs >= config.flushMs && recoveryPoint < logEndOffset();
    }

    /** Forces every segment with unflushed data to disk and moves the recovery point. Not on an event loop. */
    public void flush(long nowMs) throws IOException {
        long target;
        List<LogSegment> toFlush;
        lock.lock();
        try {
            target = logEndOffset();
            unflushedMessages = 0;
            lastFlushMs = nowMs;
            long from = recoveryPoint;
            toFlush = new ArrayList<>(segments.tailMap(segments.floorKey(Math.max(from, segments.firstKey())))
                    .values());
        } finally {
            lock.unlock();
        }
        if (target <= recoveryPoint) {
            return;
        }
        for (LogSegment segment : toFlush) {
            try {
                segment.flush();
            } catch (java.nio.channels.ClosedChannelException e) {
                // removed by retention meanwhile
            }
        }
        recoveryPoint = target;
        writeLong(RECOVERY_POINT_FILE, target);
    }

    /** Flushes and writes indexes and producer state, for a fast trusted open next time. */
    public void close() throws IOException {
        lock.lock();
        try {
            for (LogSegment segment : segments.values()) {
                segment.flush();
                segment.writeIndexes();
            }
            ProducerStateManager.writeSnapshot(dir, producers.snapshot(logEndOffset()));
            writeLong(RECOVERY_POINT_FILE, logEndOffset());
            for (LogSegment segment : segments.values()) {
                segment.close();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Closes the files and removes the directory: the topic was deleted. */
    public void delete() throws IOException {
        lock.lock();
        try {
            for (LogSegment segment : segments.values()) {
                segment.deleteFiles();
            }
            segments.clear();
            deleteDirectory(dir);
        } finally {
            lock.unlock();
        }
    }

    // ---- small things

    /** Removes a partition directory and everything in it. */
    static void deleteDirectory(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder())
                    .forEach(path -> path.toFile().delete());
        }
    }

    private long readLong(String file, long orElse) {
        try {
            Path path = dir.resolve(file);
            return Files.exists(path) ? Long.parseLong(Files.readString(path).trim()) : orElse;
        } catch (IOException | NumberFormatException e) {
            LOG.warnf("%s: ignoring unreadable %s: %s", topicPartition, file, e);
            return orElse;
        }
    }

    private void writeLong(String file, long value) {
        try {
            Path temp = dir.resolve(file + ".tmp");
            Files.writeString(temp, Long.toString(value), StandardCharsets.US_ASCII);
            Files.move(temp, dir.resolve(file), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.warnf("%s: could not write %s: %s", topicPartition, file, e);
        }
    }

    public void updateConfig(LogConfig config) {
        this.config = config;
    }

    public LogConfig config() {
        return config;
    }

    public TopicPartition topicPartition() {
        return topicPartition;
    }

    public Uuid topicId() {
        return topicId;
    }

    public Path dir() {
        return dir;
    }

    public long logStartOffset() {
        return logStartOffset;
    }

    public long logEndOffset() {
        return active.nextOffset();
    }

    public long highWatermark() {
        return highWatermark.offset();
    }

    /** Bytes appended since the log was opened: long-polling fetches measure new data by it. */
    public long appendedBytes() {
        return appendedBytes;
    }

    public long recoveryPoint() {
        return recoveryPoint;
    }

    public long size() {
        long total = 0;
        for (LogSegment segment : segments.values()) {
            total += segment.size();
        }
        return total;
    }

    public int segmentCount() {
        return segments.size();
    }

    /** Segments, oldest first (the cleaner and tests read them). */
    List<LogSegment> segments() {
        return List.copyOf(segments.values());
    }

    ReentrantLock lock() {
        return lock;
    }
}
