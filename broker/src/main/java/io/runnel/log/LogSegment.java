package io.runnel.log;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.kafka.common.record.FileLogInputStream.FileChannelRecordBatch;
import org.apache.kafka.common.record.FileRecords;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.RecordBatch;

/**
 * One segment of a partition log: {@code <base>.log} holding record batches exactly as they are sent
 * to consumers, with its sparse offset and time indexes. Only the last segment of a log (the active
 * one) is appended to; all others are sealed.
 *
 * <p>Appends are serialized by the owning {@link PartitionLog}; reads run concurrently and see every
 * batch whose append completed.
 */
final class LogSegment {

    private final Path dir;
    private final long baseOffset;
    private final FileRecords records;
    private final int indexIntervalBytes;
    private final long createdMs;
    private OffsetIndex offsetIndex;
    private TimeIndex timeIndex;
    private int bytesSinceLastIndexEntry;
    private volatile long maxTimestamp = RecordBatch.NO_TIMESTAMP;
    private volatile long offsetOfMaxTimestamp = -1;
    /** The offset after the last batch in this segment; the base offset when empty. */
    private volatile long nextOffset;

    private LogSegment(Path dir, long baseOffset, FileRecords records, int indexIntervalBytes, long createdMs) {
        this.dir = dir;
        this.baseOffset = baseOffset;
        this.records = records;
        this.indexIntervalBytes = indexIntervalBytes;
        this.createdMs = createdMs;
        this.offsetIndex = new OffsetIndex(baseOffset);
        this.timeIndex = new TimeIndex(baseOffset);
        this.nextOffset = baseOffset;
    }

    static LogSegment create(Path dir, long baseOffset, int indexIntervalBytes, long nowMs) throws IOException {
        FileRecords records = FileRecords.open(logFile(dir, baseOffset).toFile(), true, false, 0, false);
        return new LogSegment(dir, baseOffset, records, indexIntervalBytes, nowMs);
    }

    /**
     * Opens an existing segment. With {@code trusted}, its index files are used when they are
     * consistent, else rebuilt by reading batch headers. Without, nothing is read: the caller must
     * {@link #recover()} it, which validates every batch and builds the indexes.
     */
    static LogSegment open(Path dir, long baseOffset, int indexIntervalBytes, boolean trusted) throws IOException {
        File file = logFile(dir, baseOffset).toFile();
        FileRecords records = FileRecords.open(file, true, false, 0, false);
        LogSegment segment = new LogSegment(dir, baseOffset, records, indexIntervalBytes, file.lastModified());
        segment.loadIndexes(trusted);
        return segment;
    }

    static Path logFile(Path dir, long baseOffset) {
        return dir.resolve(fileName(baseOffset) + ".log");
    }

    static String fileName(long offset) {
        return String.format("%020d", offset);
    }

    private Path offsetIndexFile() {
        return dir.resolve(fileName(baseOffset) + ".index");
    }

    private Path timeIndexFile() {
        return dir.resolve(fileName(baseOffset) + ".timeindex");
    }

    private void loadIndexes(boolean trusted) throws IOException {
        if (!trusted) {
            return;
        }
        OffsetIndex offsets = OffsetIndex.readFrom(offsetIndexFile(), baseOffset, records.sizeInBytes());
        if (offsets != null) {
            // The indexes hold only some batches: the batches after the last entry give the end,
            // and the largest timestamp may be in any batch not indexed.
            FileChannelRecordBatch last = null;
            long unindexedMax = RecordBatch.NO_TIMESTAMP;
            long unindexedMaxOffset = -1;
            for (FileChannelRecordBatch batch : records.batchesFrom(offsets.lookup(Long.MAX_VALUE))) {
                last = batch;
                if (batch.maxTimestamp() > unindexedMax) {
                    unindexedMax = batch.maxTimestamp();
                    unindexedMaxOffset = batch.lastOffset();
                }
            }
            long next = last == null ? baseOffset : last.nextOffset();
            TimeIndex times = TimeIndex.readFrom(timeIndexFile(), baseOffset, next);
            if (times != null) {
                offsetIndex = offsets;
                timeIndex = times;
                nextOffset = next;
                if (times.lastTimestamp() >= 0) {
                    maxTimestamp = times.lastTimestamp();
                    offsetOfMaxTimestamp = times.lookup(Long.MAX_VALUE);
                }
                if (unindexedMax > maxTimestamp) {
                    maxTimestamp = unindexedMax;
                    offsetOfMaxTimestamp = unindexedMaxOffset;
                }
                return;
            }
        }
        scanAndIndex();
    }

    /**
     * Validates every batch (sizes, magic, CRC-32C) and cuts the file at the first one that fails,
     * rebuilding the indexes on the way. Returns the number of bytes cut off.
     */
    int recover() throws IOException {
        return scanAndIndex();
    }

    private int scanAndIndex() throws IOException {
        offsetIndex = new OffsetIndex(baseOffset);
        timeIndex = new TimeIndex(baseOffset);
        bytesSinceLastIndexEntry = 0;
        maxTimestamp = RecordBatch.NO_TIMESTAMP;
        offsetOfMaxTimestamp = -1;
        nextOffset = baseOffset;
        int validBytes = 0;
        try {
            for (FileChannelRecordBatch batch : records.batches()) {
                if (batch.magic() != RecordBatch.MAGIC_VALUE_V2
                        || !batch.isValid()
                        || batch.baseOffset() < nextOffset) {
                    break;
                }
                indexBatch(
                        batch.baseOffset(), batch.lastOffset(), batch.maxTimestamp(), validBytes, batch.sizeInBytes());
                validBytes += batch.sizeInBytes();
                nextOffset = batch.nextOffset();
            }
        } catch (RuntimeException e) {
            // a header that does not parse (CorruptRecordException and friends): the valid part ends here
        }
        int cut = records.sizeInBytes() - validBytes;
        if (cut > 0) {
            records.truncateTo(validBytes);
        }
        return cut;
    }

    private void indexBatch(long firstOffset, long lastOffset, long batchMaxTimestamp, int position, int size) {
        if (bytesSinceLastIndexEntry > indexIntervalBytes || position == 0) {
            offsetIndex.append(firstOffset, position);
            if (batchMaxTimestamp > maxTimestamp) {
                timeIndex.maybeAppend(batchMaxTimestamp, firstOffset);
            } else if (maxTimestamp >= 0) {
                timeIndex.maybeAppend(maxTimestamp, firstOffset);
            }
            bytesSinceLastIndexEntry = 0;
        }
        bytesSinceLastIndexEntry += size;
        if (batchMaxTimestamp > maxTimestamp) {
            maxTimestamp = batchMaxTimestamp;
            offsetOfMaxTimestamp = lastOffset;
        }
    }

    /**
     * Appends batches whose offsets were already assigned; {@code lastOffset} is that of the last
     * record, {@code batchesMaxTimestamp} the largest timestamp among them.
     */
    void append(MemoryRecords batches, long firstOffset, long lastOffset, long batchesMaxTimestamp) throws IOException {
        int position = records.sizeInBytes();
        indexBatch(firstOffset, lastOffset, batchesMaxTimestamp, position, batches.sizeInBytes());
        records.append(batches);
        nextOffset = lastOffset + 1;
    }

    /**
     * Appends batches that carry their offsets already (a follower's copy of the leader's), indexing
     * each one as it would have been indexed on the leader: a follower append holds many batches.
     */
    void appendBatches(MemoryRecords batches) throws IOException {
        int position = records.sizeInBytes();
        long lastOffset = nextOffset - 1;
        for (RecordBatch batch : batches.batches()) {
            indexBatch(batch.baseOffset(), batch.lastOffset(), batch.maxTimestamp(), position, batch.sizeInBytes());
            position += batch.sizeInBytes();
            lastOffset = batch.lastOffset();
        }
        records.append(batches);
        nextOffset = lastOffset + 1;
    }

    /**
     * The bytes from the batch holding {@code startOffset} on, at most {@code maxBytes} of them but
     * always the whole first batch when {@code minOneBatch}, and never past {@code maxPosition}.
     * Returns null when no batch in this segment reaches {@code startOffset}.
     */
    ReadSlice read(long startOffset, int maxBytes, int maxPosition, boolean minOneBatch) {
        int from = offsetIndex.lookup(startOffset);
        FileRecords.LogOffsetPosition found = records.searchForOffsetFromPosition(startOffset, from);
        if (found == null || found.position >= maxPosition) {
            return null;
        }
        int limit = minOneBatch ? Math.max(maxBytes, found.size) : maxBytes;
        int size = Math.min(maxPosition - found.position, limit);
        return new ReadSlice(records.slice(found.position, size), found.position);
    }

    /** A range of this segment's file, ready to be sent as it is. */
    record ReadSlice(FileRecords records, int position) {}

    /** The position of the first batch holding {@code offset} or later, or the size if none. */
    int positionOf(long offset) {
        if (offset >= nextOffset) {
            return records.sizeInBytes();
        }
        FileRecords.LogOffsetPosition found = records.searchForOffsetFromPosition(offset, offsetIndex.lookup(offset));
        return found == null ? records.sizeInBytes() : found.position;
    }

    /** The first offset at or after which a record has a timestamp of at least {@code timestamp}. */
    FileRecords.TimestampAndOffset findOffsetByTimestamp(long timestamp, long startingOffset) {
        long from = Math.max(timeIndex.lookup(timestamp), startingOffset);
        int position = offsetIndex.lookup(from);
        return records.searchForTimestamp(timestamp, position, startingOffset);
    }

    /** Removes every batch holding offsets at or above {@code offset}; returns the bytes removed. */
    int truncateTo(long offset) throws IOException {
        int position = positionOf(offset);
        offsetIndex.truncateTo(offset);
        timeIndex.truncateTo(offset);
        int removed = records.truncateTo(position);
        if (removed > 0) {
            scanAndIndex();
            // index files written when the segment was sealed describe batches that are gone
            Files.deleteIfExists(offsetIndexFile());
            Files.deleteIfExists(timeIndexFile());
        }
        return removed;
    }

    void flush() throws IOException {
        records.flush();
    }

    /** Writes the indexes next to the log, for a fast trusted open after a clean stop. */
    void writeIndexes() throws IOException {
        offsetIndex.writeTo(offsetIndexFile());
        timeIndex.writeTo(timeIndexFile());
    }

    void close() throws IOException {
        records.close();
    }

    /** Renames the files to {@code *.deleted}, for removal once readers are done with them. */
    void markDeleted() throws IOException {
        Path log = logFile(dir, baseOffset);
        records.renameTo(log.resolveSibling(log.getFileName() + ".deleted").toFile());
        Files.deleteIfExists(offsetIndexFile());
        Files.deleteIfExists(timeIndexFile());
    }

    /**
     * Closes and deletes the log file (renamed by {@link #markDeleted} or not). The index files
     * are not touched: {@link #markDeleted} removed them, and by now a segment with the same base
     * offset (a cleaned copy) may own those names.
     */
    void deleteFiles() throws IOException {
        records.closeHandlers();
        records.deleteIfExists();
    }

    long baseOffset() {
        return baseOffset;
    }

    long nextOffset() {
        return nextOffset;
    }

    int size() {
        return records.sizeInBytes();
    }

    long maxTimestamp() {
        return maxTimestamp;
    }

    long offsetOfMaxTimestamp() {
        return offsetOfMaxTimestamp;
    }

    long createdMs() {
        return createdMs;
    }

    /** The time retention measures this segment's age by: its largest timestamp, else its file time. */
    long retentionTimestamp() {
        return maxTimestamp >= 0 ? maxTimestamp : createdMs;
    }

    FileRecords records() {
        return records;
    }

    @Override
    public String toString() {
        return "LogSegment(" + dir.getFileName() + "/" + fileName(baseOffset) + ", " + size() + " bytes)";
    }
}
