package io.runnel.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.record.FileLogInputStream.FileChannelRecordBatch;
import org.apache.kafka.common.record.FileRecords;

/**
 * A partition's segment files as a broker leaves them on disk, in Kafka's layout:
 * {@code <data-dir>/logs/<topic>-<partition>/<20-digit base offset>.log}.
 */
public final class SegmentFiles {

    /** Where one batch sits in a segment file. */
    public record BatchPosition(long baseOffset, long lastOffset, int position, int size, byte compressionId) {}

    private SegmentFiles() {}

    public static Path partitionDir(BrokerProcess broker, TopicPartition tp) {
        return broker.dataDir().resolve("logs").resolve(tp.topic() + "-" + tp.partition());
    }

    public static Path cleanShutdownMarker(BrokerProcess broker) {
        return broker.dataDir().resolve("logs").resolve(".clean-shutdown");
    }

    /** The base offsets of the partition's live segments ({@code .log} files), ascending. */
    public static List<Long> baseOffsets(BrokerProcess broker, TopicPartition tp) {
        try (Stream<Path> files = Files.list(partitionDir(broker, tp))) {
            return files.map(f -> f.getFileName().toString())
                    .filter(name -> name.matches("\\d{20}\\.log"))
                    .map(name -> Long.parseLong(name.substring(0, 20)))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Path segment(BrokerProcess broker, TopicPartition tp, long baseOffset) {
        return partitionDir(broker, tp).resolve(String.format("%020d.log", baseOffset));
    }

    /** The batches of a segment file, as Kafka's own file reader finds them. */
    public static List<BatchPosition> batches(Path segment) {
        List<BatchPosition> batches = new ArrayList<>();
        try (FileRecords records = FileRecords.open(segment.toFile(), false, false, 0, false)) {
            int position = 0;
            for (FileChannelRecordBatch batch : records.batches()) {
                batches.add(
                        new BatchPosition(batch.baseOffset(), batch.lastOffset(), position, batch.sizeInBytes(), (byte)
                                batch.compressionType().id));
                position += batch.sizeInBytes();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return batches;
    }

    /** The bytes of every batch of the partition, over all its segments, in offset order. */
    public static List<byte[]> batchBytes(BrokerProcess broker, TopicPartition tp) {
        List<byte[]> all = new ArrayList<>();
        for (long base : baseOffsets(broker, tp)) {
            try (FileRecords records =
                    FileRecords.open(segment(broker, tp, base).toFile(), false, false, 0, false)) {
                for (FileChannelRecordBatch batch : records.batches()) {
                    java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate(batch.sizeInBytes());
                    batch.writeTo(buffer);
                    all.add(buffer.array());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return all;
    }

    /** Sizes in bytes of the partition's live segment files, oldest first. */
    public static List<Long> sizes(BrokerProcess broker, TopicPartition tp) {
        List<Long> sizes = new ArrayList<>();
        for (long base : baseOffsets(broker, tp)) {
            try {
                sizes.add(Files.size(segment(broker, tp, base)));
            } catch (IOException e) {
                // removed meanwhile
            }
        }
        return sizes;
    }
}
