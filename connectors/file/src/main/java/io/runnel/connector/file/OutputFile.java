package io.runnel.connector.file;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * A sink's output file together with its {@link CheckpointFile}, which make its content exactly-once
 * though the runtime delivers records at least once.
 *
 * <p>Invariant: the file's first {@code checkpoint.fileLength()} bytes are on disk and hold the
 * records before {@code checkpoint.offsets()}, each once. Bytes after them are appends of this
 * instance since that checkpoint, written ({@code length}) or still in the buffer. A commit forces the
 * file before it writes the checkpoint, and the runtime commits the consumer offsets only after the
 * commit returns, so the consumer group never gets ahead of the checkpoint.
 *
 * <p>Hence, when the file is opened: bytes past the checkpoint's length were never committed, their
 * records will be delivered again, and they are truncated away. Consumption resumes at the
 * checkpoint's offsets ({@link #resumeOffsets}), not at the consumer group's, which may be behind.
 * Without a checkpoint, an existing file is kept as it is and appended to; that length is recorded
 * as the first checkpoint at once.
 *
 * <p>Not thread safe: owned by the sink task's thread.
 */
final class OutputFile implements LineOutput {

    private static final System.Logger LOG = System.getLogger(OutputFile.class.getName());

    /** The checkpoint of {@code <file>} is {@code <file>.offsets}. */
    static final String CHECKPOINT_SUFFIX = ".offsets";

    private static final int BUFFER_BYTES = 64 * 1024;

    private final Path path;
    private final FileChannel channel;
    private final CheckpointFile checkpointFile;
    private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES);

    private Checkpoint checkpoint;
    /** Bytes written to the channel, the buffer's not counted: the file's length as this instance made it. */
    private long length;
    /** The checkpoint's offsets, moved on by every append since: the records the file (and buffer) hold. */
    private final Map<TopicPartition, Long> nextOffsets = new HashMap<>();

    private boolean appendedSinceCheckpoint;

    private OutputFile(Path path, FileChannel channel, CheckpointFile checkpointFile, Checkpoint checkpoint) {
        this.path = path;
        this.channel = channel;
        this.checkpointFile = checkpointFile;
        this.checkpoint = checkpoint;
    }

    /** Opens, or creates, {@code path} and brings it back to its checkpoint. */
    static OutputFile open(Path path) throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            CheckpointFile checkpointFile = new CheckpointFile(checkpointPath(path));
            Optional<Checkpoint> recorded = checkpointFile.read();
            long size = channel.size();
            if (recorded.isEmpty()) {
                // The first checkpoint is taken now, not at the first commit: what the file holds
                // already is kept, and what this task appends before its first commit is cut off
                // after a crash, like anything else not committed.
                if (size > 0) {
                    LOG.log(
                            Level.INFO,
                            "{0} has no checkpoint; appending to its {1,number,#} bytes as they are",
                            path,
                            size);
                }
                channel.force(true);
                checkpointFile.write(new Checkpoint(size, Map.of()));
            }
            OutputFile file =
                    new OutputFile(path, channel, checkpointFile, recorded.orElse(new Checkpoint(size, Map.of())));
            file.rollBack();
            return file;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    static Path checkpointPath(Path path) {
        return path.resolveSibling(path.getFileName() + CHECKPOINT_SUFFIX);
    }

    @Override
    public void append(TopicPartition partition, long offset, String line) throws IOException {
        byte[] bytes = (line + "\n").getBytes(UTF_8);
        if (bytes.length > buffer.remaining()) {
            writeBuffer();
        }
        if (bytes.length > buffer.capacity()) {
            writeFully(ByteBuffer.wrap(bytes));
        } else {
            buffer.put(bytes);
        }
        nextOffsets.put(partition, offset + 1);
        appendedSinceCheckpoint = true;
    }

    /**
     * Writes the buffer, forces the file, then records a checkpoint of its length and of the
     * checkpoint's offsets updated with {@code currentOffsets}. Partitions missing from {@code
     * currentOffsets} (revoked ones) keep their recorded offsets: the file still holds their records.
     *
     * @return {@code currentOffsets}, all of which are now recorded
     */
    @Override
    public Map<TopicPartition, OffsetAndMetadata> commit(Map<TopicPartition, OffsetAndMetadata> currentOffsets)
            throws IOException {
        Map<TopicPartition, Long> offsets = new HashMap<>(checkpoint.offsets());
        currentOffsets.forEach((partition, offset) -> offsets.put(partition, offset.offset()));
        if (appendedSinceCheckpoint || !offsets.equals(checkpoint.offsets())) {
            writeBuffer();
            channel.force(true);
            Checkpoint next = new Checkpoint(length, offsets);
            checkpointFile.write(next);
            checkpoint = next;
            nextOffsets.putAll(offsets);
            appendedSinceCheckpoint = false;
        }
        return new HashMap<>(currentOffsets);
    }

    /**
     * Drops the buffer and truncates the file to its checkpoint's length; {@link #resumeOffsets} then
     * answers the checkpoint's offsets again.
     */
    @Override
    public void rollBack() throws IOException {
        buffer.clear();
        long size = channel.size();
        if (size > checkpoint.fileLength()) {
            LOG.log(
                    Level.INFO,
                    "Truncating {0} from {1,number,#} to {2,number,#} bytes, the length its checkpoint records:"
                            + " the records past it were never committed and will be delivered again",
                    path,
                    size,
                    checkpoint.fileLength());
            channel.truncate(checkpoint.fileLength());
            channel.force(true);
        } else if (size < checkpoint.fileLength()) {
            LOG.log(
                    Level.WARNING,
                    "{0} is {1,number,#} bytes long, shorter than the {2,number,#} bytes its checkpoint records:"
                            + " it was truncated or replaced by someone else. Appending to it; records before the"
                            + " checkpoint''s offsets are not written again",
                    path,
                    size,
                    checkpoint.fileLength());
            checkpoint = new Checkpoint(size, checkpoint.offsets());
        }
        length = channel.size();
        channel.position(length);
        nextOffsets.clear();
        nextOffsets.putAll(checkpoint.offsets());
        appendedSinceCheckpoint = false;
    }

    @Override
    public Map<TopicPartition, Long> resumeOffsets(Collection<TopicPartition> partitions) {
        Map<TopicPartition, Long> offsets = new HashMap<>();
        for (TopicPartition partition : partitions) {
            Long offset = nextOffsets.get(partition);
            if (offset != null) {
                offsets.put(partition, offset);
            }
        }
        return offsets;
    }

    /**
     * Writes the buffer out and closes the file. What was not committed stays past the checkpoint's
     * length, to be truncated away when the file is opened again.
     */
    @Override
    public void close() throws IOException {
        try (channel) {
            writeBuffer();
        }
    }

    private void writeBuffer() throws IOException {
        buffer.flip();
        writeFully(buffer);
        buffer.clear();
    }

    private void writeFully(ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            length += channel.write(bytes);
        }
    }
}
