package io.runnel.log;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;

/** Opens real partition logs for tests outside this package (the simulator's replicas). */
public final class TestLogs {

    private TestLogs() {}

    /** Opens (or reopens, after a simulated crash) the log in {@code dir}; segments are deleted at once. */
    public static PartitionLog open(
            Path dir, TopicPartition tp, Uuid topicId, Map<String, String> configs, boolean cleanShutdown, long nowMs) {
        try {
            return PartitionLog.open(
                    dir, tp, topicId, new LogConfig(configs), cleanShutdown, nowMs, (segment, delay) -> {
                        try {
                            segment.deleteFiles();
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
