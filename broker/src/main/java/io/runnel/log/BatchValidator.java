package io.runnel.log;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.DefaultRecordBatch;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.MutableRecordBatch;
import org.apache.kafka.common.record.Record;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.utils.BufferSupplier;
import org.apache.kafka.common.utils.CloseableIterator;

/**
 * Checks the batches of a produce request before anything is written, as Kafka's log validator does
 * for a client append: magic v2 only, intact CRC-32C, batch sizes within {@code max.message.bytes},
 * well-formed records, keys on compacted topics, timestamps within
 * {@code message.timestamp.before/after.max.ms}. A batch that fails rejects the whole append.
 *
 * <p>Batches stay byte for byte as produced, compressed ones included; only with
 * {@code message.timestamp.type=LogAppendTime} is the batch's max timestamp rewritten in place (with
 * its CRC). Uncompressed batches are walked record by record without allocation; compressed ones are
 * decompressed (keys and values skipped) to check each record's offset delta, timestamp and key.
 */
public final class BatchValidator {

    /** Where a v2 batch's records start, and where its base (first) timestamp is. */
    private static final int RECORDS_OFFSET = 61;

    private static final int BASE_TIMESTAMP_OFFSET = 27;

    /** Decompression buffers, reused per thread (event loops validate produce requests). */
    private static final ThreadLocal<BufferSupplier> DECOMPRESSION_BUFFERS =
            ThreadLocal.withInitial(BufferSupplier::create);

    private BatchValidator() {}

    /** What was validated: one entry per batch, in order. */
    public record Validated(MemoryRecords records, List<MutableRecordBatch> batches, int recordCount) {}

    public static Validated validate(MemoryRecords records, LogConfig config, long nowMs) {
        List<MutableRecordBatch> batches = new ArrayList<>(1);
        int recordCount = 0;
        ByteBuffer buffer = records.buffer();
        int position = 0;
        try {
            for (MutableRecordBatch batch : records.batches()) {
                int size = batch.sizeInBytes();
                if (batch.magic() != RecordBatch.MAGIC_VALUE_V2) {
                    throw new InvalidRecordException(
                            "Produce requests may only hold record batches with magic 2, not " + batch.magic());
                }
                if (size > config.maxMessageBytes) {
                    throw new RecordTooLargeException("The record batch of " + size
                            + " bytes is larger than max.message.bytes (" + config.maxMessageBytes + ")");
                }
                if (!batch.isValid()) {
                    throw new CorruptRecordException(
                            "Record batch is corrupt (CRC-32C mismatch: stored " + batch.checksum() + ")");
                }
                if (batch.baseOffset() != 0) {
                    throw new InvalidRecordException(
                            "The base offset of a produced record batch must be 0, not " + batch.baseOffset());
                }
                if (batch.isControlBatch()) {
                    throw new InvalidRecordException("Clients may not produce control batches");
                }
                if (batch.isTransactional()) {
                    throw new InvalidTxnStateException("Transactions are not supported by this broker");
                }
                int count = countOf(buffer, position);
                if (count <= 0 || count - 1 != (int) (batch.lastOffset() - batch.baseOffset())) {
                    throw new InvalidRecordException("Record batch declares " + count
                            + " records but a last offset delta of " + (int) (batch.lastOffset() - batch.baseOffset()));
                }
                if (batch.timestampType() == TimestampType.LOG_APPEND_TIME) {
                    throw new InvalidTimestampException("Producers must not set the LogAppendTime timestamp type");
                }
                checkRecords(batch, buffer, position, count, config, nowMs);
                if (config.messageTimestampLogAppendTime) {
                    batch.setMaxTimestamp(TimestampType.LOG_APPEND_TIME, nowMs);
                }
                batches.add(batch);
                recordCount += count;
                position += size;
            }
        } catch (ApiException e) {
            throw e;
        } catch (KafkaException e) {
            throw new CorruptRecordException("Record batches are malformed: " + e.getMessage());
        }
        if (position != records.sizeInBytes()) {
            throw new CorruptRecordException(
                    "Record batches end after " + position + " of " + records.sizeInBytes() + " bytes");
        }
        if (batches.isEmpty()) {
            throw new InvalidRecordException("A produce request must hold at least one record batch");
        }
        return new Validated(records, batches, recordCount);
    }

    private static int countOf(ByteBuffer buffer, int batchPosition) {
        return buffer.getInt(buffer.position() + batchPosition + DefaultRecordBatch.RECORDS_COUNT_OFFSET);
    }

    private static void checkRecords(
            MutableRecordBatch batch, ByteBuffer buffer, int position, int count, LogConfig config, long nowMs) {
        boolean checkTimestamps = !config.messageTimestampLogAppendTime;
        long baseTimestamp = baseTimestampOf(buffer, position);
        if (batch.compressionType() == CompressionType.NONE) {
            ByteBuffer section = buffer.duplicate();
            int start = buffer.position() + position + RECORDS_OFFSET;
            section.position(start).limit(buffer.position() + position + batch.sizeInBytes());
            RecordWalker.walk(section, count, config.compact(), (i, delta) -> {
                if (checkTimestamps) {
                    checkTimestamp(baseTimestamp + delta, nowMs, config);
                }
            });
            return;
        }
        // Compressed: decompress (skipping keys and values) to check each record, as Kafka does;
        // the batch itself is stored as it came.
        int index = 0;
        try (CloseableIterator<Record> it = batch.skipKeyValueIterator(DECOMPRESSION_BUFFERS.get())) {
            while (it.hasNext()) {
                Record record = it.next();
                if (record.offset() != index) {
                    throw new InvalidRecordException(
                            "Record " + index + " of a compressed batch has offset delta " + record.offset());
                }
                if (config.compact() && !record.hasKey()) {
                    throw new InvalidRecordException("Compacted topic cannot accept message without key");
                }
                if (checkTimestamps) {
                    checkTimestamp(record.timestamp(), nowMs, config);
                }
                index++;
            }
        }
        if (index != count) {
            throw new InvalidRecordException("Compressed batch declares " + count + " records but holds " + index);
        }
    }

    private static long baseTimestampOf(ByteBuffer buffer, int position) {
        return buffer.getLong(buffer.position() + position + BASE_TIMESTAMP_OFFSET);
    }

    private static void checkTimestamp(long timestamp, long nowMs, LogConfig config) {
        if (timestamp == RecordBatch.NO_TIMESTAMP) {
            return;
        }
        if (nowMs - timestamp > config.messageTimestampBeforeMaxMs
                || timestamp - nowMs > config.messageTimestampAfterMaxMs) {
            throw new InvalidTimestampException("Timestamp " + timestamp + " of a record is out of range: it must be"
                    + " within message.timestamp.before.max.ms (" + config.messageTimestampBeforeMaxMs
                    + ") before and message.timestamp.after.max.ms (" + config.messageTimestampAfterMaxMs
                    + ") after the broker's time " + nowMs);
        }
    }
}
