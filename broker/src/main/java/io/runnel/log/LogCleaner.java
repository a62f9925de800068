package io.runnel.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.record.FileLogInputStream.FileChannelRecordBatch;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.Record;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.utils.BufferSupplier;
import org.jboss.logging.Logger;

/**
 * Compaction for {@code cleanup.policy=compact}: in the sealed segments below the high watermark
 * (never the active one), keep only the last record of each key; tombstones (null values) are kept
 * for {@code delete.retention.ms} after they were first cleaned, then removed. The last batch of each idempotent producer is kept
 * (emptied if need be) so its sequence state survives.
 *
 * <p>Each cleaned segment is written to {@code <base>.log.cleaned}, renamed to {@code .swap} once
 * complete and synced, and swapped in under the log's lock; a start after a crash finishes a swap.
 * Surviving batches are copied byte for byte; only batches that lose records are rewritten.
 *
 * <p>The map of keys is held in memory (a key's bytes and its latest offset); Kafka's dedupe buffer
 * bounds this with hashes, which a later change may adopt.
 */
final class LogCleaner {

    private static final Logger LOG = Logger.getLogger(LogCleaner.class);
    static final String CLEANED_SUFFIX = ".cleaned";
    static final String SWAP_SUFFIX = ".swap";

    private final Map<PartitionLog, Long> cleanedUpTo = new HashMap<>();
    private final Map<PartitionLog, Long> lastTombstoneCheck = new HashMap<>();

    /** Cleans the log when sealed segments were added since the last pass. Runs on the log scheduler. */
    void clean(PartitionLog log, long nowMs) {
        List<LogSegment> segments = log.segments();
        // sealed segments wholly below the high watermark: records not yet committed may still be
        // truncated away, and a key's latest record must be a committed one (as in Kafka)
        long highWatermark = log.highWatermark();
        int cleanable = 0;
        while (cleanable < segments.size() - 1 && segments.get(cleanable).nextOffset() <= highWatermark) {
            cleanable++;
        }
        List<LogSegment> sealed = segments.subList(0, cleanable);
        if (sealed.isEmpty()) {
            return;
        }
        long sealedEnd = sealed.getLast().nextOffset();
        Long done = cleanedUpTo.get(log);
        if (done != null && done >= sealedEnd && !tombstonesMayExpire(log, nowMs)) {
            return;
        }
        try {
            Map<ByteBuffer, Long> latest = new HashMap<>();
            Map<Long, Long> lastBatchOfProducer = new HashMap<>();
            for (LogSegment segment : sealed) {
                for (FileChannelRecordBatch batch : segment.records().batches()) {
                    if (batch.hasProducerId()) {
                        lastBatchOfProducer.put(batch.producerId(), batch.lastOffset());
                    }
                    for (Record record : batch) {
                        if (record.hasKey()) {
                            latest.put(copy(record.key()), record.offset());
                        }
                    }
                }
            }
            long bytesBefore = 0;
            long bytesAfter = 0;
            for (LogSegment segment : sealed) {
                bytesBefore += segment.size();
                bytesAfter += cleanSegment(log, segment, latest, lastBatchOfProducer, nowMs);
            }
            cleanedUpTo.put(log, sealedEnd);
            if (bytesAfter < bytesBefore) {
                LOG.infof(
                        "%s: compacted %d sealed segments from %d to %d bytes",
                        log.topicPartition(), sealed.size(), bytesBefore, bytesAfter);
            }
        } catch (IOException e) {
            LOG.warnf("%s: compaction failed, will retry: %s", log.topicPartition(), e);
        }
    }

    private boolean tombstonesMayExpire(PartitionLog log, long nowMs) {
        Long last = lastTombstoneCheck.get(log);
        if (last == null
                || nowMs - last >= log.config().deleteRetentionMs / 2
                || log.config().deleteRetentionMs < 60_000) {
            lastTombstoneCheck.put(log, nowMs);
            return true;
        }
        return false;
    }

    /** Rewrites one segment keeping what survives; returns its new size. */
    private long cleanSegment(
            PartitionLog log,
            LogSegment segment,
            Map<ByteBuffer, Long> latest,
            Map<Long, Long> lastBatchOfProducer,
            long nowMs)
            throws IOException {
        int size = segment.size();
        if (size == 0) {
            return 0;
        }
        ByteBuffer input = ByteBuffer.allocate(size);
        segment.records().readInto(input, 0); // leaves the buffer flipped, ready to read
        MemoryRecords.RecordFilter filter = new MemoryRecords.RecordFilter(nowMs, log.config().deleteRetentionMs) {
            @Override
            protected BatchRetentionResult checkBatchRetention(RecordBatch batch) {
                Long lastOfItsProducer = batch.hasProducerId() ? lastBatchOfProducer.get(batch.producerId()) : null;
                boolean lastOfProducer = lastOfItsProducer != null && lastOfItsProducer == batch.lastOffset();
                return new BatchRetentionResult(
                        lastOfProducer ? BatchRetention.RETAIN_EMPTY : BatchRetention.DELETE_EMPTY, false);
            }

            @Override
            protected boolean shouldRetainRecord(RecordBatch batch, Record record) {
                if (!record.hasKey()) {
                    return false; // a compacted topic only accepts keyed records; older ones go
                }
                Long newest = latest.get(record.key());
                if (newest == null || newest != record.offset()) {
                    return false;
                }
                if (record.hasValue()) {
                    return true;
                }
                return batch.deleteHorizonMs().isEmpty()
                        || nowMs < batch.deleteHorizonMs().getAsLong();
            }
        };
        ByteBuffer output = ByteBuffer.allocate(size);
        MemoryRecords.FilterResult result =
                MemoryRecords.readableRecords(input).filterTo(filter, output, BufferSupplier.NO_CACHING);
        ByteBuffer cleaned = result.outputBuffer();
        cleaned.flip();
        if (cleaned.equals(input.rewind())) {
            return size; // nothing removed, no delete horizon set: the segment stays as it is
        }
        swapIn(log, segment, cleaned);
        return cleaned.remaining();
    }

    private void swapIn(PartitionLog log, LogSegment old, ByteBuffer cleaned) throws IOException {
        Path dir = log.dir();
        Path logFile = LogSegment.logFile(dir, old.baseOffset());
        Path cleanedFile = logFile.resolveSibling(logFile.getFileName() + CLEANED_SUFFIX);
        Path swapFile = logFile.resolveSibling(logFile.getFileName() + SWAP_SUFFIX);
        try (FileChannel channel = FileChannel.open(
                cleanedFile,
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (cleaned.hasRemaining()) {
                channel.write(cleaned);
            }
            channel.force(true);
        }
        log.lock().lock();
        try {
            if (!log.replaceSegment(old, () -> {
                Files.move(cleanedFile, swapFile, StandardCopyOption.ATOMIC_MOVE);
                old.markDeleted();
                Files.move(swapFile, logFile, StandardCopyOption.ATOMIC_MOVE);
            })) {
                Files.deleteIfExists(cleanedFile);
            }
        } finally {
            log.lock().unlock();
        }
    }

    private static ByteBuffer copy(ByteBuffer key) {
        ByteBuffer copy = ByteBuffer.allocate(key.remaining());
        copy.put(key.duplicate()).flip();
        return copy;
    }
}
