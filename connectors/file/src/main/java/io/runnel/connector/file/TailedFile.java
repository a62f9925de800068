package io.runnel.connector.file;

import java.io.Closeable;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * One file of a source task, followed the way {@code tail -F} follows it, one record per complete
 * line.
 *
 * <p>What happens to the file on disk, and what this class does about it:
 *
 * <ul>
 *   <li><b>Not there yet</b>: looked for again at every poll, logged once at INFO.
 *   <li><b>Appended to</b>: new complete lines are emitted; a last line without its terminator waits
 *       for it (see {@link LineBuffer}).
 *   <li><b>Truncated</b> (its size fell below the position read so far, also when the committed
 *       position is past the end at start): logged at WARN, read again from position 0.
 *   <li><b>Rotated</b> (the path now names another file than the open one, compared by {@link
 *       BasicFileAttributes#fileKey() file key}): the open file is first read to its end, so none of
 *       its lines is lost, then the new file is read from position 0. A last line of the old file
 *       without a terminator will never get one; it is emitted as it is, with a WARN.
 * </ul>
 *
 * <p>Re-emission is deterministic: the records are a function of the file's bytes from the starting
 * position only (how the bytes were split into reads or polls plays no part), which exactly-once
 * source delivery (KIP-618) relies on.
 *
 * <p>Limits: the source offset is a position only, it does not say which file it belongs to. A
 * rotation while the task is not running is not seen, and after a rotation the position committed
 * last may still be one in the old file until a record of the new file is committed. Platforms
 * without file keys (where {@code fileKey()} is null) see no rotations.
 *
 * <p>Not thread safe: owned by the task's polling thread; {@link FileStreamSourceTask} makes {@code
 * stop()} wait for a poll in progress before closing.
 */
final class TailedFile implements Closeable {

    private static final System.Logger LOG = System.getLogger(TailedFile.class.getName());

    /** Attempts at opening the file while the path keeps naming different files. */
    private static final int OPEN_ATTEMPTS = 3;

    private final String filename;
    private final Path path;
    private final String topic;
    private final Map<String, String> sourcePartition;
    private final LineBuffer lines;

    private FileChannel channel;
    private Object fileKey;
    private boolean loggedMissing;

    /**
     * @param filename the path as configured, also the source partition
     * @param committedPosition where to resume when the file is first opened
     */
    TailedFile(String filename, String topic, long committedPosition) {
        this.filename = filename;
        this.path = Path.of(filename);
        this.topic = topic;
        this.sourcePartition = SourceOffsets.partition(filename);
        this.lines = new LineBuffer(committedPosition);
    }

    String filename() {
        return filename;
    }

    /**
     * Appends to {@code records} the records of up to {@code max} complete lines, in file order.
     *
     * @return the number of records appended
     */
    int poll(int max, List<SourceRecord> records) throws IOException {
        if (channel == null && !maybeOpen()) {
            return 0;
        }
        maybeRestartAfterTruncation();
        int added = readLines(max, records);
        if (added < max && isRotated()) {
            // The old file may have grown between reaching its end and noticing the rotation.
            added += readLines(max - added, records);
            if (added < max) {
                added += takeLastLineOfRotatedFile(records);
                transitionToNewFile();
            }
        }
        return added;
    }

    @Override
    public void close() throws IOException {
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }

    private boolean maybeOpen() throws IOException {
        for (int attempt = 0; attempt < OPEN_ATTEMPTS; attempt++) {
            FileChannel opened;
            Object keyBefore;
            try {
                keyBefore = fileKey(path);
                opened = FileChannel.open(path, StandardOpenOption.READ);
            } catch (NoSuchFileException e) {
                if (!loggedMissing) {
                    LOG.log(Level.INFO, "File {0} does not exist yet; waiting for it to appear", filename);
                    loggedMissing = true;
                }
                return false;
            }
            // Java cannot ask an open channel for its file key: the key of the path before and after
            // opening must agree, or the channel may be a file the path no longer names.
            Object keyAfter;
            try {
                keyAfter = fileKeyOrNull(path);
            } catch (IOException e) {
                opened.close();
                throw e;
            }
            if (Objects.equals(keyBefore, keyAfter)) {
                channel = opened;
                fileKey = keyAfter;
                if (loggedMissing) {
                    LOG.log(
                            Level.INFO,
                            "File {0} appeared; reading it from position {1,number,#}",
                            filename,
                            lines.position());
                    loggedMissing = false;
                }
                return true;
            }
            opened.close();
        }
        return false;
    }

    private void maybeRestartAfterTruncation() throws IOException {
        long size = channel.size();
        if (size < lines.readPosition()) {
            LOG.log(
                    Level.WARNING,
                    "File {0} is {1,number,#} bytes long, shorter than the {2,number,#} bytes read from it:"
                            + " it was truncated; reading it again from position 0",
                    filename,
                    size,
                    lines.readPosition());
            lines.reset(0);
        }
    }

    private int readLines(int max, List<SourceRecord> records) throws IOException {
        int added = 0;
        while (added < max) {
            LineBuffer.Line line = lines.nextLine();
            if (line != null) {
                records.add(toRecord(line));
                added++;
            } else if (lines.readFrom(channel) <= 0) {
                break;
            }
        }
        return added;
    }

    private boolean isRotated() throws IOException {
        Object current = fileKeyOrNull(path);
        // A path with no file behind it is a rotation half done: keep reading the open file.
        return current != null && !current.equals(fileKey);
    }

    private int takeLastLineOfRotatedFile(List<SourceRecord> records) {
        LineBuffer.Line last = lines.takePartialLine();
        if (last == null) {
            return 0;
        }
        LOG.log(
                Level.WARNING,
                "The last line of rotated file {0} has no terminator and never will; emitting it as it is",
                filename);
        records.add(toRecord(last));
        return 1;
    }

    private void transitionToNewFile() throws IOException {
        LOG.log(Level.INFO, "File {0} was rotated; reading the new file from position 0", filename);
        close();
        fileKey = null;
        lines.reset(0);
    }

    private SourceRecord toRecord(LineBuffer.Line line) {
        return new SourceRecord(
                sourcePartition, SourceOffsets.offset(line.nextPosition()), topic, Schema.STRING_SCHEMA, line.value());
    }

    private static Object fileKey(Path path) throws IOException {
        return Files.readAttributes(path, BasicFileAttributes.class).fileKey();
    }

    private static Object fileKeyOrNull(Path path) throws IOException {
        try {
            return fileKey(path);
        } catch (NoSuchFileException e) {
            return null;
        }
    }
}
