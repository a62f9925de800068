package io.runnel.connector.file;

import java.util.Map;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.storage.OffsetStorageReader;

/**
 * The source partition and source offset of the file source, the two maps the Connect runtime stores
 * for it.
 *
 * <p>Layout, the same as Kafka's own {@code FileStreamSource}:
 *
 * <pre>
 *   source partition  {"filename": "&lt;path as configured&gt;"}
 *   source offset     {"position": &lt;byte position just after the line's terminator, a long&gt;}
 * </pre>
 *
 * <p>The path is kept exactly as configured, not normalised, so that a configuration naming the same
 * file finds the offsets it committed before.
 */
final class SourceOffsets {

    static final String FILENAME_FIELD = "filename";
    static final String POSITION_FIELD = "position";

    private SourceOffsets() {}

    static Map<String, String> partition(String filename) {
        return Map.of(FILENAME_FIELD, filename);
    }

    static Map<String, Long> offset(long position) {
        return Map.of(POSITION_FIELD, position);
    }

    /** The committed position of {@code filename}, or 0 when nothing was committed for it yet. */
    static long committedPosition(OffsetStorageReader reader, String filename) {
        Map<String, Object> offset = reader.offset(partition(filename));
        return offset == null ? 0L : position(offset);
    }

    /**
     * The position held by a source offset. Integers are accepted as well as longs: a converter that
     * stores offsets as JSON gives back whichever type fits the number.
     *
     * @throws ConnectException if the offset has no position or the position is not a non-negative
     *     whole number
     */
    static long position(Map<String, ?> offset) {
        Object position = offset.get(POSITION_FIELD);
        if (!(position instanceof Long) && !(position instanceof Integer)) {
            throw new ConnectException("The source offset " + offset + " has no whole number '" + POSITION_FIELD
                    + "'; the file source stores the byte position after the last line emitted");
        }
        long value = ((Number) position).longValue();
        if (value < 0) {
            throw new ConnectException("The source offset " + offset + " has a negative '" + POSITION_FIELD + "'");
        }
        return value;
    }

    /**
     * Checks a source partition as given to {@code alterOffsets}.
     *
     * @throws ConnectException if it does not name a file
     */
    static void checkPartition(Map<String, ?> partition) {
        if (partition == null || !(partition.get(FILENAME_FIELD) instanceof String filename) || filename.isEmpty()) {
            throw new ConnectException("The source partition " + partition + " has no '" + FILENAME_FIELD
                    + "'; the file source's partitions are {\"" + FILENAME_FIELD + "\": <path>}");
        }
    }
}
