package io.runnel.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A segment's sparse offset index: every {@code index.interval.bytes} or so, the position of the
 * batch holding an offset. A lookup finds the last entry at or below an offset; the log is then
 * scanned from there. Offsets are stored relative to the segment's base offset.
 *
 * <p>Held in memory; written to {@code <base>.index} (8-byte entries, big-endian relative offset
 * then position) when the segment is sealed or the broker stops cleanly, and rebuilt from the log
 * when that file is missing or cannot be trusted.
 *
 * <p>Appends come from one writer at a time; lookups may run concurrently and see a prefix.
 */
final class OffsetIndex {

    private final long baseOffset;
    private volatile int[] relativeOffsets = new int[8];
    private volatile int[] positions = new int[8];
    private volatile int entries;

    OffsetIndex(long baseOffset) {
        this.baseOffset = baseOffset;
    }

    /** Records that the batch holding {@code offset} starts at byte {@code position}. */
    void append(long offset, int position) {
        int n = entries;
        if (n > 0 && relativeOffsets[n - 1] >= offset - baseOffset) {
            return;
        }
        if (n == relativeOffsets.length) {
            int[] offsets = Arrays.copyOf(relativeOffsets, n * 2);
            int[] grown = Arrays.copyOf(positions, n * 2);
            relativeOffsets = offsets;
            positions = grown;
        }
        relativeOffsets[n] = (int) (offset - baseOffset);
        positions[n] = position;
        entries = n + 1;
    }

    /** The position of the last entry at or below {@code offset}, or 0 when there is none. */
    int lookup(long offset) {
        int n = entries;
        int[] offsets = relativeOffsets;
        int[] pos = positions;
        long relative = offset - baseOffset;
        int low = 0;
        int high = n - 1;
        int found = -1;
        while (low <= high) {
            int mid = (low + high) >>> 1;
            if (offsets[mid] <= relative) {
                found = mid;
                low = mid + 1;
            } else {
                high = mid - 1;
            }
        }
        return found < 0 ? 0 : pos[found];
    }

    /** Drops entries for offsets at or above {@code offset} (log truncation). */
    void truncateTo(long offset) {
        int n = entries;
        while (n > 0 && relativeOffsets[n - 1] + baseOffset >= offset) {
            n--;
        }
        entries = n;
    }

    int entries() {
        return entries;
    }

    void writeTo(Path file) throws IOException {
        int n = entries;
        ByteBuffer buffer = ByteBuffer.allocate(n * 8);
        for (int i = 0; i < n; i++) {
            buffer.putInt(relativeOffsets[i]).putInt(positions[i]);
        }
        buffer.flip();
        AtomicFile.write(file, buffer);
    }

    /**
     * Reads an index file, or returns null when it is missing or not consistent with a log of
     * {@code logSize} bytes (then the caller rebuilds it).
     */
    static OffsetIndex readFrom(Path file, long baseOffset, int logSize) throws IOException {
        if (!Files.exists(file)) {
            return null;
        }
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length % 8 != 0) {
            return null;
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        OffsetIndex index = new OffsetIndex(baseOffset);
        int lastOffset = -1;
        int lastPosition = -1;
        while (buffer.hasRemaining()) {
            int relative = buffer.getInt();
            int position = buffer.getInt();
            if (relative <= lastOffset || position <= lastPosition || position >= logSize) {
                return null;
            }
            index.append(baseOffset + relative, position);
            lastOffset = relative;
            lastPosition = position;
        }
        return index;
    }
}
