package io.runnel.connector.file;

import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * What a sink's output file holds, as recorded at a commit: its first {@code fileLength} bytes are
 * the values of the records before {@code offsets}, each the next offset to consume of its
 * partition.
 */
record Checkpoint(long fileLength, Map<TopicPartition, Long> offsets) {

    Checkpoint {
        if (fileLength < 0) {
            throw new IllegalArgumentException("fileLength " + fileLength + " < 0");
        }
        offsets = Map.copyOf(offsets);
    }
}
