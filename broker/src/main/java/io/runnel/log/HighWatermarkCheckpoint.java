package io.runnel.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.jboss.logging.Logger;

/**
 * A partition's checkpointed high watermark (Kafka keeps one {@code replication-offset-checkpoint}
 * per log directory; here each partition has its own): {@code high-watermark} in the partition
 * directory, the offset in decimal, written through {@link AtomicFile}. It is read when the log
 * opens, clamped to the log end offset, and written when it changed, at most every
 * {@code replica.high.watermark.checkpoint.interval.ms} and at close. A restarted replica so never
 * exposes its unreplicated tail: what it had not seen committed stays above its high watermark
 * until the leader says otherwise.
 *
 * <p>Too low a value is always safe (the leader raises it again), too high a one is not. So a
 * raise is written without fsync (thousands of partitions checkpoint every few seconds, and a lost
 * or empty file reads as the log start offset), while a lowering by truncation is forced to disk.
 *
 * <p>Thread safety: writes are synchronized (the checkpoint timer and close may meet).
 */
final class HighWatermarkCheckpoint {

    private static final Logger LOG = Logger.getLogger(HighWatermarkCheckpoint.class);
    static final String FILE = "high-watermark";

    private final Path file;
    /** The value on disk, -1 when unknown. */
    private long written = -1;

    HighWatermarkCheckpoint(Path dir) {
        this.file = dir.resolve(FILE);
    }

    /** The checkpointed high watermark, or {@code orElse} when there is none or it is unreadable. */
    synchronized long read(long orElse) {
        try {
            written = Long.parseLong(
                    Files.readString(file, StandardCharsets.US_ASCII).trim());
            return written;
        } catch (NoSuchFileException e) {
            return orElse;
        } catch (IOException | NumberFormatException e) {
            LOG.warnf("Ignoring unreadable %s: %s", file, e);
            return orElse;
        }
    }

    /** Writes {@code highWatermark} unless it is what the file already holds; forced to disk when lower. */
    synchronized void write(long highWatermark) {
        if (highWatermark == written || !Files.isDirectory(file.getParent())) {
            return; // unchanged, or the partition was deleted meanwhile
        }
        ByteBuffer contents = ByteBuffer.wrap(Long.toString(highWatermark).getBytes(StandardCharsets.US_ASCII));
        try {
            if (highWatermark < written) {
                AtomicFile.write(file, contents);
            } else {
                AtomicFile.writeUnsynced(file, contents);
            }
            written = highWatermark;
        } catch (IOException e) {
            LOG.warnf("Could not write %s: %s", file, e);
        }
    }
}
