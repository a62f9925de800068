package io.runnel.log;

import java.nio.ByteBuffer;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.utils.ByteUtils;

/**
 * Checks the records section of an uncompressed v2 batch without allocating per record: every
 * record's length matches its fields, offset deltas run 0, 1, 2, ..., the count matches the header,
 * and (for compacted topics) every record has a key. Calls back with each record's timestamp delta.
 */
final class RecordWalker {

    interface TimestampCheck {
        void check(int recordIndex, long timestampDelta);
    }

    private RecordWalker() {}

    /**
     * Walks {@code count} records in {@code records} (positioned at the first, limited to the batch).
     *
     * @throws InvalidRecordException naming what was wrong
     */
    static void walk(ByteBuffer records, int count, boolean requireKeys, TimestampCheck timestamps) {
        ByteBuffer in = records.duplicate();
        for (int i = 0; i < count; i++) {
            if (!in.hasRemaining()) {
                throw new InvalidRecordException("Batch declares " + count + " records but holds " + i);
            }
            int length = readVarint(in, i, "length");
            if (length < 0 || length > in.remaining()) {
                throw new InvalidRecordException("Record " + i + " has invalid length " + length);
            }
            int end = in.position() + length;
            int limit = in.limit();
            in.limit(end);
            try {
                in.get(); // attributes, unused in v2
                long timestampDelta = ByteUtils.readVarlong(in);
                int offsetDelta = ByteUtils.readVarint(in);
                if (offsetDelta != i) {
                    throw new InvalidRecordException(
                            "Record " + i + " has offset delta " + offsetDelta + "; expected " + i);
                }
                int keyLength = ByteUtils.readVarint(in);
                if (keyLength < 0 && requireKeys) {
                    throw new InvalidRecordException("Compacted topic cannot accept message without key");
                }
                skip(in, keyLength, i, "key");
                skip(in, ByteUtils.readVarint(in), i, "value");
                int headers = ByteUtils.readVarint(in);
                if (headers < 0) {
                    throw new InvalidRecordException("Record " + i + " has " + headers + " headers");
                }
                for (int h = 0; h < headers; h++) {
                    int headerKey = ByteUtils.readVarint(in);
                    if (headerKey < 0) {
                        throw new InvalidRecordException("Record " + i + " has a header with a null key");
                    }
                    skip(in, headerKey, i, "header key");
                    skip(in, ByteUtils.readVarint(in), i, "header value");
                }
                if (in.position() != end) {
                    throw new InvalidRecordException("Record " + i + " is " + length + " bytes but its fields take "
                            + (length - (end - in.position())));
                }
                timestamps.check(i, timestampDelta);
            } catch (java.nio.BufferUnderflowException | IllegalArgumentException e) {
                throw new InvalidRecordException("Record " + i + " is truncated or malformed");
            } finally {
                in.limit(limit);
            }
            in.position(end);
        }
        if (in.hasRemaining()) {
            throw new InvalidRecordException(
                    "Batch declares " + count + " records but " + in.remaining() + " bytes follow them");
        }
    }

    private static int readVarint(ByteBuffer in, int record, String field) {
        try {
            return ByteUtils.readVarint(in);
        } catch (RuntimeException e) {
            throw new InvalidRecordException("Record " + record + " has a malformed " + field);
        }
    }

    private static void skip(ByteBuffer in, int length, int record, String field) {
        if (length < -1 || length > in.remaining()) {
            throw new InvalidRecordException("Record " + record + " has invalid " + field + " length " + length);
        }
        if (length > 0) {
            in.position(in.position() + length);
        }
    }
}
