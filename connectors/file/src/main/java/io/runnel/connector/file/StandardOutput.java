package io.runnel.connector.file;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Lines written to standard output, as Kafka's {@code FileStreamSink} does without a file. What is
 * written cannot be taken back, so delivery is at-least-once: no checkpoint, no rewinding.
 */
final class StandardOutput implements LineOutput {

    private final PrintStream out;

    StandardOutput(PrintStream out) {
        this.out = out;
    }

    @Override
    public void append(TopicPartition partition, long offset, String line) {
        byte[] bytes = (line + "\n").getBytes(UTF_8);
        out.write(bytes, 0, bytes.length);
    }

    @Override
    public Map<TopicPartition, OffsetAndMetadata> commit(Map<TopicPartition, OffsetAndMetadata> currentOffsets)
            throws IOException {
        out.flush();
        if (out.checkError()) {
            throw new IOException("Writing to standard output failed");
        }
        return new HashMap<>(currentOffsets);
    }

    @Override
    public void rollBack() {}

    @Override
    public Map<TopicPartition, Long> resumeOffsets(Collection<TopicPartition> partitions) {
        return Map.of();
    }

    /** Flushes; standard output itself stays open, it is not this task's. */
    @Override
    public void close() {
        out.flush();
    }
}
