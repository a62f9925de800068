package io.runnel.connector.file;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.IllegalWorkerStateException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;

/**
 * Appends each record's value to a file as one line: {@code String.valueOf(value)}, or a {@code
 * byte[]} value decoded as UTF-8, followed by {@code \n}.
 *
 * <p><b>At-least-once delivery from the runtime lands as exactly-once file content.</b> A commit
 * ({@link #preCommit}, or {@link #flush}) forces the file and records, in the side file {@code
 * <file>.offsets}, its length and the offsets it accounts for (see {@link OutputFile} and {@link
 * CheckpointFile}). When the task starts, bytes past the recorded length are truncated away, and the
 * consumer is told to resume at the recorded offsets with {@link
 * org.apache.kafka.connect.sink.SinkTaskContext#offset(Map)}: the records whose lines were cut off are
 * delivered again, and none is written twice. A file without a side file is appended to as it is (its length becomes the first checkpoint).
 *
 * <p>The rewind is requested at {@link #start} for the partitions already assigned, and at {@link
 * #open} for the partitions given. Apache Kafka's runtime assigns partitions only after {@code start}
 * and seeks every partition passed to {@code offset} on its next poll, which fails for one that is not
 * assigned; {@code open} is where it expects the rewind. {@code open} answers from what this task
 * instance knows, the checkpoint read at start plus its appends since, without truncating: bytes this
 * instance wrote after the checkpoint belong to records the runtime will not deliver again.
 *
 * <p>If a commit fails, the file is rolled back to its checkpoint and the consumer rewound to it, so
 * the runtime's redelivery after the failure does not duplicate lines either.
 *
 * <p>Without {@code file}, lines go to standard output with at-least-once delivery.
 *
 * <p>Threads: the runtime calls every method of a sink task from the task's thread.
 */
public class FileStreamSinkTask extends SinkTask {

    private static final System.Logger LOG = System.getLogger(FileStreamSinkTask.class.getName());

    /** Null before start, and after a failed commit that could not be rolled back. */
    private LineOutput output;

    @Override
    public String version() {
        return Version.VERSION;
    }

    @Override
    public void start(Map<String, String> props) {
        Optional<Path> file = new FileStreamSinkConfig(props).file();
        if (file.isEmpty()) {
            output = new StandardOutput(System.out);
            return;
        }
        try {
            output = OutputFile.open(file.get());
        } catch (IOException e) {
            throw new ConnectException("Could not open " + file.get(), e);
        }
        maybeRewind(assignedPartitions());
    }

    @Override
    public void open(Collection<TopicPartition> partitions) {
        maybeRewind(partitions);
    }

    @Override
    public void put(Collection<SinkRecord> records) {
        LineOutput out = output();
        try {
            for (SinkRecord record : records) {
                // The original partition and offset: those are the ones the runtime commits, even when
                // a transformation renamed the topic (KIP-793).
                out.append(
                        new TopicPartition(record.originalTopic(), record.originalKafkaPartition()),
                        record.originalKafkaOffset(),
                        line(record.value()));
            }
        } catch (IOException e) {
            throw new ConnectException("Could not write to the output", e);
        }
    }

    @Override
    public void flush(Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
        commit(currentOffsets);
    }

    /** Commits the output; returns exactly the offsets it recorded, which the runtime then commits. */
    @Override
    public Map<TopicPartition, OffsetAndMetadata> preCommit(Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
        return commit(currentOffsets);
    }

    /** Writes the buffer out and closes the output, without recording a checkpoint. */
    @Override
    public void stop() {
        if (output == null) {
            return;
        }
        try {
            output.close();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "Could not close the output", e);
        } finally {
            output = null;
        }
    }

    static String line(Object value) {
        return value instanceof byte[] bytes ? new String(bytes, UTF_8) : String.valueOf(value);
    }

    private Map<TopicPartition, OffsetAndMetadata> commit(Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
        LineOutput out = output();
        try {
            return out.commit(currentOffsets);
        } catch (IOException e) {
            try {
                out.rollBack();
                maybeRewind(assignedPartitions());
            } catch (IOException | RuntimeException rollBackFailure) {
                e.addSuppressed(rollBackFailure);
                stop();
            }
            throw new ConnectException("Could not commit the output; rolled back to its last checkpoint", e);
        }
    }

    private void maybeRewind(Collection<TopicPartition> partitions) {
        Map<TopicPartition, Long> offsets = output().resumeOffsets(partitions);
        if (!offsets.isEmpty()) {
            LOG.log(Level.INFO, "Resuming after what the output holds: {0}", offsets);
            context.offset(offsets);
        }
    }

    private Set<TopicPartition> assignedPartitions() {
        try {
            return context.assignment();
        } catch (IllegalWorkerStateException e) {
            return Set.of();
        }
    }

    private LineOutput output() {
        if (output == null) {
            throw new ConnectException(
                    "The task has no output: it is not started, or a failed commit could not be rolled back");
        }
        return output;
    }
}
