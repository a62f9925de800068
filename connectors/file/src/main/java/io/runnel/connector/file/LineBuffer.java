package io.runnel.connector.file;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Bytes read from a file and not yet returned as lines, split into lines with their exact byte
 * positions.
 *
 * <p>A line ends at {@code \n}; a {@code \r\n} pair is one terminator and its {@code \r} is not part of
 * the line. A lone {@code \r} elsewhere stays in the line. Lines are decoded as UTF-8 only once they
 * are complete, so a character split across two reads decodes whole. Bytes after the last terminator
 * are a partial line and stay here until their terminator arrives: the file is being tailed and its
 * writer may be in the middle of that line.
 *
 * <p>Invariant: {@code bytes[start]} is the byte at file position {@link #position()}, every byte
 * before that position belongs to a line already returned, and {@code bytes[start, end)} are the
 * bytes of the file from {@link #position()} to {@link #readPosition()}. The buffer grows to hold the
 * longest line seen; there is no upper bound, as in Kafka's {@code FileStreamSourceTask}.
 *
 * <p>Not thread safe: owned by the thread that polls the file.
 */
final class LineBuffer {

    /** A complete line and the position just after its terminator, its source offset. */
    record Line(String value, long nextPosition) {}

    private static final int INITIAL_CAPACITY = 8 * 1024;

    private byte[] bytes = new byte[INITIAL_CAPACITY];
    private int start;
    private int end;
    /** No {@code \n} in {@code bytes[start, scanned)}: a partial line is not searched twice. */
    private int scanned;

    private long position;

    LineBuffer(long position) {
        reset(position);
    }

    /** The position just after the last line returned: where re-reading would start. */
    long position() {
        return position;
    }

    /** The position of the next byte to read from the file. */
    long readPosition() {
        return position + (end - start);
    }

    /** Forgets every byte held and continues from {@code newPosition}. */
    void reset(long newPosition) {
        start = 0;
        end = 0;
        scanned = 0;
        position = newPosition;
    }

    /**
     * Reads the bytes of {@code channel} that follow {@link #readPosition()}, as many as fit.
     *
     * @return the number of bytes read, or -1 at the end of the file
     */
    int readFrom(FileChannel channel) throws IOException {
        makeRoom();
        int read = channel.read(ByteBuffer.wrap(bytes, end, bytes.length - end), readPosition());
        if (read > 0) {
            end += read;
        }
        return read;
    }

    /** The next complete line, or null when the bytes held end in a partial line or there are none. */
    Line nextLine() {
        int terminator = indexOfNewline();
        if (terminator < 0) {
            return null;
        }
        int valueEnd = terminator > start && bytes[terminator - 1] == '\r' ? terminator - 1 : terminator;
        return take(valueEnd, terminator + 1);
    }

    /**
     * The bytes after the last terminator as a line, or null when there are none. Only for a file
     * that will never grow again, whose partial line will never be completed.
     */
    Line takePartialLine() {
        return start == end ? null : take(end, end);
    }

    private Line take(int valueEnd, int next) {
        String value = new String(bytes, start, valueEnd - start, UTF_8);
        position += next - start;
        start = next;
        scanned = next;
        if (start == end) {
            start = 0;
            end = 0;
            scanned = 0;
        }
        return new Line(value, position);
    }

    private int indexOfNewline() {
        for (int i = Math.max(scanned, start); i < end; i++) {
            if (bytes[i] == '\n') {
                return i;
            }
        }
        scanned = end;
        return -1;
    }

    /** Makes room after {@code end}: moves held bytes to the front, or doubles when they fill half. */
    private void makeRoom() {
        if (end < bytes.length) {
            return;
        }
        int held = end - start;
        byte[] target = held > bytes.length / 2 ? new byte[bytes.length * 2] : bytes;
        System.arraycopy(bytes, start, target, 0, held);
        bytes = target;
        scanned -= start;
        start = 0;
        end = held;
    }
}
