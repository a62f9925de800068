package io.runnel.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A segment's sparse time index: entries of (largest timestamp so far, offset of the batch that
 * holds it), strictly increasing in both. A lookup for a timestamp gives an offset from which a scan
 * finds the first record at or after that timestamp.
 *
 * <p>Held in memory, written to {@code <base>.timeindex} (12-byte entries) like {@link OffsetIndex}.
 */
final class TimeIndex {

    private final long baseOffset;
    private volatile long[] timestamps = new long[4];
    private volatile int[] relativeOffsets = new int[4];
    private volatile int entries;

    TimeIndex(long baseOffset) {
        this.baseOffset = baseOffset;
    }

    void maybeAppend(long timestamp, long offset) {
        int n = entries;
        if (n > 0 && (timestamps[n - 1] >= timestamp || relativeOffsets[n - 1] >= offset - baseOffset)) {
            return;
        }
        if (n == timestamps.length) {
            long[] ts = Arrays.copyOf(timestamps, n * 2);
            int[] offsets = Arrays.copyOf(relativeOffsets, n * 2);
            timestamps = ts;
            relativeOffsets = offsets;
        }
        timestamps[n] = timestamp;
        relativeOffsets[n] = (int) (offset - baseOffset);
        entries = n + 1;
    }

    /**
     * The offset to start scanning from for the first record with a timestamp at or after
     * {@code timestamp}: the offset of the last entry whose timestamp is below it, or the base offset.
     */
    long lookup(long timestamp) {
        int n = entries;
        long[] ts = timestamps;
        int[] offsets = relativeOffsets;
        int found = -1;
        int low = 0;
        int high = n - 1;
        while (low <= high) {
            int mid = (low + high) >>> 1;
            if (ts[mid] < timestamp) {
                found = mid;
                low = mid + 1;
            } else {
                high = mid - 1;
            }
        }
        return found < 0 ? baseOffset : baseOffset + offsets[found];
    }

    /** The largest timestamp indexed, or -1. */
    long lastTimestamp() {
        int n = entries;
        return n == 0 ? -1 : timestamps[n - 1];
    }

    void truncateTo(long offset) {
        int n = entries;
        while (n > 0 && relativeOffsets[n - 1] + baseOffset >= offset) {
            n--;
        }
        entries = n;
    }

    void writeTo(Path file) throws IOException {
        int n = entries;
        ByteBuffer buffer = ByteBuffer.allocate(n * 12);
        for (int i = 0; i < n; i++) {
            buffer.putLong(timestamps[i]).putInt(relativeOffsets[i]);
        }
        buffer.flip();
        AtomicFile.write(file, buffer);
    }

    static TimeIndex readFrom(Path file, long baseOffset, long nextOffset) throws IOException {
        if (!Files.exists(file)) {
            return null;
        }
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length % 12 != 0) {
            return null;
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        TimeIndex index = new TimeIndex(baseOffset);
        while (buffer.hasRemaining()) {
            long timestamp = buffer.getLong();
            int relative = buffer.getInt();
            if (relative < 0 || baseOffset + relative >= nextOffset) {
                return null;
            }
            int before = index.entries;
            index.maybeAppend(timestamp, baseOffset + relative);
            if (index.entries == before) {
                return null; // not strictly increasing: not written by us
            }
        }
        return index;
    }
}
