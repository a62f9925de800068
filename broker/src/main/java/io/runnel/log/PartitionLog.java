package io.runnel.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.CorruptRecordException;
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
 * <p>Appends take the log's lock. A leader's append assigns offsets by stamping them into the
 * batches in place; a follower's append stores the leader's batches as they are. Either writes to
 * the active segment (a page-cache write); nothing on this path waits for a disk or for PostgreSQL.
 * Reads take no lock: they find the segment and the file range under a bound (the high watermark
 * for consumers, the log end offset for followers) and hand it out to be sent as it is.
 *
 * <p>The high watermark is the offset below which records are committed and visible to consumers
 * (Kafka's replication design). Invariants: log start offset &lt;= high watermark &lt;= log end
 * offset; the high watermark only moves down by truncation. The leader raises it from its
 * followers' progress ({@link #maybeIncrementHighWatermark}), a follower adopts the leader's
 * ({@link #updateHighWatermarkAsFollower}). It is checkpointed ({@link HighWatermarkCheckpoint}).
 *
 * <p>The leader epoch history ({@link LeaderEpochCache}) records where each leader epoch began; it
 * is fed by every append and cut by truncation, and answers OffsetsForLeaderEpoch (KIP-101).
 *
 * <p>State: everything that changes is changed under {@link #lock}; the fields readers use
 * without it (segment map, positions, offsets) are volatile or concurrent.
 */
public final class PartitionLog {

    private static final Logger LOG = Logger.getLogger(PartitionLog.class);
    static final String RECOVERY_POINT_FILE = "recovery-point";
    static final String LOG_START_OFFSET_FILE = "log-start-offset";
    static final String METADATA_FILE = "partition.metadata";

    /**
     * A position in the log: an offset, the segment holding it, and the byte position there of the
     * first batch at or after the offset (Kafka's {@code LogOffsetMetadata}). Reads use it as a
     * bound without searching the segment.
     */
    private record OffsetPosition(long offset, LogSegment segment, int position) {}

    private final TopicPartition topicPartition;
    private final Uuid topicId;
    private final Path dir;
    private final SegmentDeleter deleter;
    private final ConcurrentSkipListMap<Long, LogSegment> segments = new ConcurrentSkipListMap<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final ProducerStateManager producers = new ProducerStateManager();
    private final LeaderEpochCache leaderEpochCache;
    private final HighWatermarkCheckpoint highWatermarkCheckpoint;
    private volatile LogConfig config;
    private volatile LogSegment active;
    private volatile long logStartOffset;
    private volatile OffsetPosition logEnd;
    private volatile OffsetPosition highWatermark;
    private volatile long recoveryPoint;
    private volatile long lastFlushMs;
    private long unflushedMessages;
    /** How often the log was cut back; a flush that saw another count moves no recovery point. */
    private long truncations;

    private volatile long appendedBytes;
    private final List<Consumer<PartitionLog>> appendListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<PartitionLog>> highWatermarkListeners = new CopyOnWriteArrayList<>();

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
        this.leaderEpochCache = new LeaderEpochCache(dir.resolve(LeaderEpochCache.FILE));
        this.highWatermarkCheckpoint = new HighWatermarkCheckpoint(dir);
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
        updateLogEnd();
        logStartOffset = Math.max(checkpointedStart, segments.firstKey());
        if (logStartOffset > active.nextOffset()) {
            logStartOffset = active.nextOffset();
        }
        recoveryPoint = cleanShutdown ? active.nextOffset() : Math.min(checkpointedRecovery, active.nextOffset());
        lastFlushMs = nowMs;
        loadLeaderEpochs();
        long checkpointedHighWatermark = highWatermarkCheckpoint.read(logStartOffset);
        highWatermark = positionOf(Math.max(logStartOffset, Math.min(checkpointedHighWatermark, logEndOffset())));
        loadProducerState();
    }

    /**
     * Loads the leader epoch history and fits it to the log as recovered: entries past the end
     * (a cut tail) or before the start go. A log without a readable checkpoint (written before the
     * history was kept) rebuilds it from the epochs stamped in its batches.
     */
    private void loadLeaderEpochs() {
        if (!leaderEpochCache.loadedFromCheckpoint() && logEndOffset() > logStartOffset) {
            List<LeaderEpochCache.EpochEntry> found = new ArrayList<>();
            int latest = -1;
            for (LogSegment segment : segments.values()) {
                for (FileChannelRecordBatch batch : segment.records().batches()) {
                    int epoch = batch.partitionLeaderEpoch();
                    if (epoch > latest) {
                        found.add(new LeaderEpochCache.EpochEntry(epoch, batch.baseOffset()));
                        latest = epoch;
                    }
                }
            }
            leaderEpochCache.assignAll(found);
        }
        leaderEpochCache.truncateFromEnd(logEndOffset());
        leaderEpochCache.truncateFromStart(logStartOffset);
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
        if (snapshotOffset > logEndOffset()) {
            // taken before the log was cut back (recovery, truncation): it knows batches that are gone
            Files.deleteIfExists(dir.resolve(ProducerStateManager.SNAPSHOT_FILE));
        }
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
     * sequences, assigns offsets, stamps the leader epoch, writes them to the active segment. The
     * first append of a newer leader epoch records where that epoch began (KIP-101).
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
            maybeRoll(records.sizeInBytes(), firstOffset, next - 1, nowMs);
            try {
                active.append(records, firstOffset, next - 1, maxTimestamp);
            } catch (IOException e) {
                throw new KafkaStorageException("Could not append to " + topicPartition + ": " + e.getMessage(), e);
            }
            updateLogEnd();
            producerAppend.commit();
            OptionalInt latestEpoch = leaderEpochCache.latestEpoch();
            if (latestEpoch.isEmpty() || leaderEpoch > latestEpoch.getAsInt()) {
                leaderEpochCache.assign(leaderEpoch, firstOffset);
            }
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
        notify(appendListeners);
        return result;
    }

    /**
     * Appends the leader's batches as a follower: byte for byte, keeping the leader's offsets,
     * timestamps and leader epochs (Kafka's {@code UnifiedLog.appendAsFollower}). Each batch must be
     * a v2 batch with a valid CRC; offsets must increase, the first batch starting at or after the
     * log end offset (gaps are the leader's compaction). A torn last batch (a fetch response cut at
     * its size limit) is left out. Producer state is replayed from the batches without checks, so a
     * follower that becomes leader knows every idempotent producer's sequence; each batch's leader
     * epoch feeds the epoch history.
     *
     * @throws UnexpectedAppendOffsetException when the first batch starts below the log end offset
     * @throws CorruptRecordException for a corrupt batch or offsets that go backwards
     */
    public AppendResult appendAsFollower(MemoryRecords records) {
        long nowMs = System.currentTimeMillis();
        AppendResult result;
        lock.lock();
        try {
            long logEndOffset = logEndOffset();
            List<MutableRecordBatch> batches = new ArrayList<>();
            long lastOffset = -1;
            int validBytes = 0;
            int recordCount = 0;
            for (MutableRecordBatch batch : records.batches()) {
                if (batch.magic() != RecordBatch.MAGIC_VALUE_V2 || !batch.isValid()) {
                    throw new CorruptRecordException("A replicated batch of " + topicPartition + " at offset "
                            + batch.baseOffset() + " is corrupt (magic " + batch.magic() + ", CRC-32C "
                            + batch.checksum() + ")");
                }
                if (batches.isEmpty() && batch.baseOffset() < logEndOffset) {
                    throw new UnexpectedAppendOffsetException(
                            "Unexpected offset in a follower append to " + topicPartition
                                    + ": the first batch starts at " + batch.baseOffset()
                                    + ", below the log end offset " + logEndOffset,
                            batch.baseOffset(),
                            lastOffsetOf(records));
                }
                if (batch.baseOffset() <= lastOffset || batch.lastOffset() < batch.baseOffset()) {
                    throw new CorruptRecordException("Out of order offsets in a follower append to " + topicPartition
                            + ": batch " + batch.baseOffset() + "-" + batch.lastOffset() + " after offset "
                            + lastOffset);
                }
                batches.add(batch);
                lastOffset = batch.lastOffset();
                validBytes += batch.sizeInBytes();
                Integer count = batch.countOrNull();
                recordCount += count != null ? count : (int) (batch.lastOffset() - batch.baseOffset() + 1);
            }
            if (batches.isEmpty()) {
                return new AppendResult(-1, -1, RecordBatch.NO_TIMESTAMP, logStartOffset, 0, false);
            }
            MemoryRecords whole = records;
            if (validBytes < records.sizeInBytes()) {
                ByteBuffer buffer = records.buffer();
                whole = MemoryRecords.readableRecords(
                        buffer.limit(buffer.position() + validBytes).slice());
            }
            long firstOffset = batches.getFirst().baseOffset();
            maybeRoll(validBytes, firstOffset, lastOffset, nowMs);
            try {
                active.appendBatches(whole);
            } catch (IOException e) {
                throw new KafkaStorageException("Could not append to " + topicPartition + ": " + e.getMessage(), e);
            }
            updateLogEnd();
            for (MutableRecordBatch batch : batches) {
                if (batch.hasProducerId()) {
                    producers.replay(
                            batch.producerId(),
                            batch.producerEpoch(),
                            batch.baseSequence(),
                            batch.lastSequence(),
                            batch.baseOffset(),
                            batch.lastOffset(),
                            batch.maxTimestamp());
                }
                if (batch.partitionLeaderEpoch() >= 0) {
                    leaderEpochCache.assign(batch.partitionLeaderEpoch(), batch.baseOffset());
                }
            }
            unflushedMessages += recordCount;
            appendedBytes += validBytes;
            result = new AppendResult(
                    firstOffset, lastOffset, RecordBatch.NO_TIMESTAMP, logStartOffset, recordCount, false);
        } finally {
            lock.unlock();
        }
        notify(appendListeners);
        return result;
    }

    private static long lastOffsetOf(MemoryRecords records) {
        long last = -1;
        for (RecordBatch batch : records.batches()) {
            last = batch.lastOffset();
        }
        return last;
    }

    /** Whether enough messages are unflushed that {@code flush.messages} asks for a flush now. */
    public boolean flushDue() {
        return unflushedMessages >= config.flushMessages;
    }

    /**
     * Rolls before an append of {@code incomingBytes} holding offsets {@code firstOffset} to
     * {@code lastOffset} when the active segment is full, old, or could not index them.
     */
    private void maybeRoll(int incomingBytes, long firstOffset, long lastOffset, long nowMs) {
        LogSegment segment = active;
        if (segment.size() == 0) {
            return;
        }
        boolean full = (long) segment.size() + incomingBytes > config.segmentBytes;
        boolean old = nowMs - segment.createdMs() > config.segmentMs;
        boolean offsetsOverflow = lastOffset - segment.baseOffset() > Integer.MAX_VALUE;
        if (full || old || offsetsOverflow) {
            roll(nowMs, firstOffset);
        }
    }

    /** Starts a new active segment at the log end offset. Called with the lock held. */
    private void roll(long nowMs) {
        roll(nowMs, active.nextOffset());
    }

    /**
     * Starts a new active segment at {@code base}: the log end offset, or a replicated batch's
     * base offset past a gap. Called with the lock held.
     */
    private void roll(long nowMs, long base) {
        LogSegment sealed = active;
        try {
            LogSegment next = LogSegment.create(dir, base, config.indexIntervalBytes, nowMs);
            segments.put(base, next);
            active = next;
            updateLogEnd();
            sealed.writeIndexes();
            ProducerStateManager.writeSnapshot(dir, producers.snapshot(base));
        } catch (IOException e) {
            throw new KafkaStorageException("Could not roll a segment of " + topicPartition + ": " + e, e);
        }
        LOG.debugf("%s: rolled segment at offset %d", topicPartition, base);
    }

    /** Publishes the active segment's end as the log end. Called with the lock held. */
    private void updateLogEnd() {
        LogSegment segment = active;
        logEnd = new OffsetPosition(segment.nextOffset(), segment, segment.size());
    }

    /**
     * The position of {@code offset}: the log end when it is there, else the first batch at or
     * after it in the segment that would hold it.
     */
    private OffsetPosition positionOf(long offset) {
        OffsetPosition end = logEnd;
        if (offset >= end.offset()) {
            return end;
        }
        Map.Entry<Long, LogSegment> entry = segments.floorEntry(offset);
        if (entry == null) {
            entry = segments.firstEntry();
        }
        LogSegment segment = entry.getValue();
        return new OffsetPosition(offset, segment, segment.positionOf(offset));
    }

    // ---- the high watermark

    /**
     * The leader's rule (Kafka's {@code Partition.maybeIncrementLeaderHW} applies it): the high
     * watermark moves up to {@code newHighWatermark}, never down and never past the log end offset.
     * Returns whether it moved; if it did, high watermark listeners are told.
     */
    public boolean maybeIncrementHighWatermark(long newHighWatermark) {
        return raiseHighWatermark(newHighWatermark);
    }

    /**
     * The follower's rule (KAFKA-10554): the high watermark becomes the leader's, capped by this
     * replica's log end offset, and only ever rises here; {@link #truncateTo} is the only thing
     * that lowers it. High watermark listeners are told when it moved.
     */
    public void updateHighWatermarkAsFollower(long leaderHighWatermark) {
        raiseHighWatermark(leaderHighWatermark);
    }

    private boolean raiseHighWatermark(long newHighWatermark) {
        lock.lock();
        try {
            long target = Math.min(newHighWatermark, logEndOffset());
            if (target <= highWatermark.offset()) {
                return false;
            }
            highWatermark = positionOf(target);
        } finally {
            lock.unlock();
        }
        notify(highWatermarkListeners);
        return true;
    }

    /** Writes the high watermark checkpoint if the high watermark moved since it was last written. */
    public void checkpointHighWatermark() {
        highWatermarkCheckpoint.write(highWatermark.offset());
    }

    /**
     * The high watermark's position. Compaction may have rewritten the segment it points into, and
     * retention removed it; then the position is looked up again.
     */
    private OffsetPosition highWatermarkPosition() {
        OffsetPosition hw = highWatermark;
        if (segments.get(hw.segment().baseOffset()) == hw.segment()) {
            return hw;
        }
        lock.lock();
        try {
            highWatermark = positionOf(highWatermark.offset());
            return highWatermark;
        } finally {
            lock.unlock();
        }
    }

    // ---- listeners

    /**
     * Tells {@code listener} after every append, as leader or follower (fetches of followers wait
     * on it). Listeners run on the appending thread and must not block.
     */
    public void onNewRecords(Consumer<PartitionLog> listener) {
        appendListeners.add(listener);
    }

    public void removeListener(Consumer<PartitionLog> listener) {
        appendListeners.remove(listener);
    }

    /**
     * Tells {@code listener} whenever the high watermark moves (consumer fetches and acks=all
     * produces wait on it). Listeners run on the thread that moved it and must not block.
     */
    public void onHighWatermark(Consumer<PartitionLog> listener) {
        highWatermarkListeners.add(listener);
    }

    public void removeHighWatermarkListener(Consumer<PartitionLog> listener) {
        highWatermarkListeners.remove(listener);
    }

    private void notify(List<Consumer<PartitionLog>> listeners) {
        for (Consumer<PartitionLog> listener : listeners) {
            listener.accept(this);
        }
    }

    // ---- leader epochs

    /**
     * Records that {@code leaderEpoch} begins at {@code startOffset}: a new leader does so at its
     * log end offset when it takes over (KIP-101), before it appends anything in that epoch.
     */
    public void assignEpochStartOffset(int leaderEpoch, long startOffset) {
        leaderEpochCache.assign(leaderEpoch, startOffset);
    }

    /**
     * Where {@code leaderEpoch} ended in this log (OffsetsForLeaderEpoch, KIP-101 and KIP-279): the
     * largest known epoch at or below it, with the start of the next epoch or, for the latest, the
     * log end offset. {@link OffsetAndEpoch#UNDEFINED} when no such epoch is known.
     */
    public OffsetAndEpoch endOffsetForEpoch(int leaderEpoch) {
        return leaderEpochCache.endOffsetFor(leaderEpoch, logEndOffset());
    }

    /** The latest leader epoch in the epoch history. */
    public OptionalInt latestEpoch() {
        return leaderEpochCache.latestEpoch();
    }

    /** The leader epoch {@code offset} was written in, from the epoch history. */
    public OptionalInt epochForOffset(long offset) {
        return leaderEpochCache.epochForOffset(offset);
    }

    /** Where {@code leaderEpoch} began, if this log knows that epoch. */
    public OptionalLong epochStartOffset(int leaderEpoch) {
        return leaderEpochCache
                .epochEntry(leaderEpoch)
                .map(entry -> OptionalLong.of(entry.startOffset()))
                .orElse(OptionalLong.empty());
    }

    /** The epoch history, oldest first. */
    public List<LeaderEpochCache.EpochEntry> epochEntries() {
        return leaderEpochCache.epochEntries();
    }

    // ---- truncation

    /**
     * Removes every record at or after {@code offset} (Kafka's {@code UnifiedLog.truncateTo}): a
     * follower cuts the suffix where its log diverged from the leader's. A batch holding
     * {@code offset} goes whole, so the log end may end up below it. Later segments are deleted,
     * the epoch history and producer state are cut back with the log, and the high watermark and
     * recovery point come down to the new end when they were above it. Nothing happens when
     * {@code offset} is at or past the log end.
     */
    public void truncateTo(long offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("Cannot truncate " + topicPartition + " to offset " + offset);
        }
        lock.lock();
        try {
            long oldEnd = logEndOffset();
            if (offset >= oldEnd) {
                return;
            }
            LOG.infof("Truncating %s to offset %d (was LEO %d)", topicPartition, offset, oldEnd);
            truncations++;
            if (offset < segments.firstKey()) {
                startOver(offset, System.currentTimeMillis());
            } else {
                for (LogSegment later :
                        List.copyOf(segments.tailMap(offset, false).values())) {
                    segments.remove(later.baseOffset());
                    scheduleDeletion(later);
                }
                active = segments.lastEntry().getValue();
                active.truncateTo(offset);
                updateLogEnd();
                long end = logEndOffset();
                leaderEpochCache.truncateFromEnd(end);
                if (logStartOffset > end) {
                    logStartOffset = end;
                    writeLong(LOG_START_OFFSET_FILE, end);
                }
                if (recoveryPoint > end) {
                    recoveryPoint = end;
                    writeLong(RECOVERY_POINT_FILE, end);
                }
                if (highWatermark.offset() > end) {
                    highWatermark = logEnd;
                }
                loadProducerState();
            }
        } catch (IOException e) {
            throw new KafkaStorageException("Could not truncate " + topicPartition + ": " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
        checkpointHighWatermark();
        notify(highWatermarkListeners);
    }

    /**
     * Deletes every segment and starts the log over, empty, at {@code offset} (Kafka's
     * {@code truncateFullyAndStartAt}): a follower whose log ends before the leader's log start
     * offset. Log start, log end, high watermark and recovery point all become {@code offset}; the
     * epoch history and producer state are cleared.
     */
    public void truncateFullyAndStartAt(long offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("Cannot start " + topicPartition + " at offset " + offset);
        }
        lock.lock();
        try {
            LOG.infof(
                    "Truncating %s fully and starting at offset %d (was log start %d, LEO %d)",
                    topicPartition, offset, logStartOffset, logEndOffset());
            startOver(offset, System.currentTimeMillis());
        } catch (IOException e) {
            throw new KafkaStorageException("Could not truncate " + topicPartition + ": " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
        checkpointHighWatermark();
        notify(highWatermarkListeners);
    }

    /** Replaces every segment by one empty segment at {@code offset}. Called with the lock held. */
    private void startOver(long offset, long nowMs) throws IOException {
        truncations++;
        for (LogSegment segment : List.copyOf(segments.values())) {
            segments.remove(segment.baseOffset());
            scheduleDeletion(segment);
        }
        LogSegment fresh = LogSegment.create(dir, offset, config.indexIntervalBytes, nowMs);
        segments.put(offset, fresh);
        active = fresh;
        updateLogEnd();
        logStartOffset = offset;
        writeLong(LOG_START_OFFSET_FILE, offset);
        recoveryPoint = offset;
        writeLong(RECOVERY_POINT_FILE, offset);
        highWatermark = logEnd;
        unflushedMessages = 0;
        leaderEpochCache.clearAndFlush();
        producers.clear();
        Files.deleteIfExists(dir.resolve(ProducerStateManager.SNAPSHOT_FILE));
    }

    // ---- reads

    /** A consumer's read: {@link #read(long, int, boolean, FetchIsolation)} below the high watermark. */
    public FetchedData read(long fetchOffset, int maxBytes, boolean minOneBatch) {
        return read(fetchOffset, maxBytes, minOneBatch, FetchIsolation.HIGH_WATERMARK);
    }

    /**
     * Reads from {@code fetchOffset}: at most {@code maxBytes} (but the whole first batch when
     * {@code minOneBatch}), never past the high watermark or, for {@link FetchIsolation#LOG_END}
     * (followers), the log end offset.
     *
     * @throws OffsetOutOfRangeException when the offset is before the log start or after the end
     */
    public FetchedData read(long fetchOffset, int maxBytes, boolean minOneBatch, FetchIsolation isolation) {
        OffsetPosition hw = highWatermarkPosition();
        OffsetPosition end = logEnd;
        OffsetPosition bound = isolation == FetchIsolation.LOG_END ? end : hw;
        long start = logStartOffset;
        if (fetchOffset < start || fetchOffset > end.offset()) {
            throw new OffsetOutOfRangeException("Offset " + fetchOffset + " is out of range for " + topicPartition
                    + ": the log holds [" + start + ", " + end.offset() + ")");
        }
        if (fetchOffset >= bound.offset()) {
            return new FetchedData(MemoryRecords.EMPTY, hw.offset(), start, end.offset());
        }
        long boundBase = bound.segment().baseOffset();
        Map.Entry<Long, LogSegment> entry = segments.floorEntry(fetchOffset);
        if (entry == null) {
            entry = segments.firstEntry();
        }
        while (entry != null && entry.getKey() <= boundBase) {
            LogSegment segment = entry.getValue();
            int maxPosition = entry.getKey() == boundBase ? bound.position() : segment.size();
            LogSegment.ReadSlice slice = segment.read(fetchOffset, maxBytes, maxPosition, minOneBatch);
            if (slice != null) {
                return new FetchedData(slice.records(), hw.offset(), start, end.offset());
            }
            entry = segments.higherEntry(entry.getKey());
        }
        return new FetchedData(MemoryRecords.EMPTY, hw.offset(), start, end.offset());
    }

    /**
     * The first offset below the high watermark whose record has a timestamp at or after
     * {@code timestamp}, with that timestamp and its batch's leader epoch, or null when there is none.
     */
    public FileRecords.TimestampAndOffset offsetForTimestamp(long timestamp) {
        return offsetForTimestamp(timestamp, FetchIsolation.HIGH_WATERMARK);
    }

    /** As {@link #offsetForTimestamp(long)}, below the bound {@code isolation} names. */
    public FileRecords.TimestampAndOffset offsetForTimestamp(long timestamp, FetchIsolation isolation) {
        long start = logStartOffset;
        long bound = isolation == FetchIsolation.LOG_END ? logEndOffset() : highWatermark();
        for (LogSegment segment : segments.values()) {
            if (segment.nextOffset() <= start || segment.maxTimestamp() < timestamp) {
                continue;
            }
            FileRecords.TimestampAndOffset found = segment.findOffsetByTimestamp(timestamp, start);
            if (found != null && found.offset < bound) {
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
                advanceLogStartOffset(target);
                removeSegmentsBelowStart(nowMs);
            }
            return logStartOffset;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A follower adopts the leader's log start offset (records deleted on the leader by retention
     * or DeleteRecords; KAFKA-10554), never beyond its own high watermark: Kafka refuses that with
     * an exception, here it is capped and the rest adopted once the high watermark follows.
     */
    public void maybeIncrementLogStartOffset(long leaderLogStartOffset) {
        lock.lock();
        try {
            long target = Math.min(leaderLogStartOffset, highWatermark.offset());
            if (target > logStartOffset) {
                advanceLogStartOffset(target);
                removeSegmentsBelowStart(System.currentTimeMillis());
            }
        } finally {
            lock.unlock();
        }
    }

    /** Moves the log start offset up and forgets the epoch history below it. Called with the lock held. */
    private void advanceLogStartOffset(long newStart) {
        logStartOffset = newStart;
        writeLong(LOG_START_OFFSET_FILE, newStart);
        leaderEpochCache.truncateFromStart(newStart);
    }

    /**
     * Applies retention.ms and retention.bytes; returns the number of segments removed. As in Kafka,
     * only segments wholly below the high watermark are removed: what is not yet committed stays.
     */
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
                            || oldest.nextOffset() > highWatermark.offset()
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
                    if (total - oldest.size() < cfg.retentionBytes || oldest.nextOffset() > highWatermark.offset()) {
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
            advanceLogStartOffset(newStart);
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
        long truncationsBefore;
        List<LogSegment> toFlush;
        lock.lock();
        try {
            target = logEndOffset();
            truncationsBefore = truncations;
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
        lock.lock();
        try {
            // a truncation meanwhile may have replaced what was flushed by unflushed records
            if (truncations == truncationsBefore && target > recoveryPoint) {
                recoveryPoint = target;
                writeLong(RECOVERY_POINT_FILE, target);
            }
        } finally {
            lock.unlock();
        }
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
            checkpointHighWatermark();
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
        return logEnd.offset();
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
