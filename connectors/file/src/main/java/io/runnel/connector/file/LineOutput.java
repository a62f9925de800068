package io.runnel.connector.file;

import java.io.Closeable;
import java.io.IOException;
import java.util.Collection;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Where a sink task's lines go: an {@link OutputFile}, whose content is exactly-once, or {@link
 * StandardOutput}, which is at-least-once.
 *
 * <p>Offsets are Kafka consumer offsets of the records' original partitions: {@code append} gets the
 * record's own offset, the maps hold the next offset to consume.
 *
 * <p>Not thread safe: owned by the sink task's thread.
 */
sealed interface LineOutput extends Closeable permits OutputFile, StandardOutput {

    /** Appends one line, without its terminator; it may stay in a buffer until {@link #commit}. */
    void append(TopicPartition partition, long offset, String line) throws IOException;

    /**
     * Makes every line appended so far durable, and records that the output holds the records before
     * {@code currentOffsets}.
     *
     * @return the offsets recorded, safe to commit to the consumer group
     */
    Map<TopicPartition, OffsetAndMetadata> commit(Map<TopicPartition, OffsetAndMetadata> currentOffsets)
            throws IOException;

    /** Forgets what was appended since the last {@link #commit}, after a commit failed. */
    void rollBack() throws IOException;

    /**
     * Where consumption of {@code partitions} must resume for the output to hold each record once:
     * only for the partitions the output knows of; the others resume at their committed offset.
     */
    Map<TopicPartition, Long> resumeOffsets(Collection<TopicPartition> partitions);
}
