package io.runnel.log;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.record.FileRecords;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.MutableRecordBatch;
import org.apache.kafka.common.record.Record;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.record.Records;
import org.apache.kafka.common.record.SimpleRecord;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class PartitionLogTest {

    private static final long T = 1_700_000_000_000L;
    private static final long HOUR = 3_600_000L;
    private static final long DAY = 24 * HOUR;
    private static final int ONE_MIB = 1024 * 1024;
    private static final TopicPartition TP = new TopicPartition("events", 0);
    private static final Uuid TOPIC_ID = Uuid.randomUuid();
    private static final PartitionLog.SegmentDeleter DELETE_NOW = (segment, delayMs) -> {
        try {
            segment.deleteFiles();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    };

    @TempDir
    Path tempDir;

    private Path dir;
    private final List<PartitionLog> opened = new ArrayList<>();

    @BeforeEach
    void setUp() {
        dir = tempDir.resolve("events-0");
    }

    @org.junit.jupiter.api.AfterEach
    void closeFiles() {
        for (PartitionLog log : opened) {
            for (LogSegment segment : log.segments()) {
                try {
                    segment.close();
                } catch (IOException | RuntimeException e) {
                    // already closed
                }
            }
        }
    }

    // ---- appends and reads

    @Test
    void appendAssignsOffsetsAndReadsBack() throws IOException {
        PartitionLog log = open(Map.of(), true, T);

        AppendResult first = append(log, T, rec(T, "a", "1"));
        AppendResult second = append(log, T, rec(T + 1, "b", "2"), rec(T + 2, "c", "3"), rec(T + 3, null, "4"));
        AppendResult third = append(log, T, rec(T + 4, "e", null), rec(T + 5, "f", "6"));

        assertThat(first).isEqualTo(new AppendResult(0, 0, RecordBatch.NO_TIMESTAMP, 0, 1, false));
        assertThat(second).isEqualTo(new AppendResult(1, 3, RecordBatch.NO_TIMESTAMP, 0, 3, false));
        assertThat(third).isEqualTo(new AppendResult(4, 5, RecordBatch.NO_TIMESTAMP, 0, 2, false));
        assertThat(log.logEndOffset()).isEqualTo(6);
        assertThat(log.highWatermark()).isEqualTo(6);
        assertThat(log.logStartOffset()).isZero();
        assertThat(log.appendedBytes()).isEqualTo(log.size()).isPositive();
        assertThat(readAll(log))
                .containsExactly(
                        "0:a=1@" + T,
                        "1:b=2@" + (T + 1),
                        "2:c=3@" + (T + 2),
                        "3:null=4@" + (T + 3),
                        "4:e=null@" + (T + 4),
                        "5:f=6@" + (T + 5));
    }

    @Test
    void storedBatchesCarryTheLeaderEpochAndAValidCrc() throws IOException {
        PartitionLog log = open(Map.of(), true, T);
        append(log, T, 7, rec(T, "a", "1"), rec(T, "b", "2"));
        append(log, T, 9, rec(T, "c", "3"));

        List<RecordBatch> batches = batches(log.read(0, Integer.MAX_VALUE, true).records());

        assertThat(batches).hasSize(2);
        assertThat(batches.get(0).partitionLeaderEpoch()).isEqualTo(7);
        assertThat(batches.get(0).baseOffset()).isZero();
        assertThat(batches.get(0).lastOffset()).isEqualTo(1);
        assertThat(batches.get(1).partitionLeaderEpoch()).isEqualTo(9);
        assertThat(batches.get(1).baseOffset()).isEqualTo(2);
        assertThat(batches).allMatch(RecordBatch::isValid);
    }

    @Test
    void recordsAreInvisibleUntilTheHighWatermarkMoves() throws IOException {
        PartitionLog log = open(Map.of(), true, T);
        MemoryRecords records = MemoryRecords.withRecords(Compression.NONE, rec(T, "a", "1"));
        log.appendAsLeader(BatchValidator.validate(records, log.config(), T), 0, T);

        FetchedData before = log.read(0, Integer.MAX_VALUE, true);
        assertThat(before.sizeInBytes()).isZero();
        assertThat(before.highWatermark()).isZero();
        assertThat(before.logEndOffset()).isEqualTo(1);

        log.maybeIncrementHighWatermark(log.logEndOffset());
        assertThat(log.read(0, Integer.MAX_VALUE, true).sizeInBytes()).isPositive();
    }

    @Test
    void readLimitsAndMinOneBatch() throws IOException {
        PartitionLog log = open(Map.of(), true, T);
        for (int i = 0; i < 3; i++) {
            append(log, T, rec(T, "k" + i, "v".repeat(100)), rec(T, "k" + i, "w".repeat(100)));
        }
        int batchSize = (int) log.size() / 3;

        FetchedData oneByte = log.read(0, 1, true);
        assertThat(oneByte.sizeInBytes()).as("the whole first batch").isEqualTo(batchSize);
        assertThat(batches(oneByte.records())).hasSize(1);

        FetchedData noMinimum = log.read(0, 10, false);
        assertThat(noMinimum.sizeInBytes()).isLessThanOrEqualTo(10);
        assertThat(batches(noMinimum.records())).isEmpty();

        assertThat(batches(log.read(0, 2 * batchSize, false).records())).hasSize(2);
        assertThat(batches(log.read(0, 2 * batchSize + 10, true).records())).hasSize(2);
        assertThat(log.read(0, 2 * batchSize + 10, true).sizeInBytes()).isEqualTo(2 * batchSize + 10);
        assertThat(batches(log.read(0, Integer.MAX_VALUE, false).records())).hasSize(3);

        // an offset inside a batch reads from the start of that batch
        FetchedData middle = log.read(3, 1, true);
        assertThat(batches(middle.records())).singleElement().satisfies(b -> {
            assertThat(b.baseOffset()).isEqualTo(2);
            assertThat(b.lastOffset()).isEqualTo(3);
        });

        FetchedData atEnd = log.read(6, Integer.MAX_VALUE, true);
        assertThat(atEnd.sizeInBytes()).isZero();
        assertThat(atEnd.highWatermark()).isEqualTo(6);
        assertThat(atEnd.logStartOffset()).isZero();
        assertThat(atEnd.logEndOffset()).isEqualTo(6);
    }

    @Test
    void readOutOfRange() throws IOException {
        PartitionLog log = open(Map.of(), true, T);
        for (int i = 0; i < 4; i++) {
            append(log, T, rec(T, "k", "v" + i));
        }

        assertThatThrownBy(() -> log.read(5, 100, true)).isInstanceOf(OffsetOutOfRangeException.class);
        assertThatThrownBy(() -> log.read(-1, 100, true)).isInstanceOf(OffsetOutOfRangeException.class);
        assertThat(log.read(4, 100, true).sizeInBytes()).isZero();

        log.deleteRecordsBefore(2, T);
        assertThatThrownBy(() -> log.read(1, 100, true)).isInstanceOf(OffsetOutOfRangeException.class);
        assertThat(firstOffset(log.read(2, 100, true))).isEqualTo(2);
    }

    @Test
    void readOnAnEmptyLog() throws IOException {
        PartitionLog log = open(Map.of(), true, T);

        FetchedData data = log.read(0, 100, true);

        assertThat(data.sizeInBytes()).isZero();
        assertThat(data.logEndOffset()).isZero();
        assertThatThrownBy(() -> log.read(1, 100, true)).isInstanceOf(OffsetOutOfRangeException.class);
        assertThat(log.maxTimestampAndOffset()).isNull();
        assertThat(log.offsetForTimestamp(0)).isNull();
    }

    @Test
    void logAppendTimeTopicReportsTheAppendTime() throws IOException {
        PartitionLog log = open(Map.of(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime"), true, T);

        AppendResult result = append(log, T + 500, rec(T, "a", "1"));

        assertThat(result.logAppendTime()).isEqualTo(T + 500);
        RecordBatch stored = batches(log.read(0, 1000, true).records()).getFirst();
        assertThat(stored.timestampType()).isEqualTo(TimestampType.LOG_APPEND_TIME);
        assertThat(stored.maxTimestamp()).isEqualTo(T + 500);
        assertThat(stored.isValid()).isTrue();
    }

    // ---- segments

    @Test
    void rollsSegmentsBySegmentBytes() throws IOException {
        PartitionLog log = open(Map.of(TopicConfig.SEGMENT_BYTES_CONFIG, Integer.toString(ONE_MIB)), true, T);
        byte[] value = new byte[200 * 1024];
        for (int i = 0; i < 12; i++) {
            append(log, T, new SimpleRecord(T, ("k" + i).getBytes(UTF_8), value));
        }

        List<LogSegment> segments = log.segments();
        assertThat(segments).extracting(LogSegment::baseOffset).containsExactly(0L, 5L, 10L);
        assertThat(segments).allSatisfy(s -> assertThat(s.size()).isLessThanOrEqualTo(ONE_MIB));
        assertThat(log.segmentCount()).isEqualTo(3);
        assertThat(log.logEndOffset()).isEqualTo(12);
        for (long base : List.of(0L, 5L, 10L)) {
            assertThat(dir.resolve(LogSegment.fileName(base) + ".log")).exists();
        }
        // sealed segments have their indexes written, and the producer state is snapshotted on roll
        assertThat(dir.resolve(LogSegment.fileName(0) + ".index")).exists();
        assertThat(dir.resolve(LogSegment.fileName(5) + ".timeindex")).exists();
        assertThat(dir.resolve(ProducerStateManager.SNAPSHOT_FILE)).exists();

        // a read stays within one segment
        assertThat(batches(log.read(0, Integer.MAX_VALUE, true).records()))
                .extracting(RecordBatch::baseOffset)
                .containsExactly(0L, 1L, 2L, 3L, 4L);
        for (long offset = 0; offset < 12; offset++) {
            assertThat(firstOffset(log.read(offset, 1, true))).isEqualTo(offset);
        }
    }

    @Test
    void rollsSegmentsBySegmentMs() throws IOException {
        PartitionLog log = open(Map.of(TopicConfig.SEGMENT_MS_CONFIG, Long.toString(HOUR)), true, T);

        append(log, T, rec(T, "a", "1"));
        append(log, T + HOUR, rec(T + HOUR, "b", "2"));
        append(log, T + HOUR + 1, rec(T + HOUR, "c", "3"));

        assertThat(log.segmentCount()).isEqualTo(2);
        assertThat(log.segments()).extracting(LogSegment::baseOffset).containsExactly(0L, 2L);
    }

    // ---- retention and DeleteRecords

    @Test
    void retentionBytesRemovesOldestSegments() throws IOException {
        PartitionLog log = open(Map.of(TopicConfig.SEGMENT_BYTES_CONFIG, Integer.toString(ONE_MIB)), true, T);
        byte[] value = new byte[300 * 1024];
        for (int i = 0; i < 10; i++) {
            append(log, T, new SimpleRecord(T, ("k" + i).getBytes(UTF_8), value));
        }
        List<LogSegment> before = log.segments();
        assertThat(before).hasSize(4); // 3 + 3 + 3 + 1 batches
        long total = log.size();
        long firstSize = before.get(0).size();

        log.updateConfig(config(Map.of(TopicConfig.RETENTION_BYTES_CONFIG, "-1")));
        assertThat(log.applyRetention(T)).isZero();

        // exactly enough to keep all but the oldest segment
        log.updateConfig(config(Map.of(TopicConfig.RETENTION_BYTES_CONFIG, Long.toString(total - firstSize))));
        assertThat(log.applyRetention(T)).isEqualTo(1);
        assertThat(log.logStartOffset()).isEqualTo(3);
        assertThat(log.segmentCount()).isEqualTo(3);
        assertThat(dir.resolve(LogSegment.fileName(0) + ".log")).doesNotExist();
        assertThat(dir.resolve(LogSegment.fileName(0) + ".log.deleted")).doesNotExist();
        assertThat(dir.resolve(LogSegment.fileName(0) + ".index")).doesNotExist();
        assertThatThrownBy(() -> log.read(2, 100, true)).isInstanceOf(OffsetOutOfRangeException.class);
        assertThat(firstOffset(log.read(3, 100, true))).isEqualTo(3);

        // a tiny limit removes every sealed segment, never the active one
        log.updateConfig(config(Map.of(TopicConfig.RETENTION_BYTES_CONFIG, "1")));
        assertThat(log.applyRetention(T)).isEqualTo(2);
        assertThat(log.segmentCount()).isEqualTo(1);
        assertThat(log.logStartOffset()).isEqualTo(9);
        assertThat(log.logEndOffset()).isEqualTo(10);
        assertThat(readAll(log)).hasSize(1);
    }

    @Test
    void retentionMsRemovesSegmentsWhoseNewestRecordIsTooOld() throws IOException {
        PartitionLog log = open(
                Map.of(
                        TopicConfig.SEGMENT_MS_CONFIG,
                        Long.toString(HOUR),
                        TopicConfig.RETENTION_MS_CONFIG,
                        Long.toString(DAY)),
                true,
                T);
        append(log, T, rec(T, "a", "1")); // segment 0, newest record T
        append(log, T + 2 * HOUR, rec(T + 2 * HOUR, "b", "2")); // segment 1
        append(log, T + 4 * HOUR, rec(T + 4 * HOUR, "c", "3")); // segment 2, active
        assertThat(log.segmentCount()).isEqualTo(3);

        assertThat(log.applyRetention(T + DAY)).isZero();
        assertThat(log.applyRetention(T + 2 * HOUR + DAY)).isEqualTo(1);
        assertThat(log.logStartOffset()).isEqualTo(1);

        assertThat(log.applyRetention(T + 2 * HOUR + DAY + 1)).isEqualTo(1);
        assertThat(log.logStartOffset()).isEqualTo(2);
        assertThat(log.segmentCount()).isEqualTo(1);
        assertThat(readAll(log)).containsExactly("2:c=3@" + (T + 4 * HOUR));
    }

    @Test
    void retentionMsFarInTheFutureEmptiesTheLogAndAppendsGoOn() throws IOException {
        PartitionLog log = open(Map.of(TopicConfig.SEGMENT_BYTES_CONFIG, Integer.toString(ONE_MIB)), true, T);
        byte[] value = new byte[300 * 1024];
        for (int i = 0; i < 5; i++) {
            append(log, T, new SimpleRecord(T, ("k" + i).getBytes(UTF_8), value));
        }
        assertThat(log.segmentCount()).isEqualTo(2);

        int removed = log.applyRetention(T + 365 * DAY);

        assertThat(removed).isEqualTo(2);
        assertThat(log.logStartOffset()).isEqualTo(5);
        assertThat(log.logEndOffset()).isEqualTo(5);
        assertThat(log.segmentCount()).isEqualTo(1);
        assertThat(log.size()).isZero();
        assertThat(log.read(5, 100, true).sizeInBytes()).isZero();
        assertThatThrownBy(() -> log.read(4, 100, true)).isInstanceOf(OffsetOutOfRangeException.class);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.contains(".log")))
                    .containsExactly(LogSegment.fileName(5) + ".log");
        }

        AppendResult next = append(log, T + 365 * DAY, rec(T + 365 * DAY, "z", "26"));
        assertThat(next.firstOffset()).isEqualTo(5);
        assertThat(next.logStartOffset()).isEqualTo(5);
        assertThat(readAll(log)).containsExactly("5:z=26@" + (T + 365 * DAY));
    }

    @Test
    void retentionDoesNotApplyToCompactedTopics() throws IOException {
        PartitionLog log = open(
                Map.of(
                        TopicConfig.CLEANUP_POLICY_CONFIG,
                        TopicConfig.CLEANUP_POLICY_COMPACT,
                        TopicConfig.RETENTION_BYTES_CONFIG,
                        "1"),
                true,
                T);
        append(log, T, rec(T, "a", "1"));

        assertThat(log.applyRetention(T + 365 * DAY)).isZero();
        assertThat(log.logStartOffset()).isZero();
    }

    @Test
    void deleteRecordsBeforeAdvancesTheLogStart() throws IOException {
        PartitionLog log = open(Map.of(TopicConfig.SEGMENT_MS_CONFIG, Long.toString(HOUR)), true, T);
        for (int i = 0; i < 3; i++) {
            append(log, T, rec(T, "k", "a" + i)); // segment 0: offsets 0-2
        }
        for (int i = 0; i < 3; i++) {
            append(log, T + 2 * HOUR, rec(T + 2 * HOUR, "k", "b" + i)); // segment 3: offsets 3-5
        }
        assertThat(log.segmentCount()).isEqualTo(2);

        assertThat(log.deleteRecordsBefore(2, T)).isEqualTo(2);
        assertThat(log.segmentCount()).isEqualTo(2);
        assertThatThrownBy(() -> log.read(1, 100, true)).isInstanceOf(OffsetOutOfRangeException.class);
        assertThat(firstOffset(log.read(2, 100, true))).isEqualTo(2);

        assertThat(log.deleteRecordsBefore(1, T)).as("never moves back").isEqualTo(2);
        assertThatThrownBy(() -> log.deleteRecordsBefore(7, T)).isInstanceOf(OffsetOutOfRangeException.class);

        assertThat(log.deleteRecordsBefore(3, T)).isEqualTo(3);
        assertThat(log.segmentCount()).isEqualTo(1);
        assertThat(dir.resolve(LogSegment.fileName(0) + ".log")).doesNotExist();

        // -1: up to the high watermark, the whole log
        assertThat(log.deleteRecordsBefore(-1, T)).isEqualTo(6);
        assertThat(log.logStartOffset()).isEqualTo(6);
        assertThat(log.logEndOffset()).isEqualTo(6);
        assertThat(log.size()).isZero();

        assertThat(append(log, T + 2 * HOUR, rec(T + 2 * HOUR, "k", "c")).firstOffset())
                .isEqualTo(6);
    }

    @Test
    void deleteRecordsBeforeIsBoundedByTheHighWatermark() throws IOException {
        PartitionLog log = open(Map.of(), true, T);
        MemoryRecords records = MemoryRecords.withRecords(Compression.NONE, rec(T, "a", "1"));
        log.appendAsLeader(BatchValidator.validate(records, log.config(), T), 0, T);

        assertThatThrownBy(() -> log.deleteRecordsBefore(1, T)).isInstanceOf(OffsetOutOfRangeException.class);
        assertThat(log.deleteRecordsBefore(-1, T)).isZero();
    }

    @Test
    void logStartOffsetSurvivesReopen() throws IOException {
        PartitionLog log = open(Map.of(), true, T);
        for (int i = 0; i < 5; i++) {
            append(log, T, rec(T, "k", "v" + i));
        }
        log.deleteRecordsBefore(3, T);
        log.close();

        PartitionLog reopened = open(Map.of(), true, T);
        assertThat(reopened.logStartOffset()).isEqualTo(3);
        assertThat(readAll(reopened)).extracting(s -> s.substring(0, 1)).containsExactly("3", "4");
        reopened.close();

        PartitionLog unclean = open(Map.of(), false, T);
        assertThat(unclean.logStartOffset()).isEqualTo(3);
    }

    // ---- close, reopen, recovery

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void reopenAfterCloseGivesTheSameLog(boolean cleanShutdown) throws IOException {
        PartitionLog log = open(Map.of(TopicConfig.SEGMENT_MS_CONFIG, Long.toString(HOUR)), true, T);
        writeThreeSegments(log);
        List<String> before = readAll(log);
        long end = log.logEndOffset();
        long size = log.size();
        log.close();

        PartitionLog reopened = open(Map.of(TopicConfig.SEGMENT_MS_CONFIG, Long.toString(HOUR)), cleanShutdown, T);

        assertThat(reopened.logEndOffset()).isEqualTo(end);
        assertThat(reopened.highWatermark()).isEqualTo(end);
        assertThat(reopened.recoveryPoint()).isEqualTo(end);
        assertThat(reopened.segmentCount()).isEqualTo(3);
        assertThat(reopened.size()).isEqualTo(size);
        assertThat(readAll(reopened)).isEqualTo(before);
        assertThat(append(reopened, T + 4 * HOUR, rec(T + 4 * HOUR, "z", "z")).firstOffset())
                .isEqualTo(end);
    }

    @Test
    void reopenAfterACrashGivesTheSameLog() throws IOException {
        PartitionLog log = open(Map.of(TopicConfig.SEGMENT_MS_CONFIG, Long.toString(HOUR)), true, T);
        writeThreeSegments(log);
        List<String> before = readAll(log);
        long end = log.logEndOffset();
        crash(log);

        PartitionLog reopened = open(Map.of(TopicConfig.SEGMENT_MS_CONFIG, Long.toString(HOUR)), false, T);

        assertThat(reopened.logEndOffset()).isEqualTo(end);
        assertThat(reopened.segmentCount()).isEqualTo(3);
        assertThat(readAll(reopened, FetchIsolation.LOG_END)).isEqualTo(before);
        assertThat(reopened.recoveryPoint()).isLessThanOrEqualTo(end);
        // no high watermark checkpoint was written before the crash: nothing counts as committed
        assertThat(reopened.highWatermark()).isZero();
    }

    @Test
    void closeWritesIndexesForAFastTrustedOpen() throws IOException {
        PartitionLog log = open(Map.of(TopicConfig.SEGMENT_MS_CONFIG, Long.toString(HOUR)), true, T);
        writeThreeSegments(log);
        log.close();

        for (LogSegment segment : log.segments()) {
            String name = LogSegment.fileName(segment.baseOffset());
            assertThat(dir.resolve(name + ".index")).exists();
            assertThat(dir.resolve(name + ".timeindex")).exists();
        }
        assertThat(Files.readString(dir.resolve(PartitionLog.RECOVERY_POINT_FILE)))
                .isEqualTo(Long.toString(log.logEndOffset()));
        assertThat(Files.readString(dir.resolve(PartitionLog.METADATA_FILE))).contains(TOPIC_ID.toString());
    }

    @Test
    void inconsistentIndexFilesAreRebuiltOnATrustedOpen() throws IOException {
        PartitionLog log = open(Map.of(TopicConfig.SEGMENT_MS_CONFIG, Long.toString(HOUR)), true, T);
        writeThreeSegments(log);
        List<String> before = readAll(log);
        log.close();
        Files.write(dir.resolve(LogSegment.fileName(0) + ".index"), new byte[] {1, 2, 3});
        Files.write(dir.resolve(LogSegment.fileName(2) + ".timeindex"), new byte[24]);
        Files.delete(dir.resolve(LogSegment.fileName(4) + ".index"));

        PartitionLog reopened = open(Map.of(TopicConfig.SEGMENT_MS_CONFIG, Long.toString(HOUR)), true, T);

        assertThat(readAll(reopened)).isEqualTo(before);
        for (long offset = 0; offset < reopened.logEndOffset(); offset++) {
            assertThat(firstOffsetAtOrBelow(reopened.read(offset, 1, true), offset))
                    .isTrue();
        }
    }

    @Test
    void tailCutMidBatchIsCutBackToTheLastValidBatch() throws IOException {
        PartitionLog log = open(Map.of(), true, T);
        append(log, T, rec(T, "a", "1"));
        append(log, T, rec(T, "b", "2"), rec(T, "c", "3"));
        long twoBatches = log.size();
        append(log, T, rec(T, "d", "4"), rec(T, "e", "5"));
        log.close();
        Path file = dir.resolve(LogSegment.fileName(0) + ".log");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(channel.size() - 7);
        }

        PartitionLog reopened = open(Map.of(), false, T);

        assertThat(reopened.logEndOffset()).isEqualTo(3);
        assertThat(reopened.size()).isEqualTo(twoBatches);
        assertThat(Files.size(file)).isEqualTo(twoBatches);
        assertThat(reopened.recoveryPoint()).isLessThanOrEqualTo(3);
        assertThat(readAll(reopened)).extracting(s -> s.substring(0, 5)).containsExactly("0:a=1", "1:b=2", "2:c=3");
        assertThat(append(reopened, T, rec(T, "f", "6")).firstOffset()).isEqualTo(3);
        assertThat(readAll(reopened)).hasSize(4);
    }

    enum Garbage {
        ZEROS,
        RANDOM,
        HUGE_LENGTH,
        CORRUPT_COPY_OF_LAST_BATCH,
        REPEATED_LAST_BATCH
    }

    @ParameterizedTest
    @EnumSource(Garbage.class)
    void garbageAfterTheLastBatchIsCutOnAnUncleanOpen(Garbage garbage) throws IOException {
        PartitionLog log = open(Map.of(), true, T);
        append(log, T, rec(T, "a", "1"));
        append(log, T, rec(T, "b", "2"), rec(T, "c", "3"));
        long size = log.size();
        byte[] lastBatch = batchBytes(log.read(1, 1, true).records());
        log.close();
        Path file = dir.resolve(LogSegment.fileName(0) + ".log");
        byte[] tail = switch (garbage) {
            case ZEROS -> new byte[100];
            case RANDOM -> {
                byte[] random = new byte[333];
                new Random(42).nextBytes(random);
                yield random;
            }
            case HUGE_LENGTH ->
                ByteBuffer.allocate(40)
                        .putLong(3)
                        .putInt(Integer.MAX_VALUE - 100)
                        .array();
            case CORRUPT_COPY_OF_LAST_BATCH -> {
                byte[] copy = lastBatch.clone();
                ByteBuffer.wrap(copy).putLong(0, 3); // a plausible next offset
                copy[copy.length - 1] ^= 0x55;
                yield copy;
            }
            case REPEATED_LAST_BATCH -> lastBatch.clone(); // offsets going backwards
        };
        Files.write(file, tail, StandardOpenOption.APPEND);

        PartitionLog reopened = open(Map.of(), false, T);

        assertThat(reopened.logEndOffset()).isEqualTo(3);
        assertThat(reopened.size()).isEqualTo(size);
        assertThat(Files.size(file)).isEqualTo(size);
        assertThat(readAll(reopened)).hasSize(3);
        assertThat(append(reopened, T, rec(T, "d", "4")).firstOffset()).isEqualTo(3);
    }

    @Test
    void corruptBatchInAnEarlierSegmentCutsTheLogThere() throws IOException {
        PartitionLog log = open(Map.of(TopicConfig.SEGMENT_MS_CONFIG, Long.toString(HOUR)), true, T);
        writeThreeSegments(log); // segments 0 (0-1), 2 (2-3), 4 (4-5)
        log.close();
        Files.delete(dir.resolve(PartitionLog.RECOVERY_POINT_FILE)); // nothing known to be flushed
        Path file = dir.resolve(LogSegment.fileName(2) + ".log");
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 3] ^= 0x7f; // inside the batch of offset 3
        Files.write(file, bytes);

        PartitionLog reopened = open(Map.of(TopicConfig.SEGMENT_MS_CONFIG, Long.toString(HOUR)), false, T);

        assertThat(reopened.logEndOffset()).isEqualTo(3);
        assertThat(reopened.segmentCount()).isEqualTo(2);
        assertThat(dir.resolve(LogSegment.fileName(4) + ".log")).doesNotExist();
        assertThat(readAll(reopened)).extracting(s -> s.substring(0, 1)).containsExactly("0", "1", "2");
    }

    @Test
    void segmentsBeforeTheRecoveryPointAreTrustedOnAnUncleanOpen() throws IOException {
        PartitionLog log = open(Map.of(TopicConfig.SEGMENT_MS_CONFIG, Long.toString(HOUR)), true, T);
        writeThreeSegments(log);
        log.flush(T);
        assertThat(log.recoveryPoint()).isEqualTo(6);
        crash(log);

        PartitionLog reopened = open(Map.of(TopicConfig.SEGMENT_MS_CONFIG, Long.toString(HOUR)), false, T);

        assertThat(reopened.recoveryPoint()).isEqualTo(6);
        assertThat(reopened.logEndOffset()).isEqualTo(6);
    }

    // ---- idempotent producers across restarts

    enum Restart {
        CLEAN,
        CLEAN_WITH_CORRUPT_SNAPSHOT,
        CRASH
    }

    @ParameterizedTest
    @EnumSource(Restart.class)
    void producerStateSurvivesReopen(Restart restart) throws IOException {
        PartitionLog log = open(Map.of(), true, T);
        AppendResult first = append(log, T, idempotent(7L, (short) 1, 0, "a", "b"));
        append(log, T, rec(T, "x", "plain"));
        AppendResult second = append(log, T, idempotent(7L, (short) 1, 2, "c"));
        PartitionLog reopened = restart(log, restart, Map.of());

        AppendResult retry = append(reopened, T, idempotent(7L, (short) 1, 2, "c"));
        assertThat(retry.duplicate()).isTrue();
        assertThat(retry.firstOffset()).isEqualTo(second.firstOffset());
        assertThat(retry.lastOffset()).isEqualTo(second.lastOffset());
        AppendResult olderRetry = append(reopened, T, idempotent(7L, (short) 1, 0, "a", "b"));
        assertThat(olderRetry.duplicate()).isTrue();
        assertThat(olderRetry.firstOffset()).isEqualTo(first.firstOffset());
        assertThat(olderRetry.lastOffset()).isEqualTo(first.lastOffset());
        assertThat(reopened.logEndOffset()).isEqualTo(4);

        assertThatThrownBy(() -> append(reopened, T, idempotent(7L, (short) 1, 5, "gap")))
                .isInstanceOf(OutOfOrderSequenceException.class);
        assertThatThrownBy(() -> append(reopened, T, idempotent(7L, (short) 0, 3, "fenced")))
                .isInstanceOf(InvalidProducerEpochException.class);
        AppendResult next = append(reopened, T, idempotent(7L, (short) 1, 3, "d"));
        assertThat(next.duplicate()).isFalse();
        assertThat(next.firstOffset()).isEqualTo(4);
    }

    @Test
    void producerStateIsRebuiltFromTheRollSnapshotAndTheLogAfterIt() throws IOException {
        Map<String, String> overrides = Map.of(TopicConfig.SEGMENT_MS_CONFIG, Long.toString(HOUR));
        PartitionLog log = open(overrides, true, T);
        AppendResult first = append(log, T, idempotent(7L, (short) 0, 0, "a"));
        AppendResult other = append(log, T, idempotent(8L, (short) 0, 10, "p"));
        append(log, T + 2 * HOUR, rec(T + 2 * HOUR, "roll", "x")); // rolls; snapshot at offset 2
        AppendResult second = append(log, T + 2 * HOUR, idempotent(7L, (short) 0, 1, "b"));
        crash(log);

        PartitionLog reopened = open(overrides, false, T + 2 * HOUR);

        assertThat(append(reopened, T + 2 * HOUR, idempotent(7L, (short) 0, 0, "a"))
                        .firstOffset())
                .isEqualTo(first.firstOffset());
        assertThat(append(reopened, T + 2 * HOUR, idempotent(7L, (short) 0, 1, "b"))
                        .firstOffset())
                .isEqualTo(second.firstOffset());
        assertThat(append(reopened, T + 2 * HOUR, idempotent(8L, (short) 0, 10, "p"))
                        .firstOffset())
                .isEqualTo(other.firstOffset());
        assertThat(reopened.logEndOffset()).isEqualTo(4);
    }

    @Test
    void duplicateRetryWritesNothing() throws IOException {
        PartitionLog log = open(Map.of(), true, T);
        append(log, T, idempotent(7L, (short) 0, 0, "a", "b", "c"));
        long size = log.size();

        AppendResult retry = append(log, T, idempotent(7L, (short) 0, 0, "a", "b", "c"));

        assertThat(retry).isEqualTo(new AppendResult(0, 2, RecordBatch.NO_TIMESTAMP, 0, 0, true));
        assertThat(log.size()).isEqualTo(size);
        assertThat(log.logEndOffset()).isEqualTo(3);
    }

    @Test
    void rejectedAppendChangesNothing() throws IOException {
        PartitionLog log = open(Map.of(), true, T);
        append(log, T, idempotent(7L, (short) 0, 0, "a"));

        assertThatThrownBy(() -> append(log, T, idempotent(7L, (short) 0, 2, "gap")))
                .isInstanceOf(OutOfOrderSequenceException.class);

        assertThat(log.logEndOffset()).isEqualTo(1);
        assertThat(append(log, T, idempotent(7L, (short) 0, 1, "b")).firstOffset())
                .isEqualTo(1);
    }

    @Test
    void acceptsConsecutiveBatchesOfAKnownProducerInOneRequest() throws IOException {
        PartitionLog log = open(Map.of(), true, T);
        append(log, T, idempotent(7L, (short) 0, 0, "a"));

        MemoryRecords twoBatches = concat(idempotent(7L, (short) 0, 1, "b"), idempotent(7L, (short) 0, 2, "c"));
        AppendResult result = log.appendAsLeader(BatchValidator.validate(twoBatches, log.config(), T), 0, T);

        assertThat(result.firstOffset()).isEqualTo(1);
        assertThat(result.lastOffset()).isEqualTo(2);
    }

    @Test
    void acceptsConsecutiveBatchesOfANewProducerInOneRequest() throws IOException {
        PartitionLog log = open(Map.of(), true, T);
        MemoryRecords twoBatches = concat(idempotent(7L, (short) 0, 0, "a"), idempotent(7L, (short) 0, 1, "b"));

        AppendResult result = log.appendAsLeader(BatchValidator.validate(twoBatches, log.config(), T), 0, T);
        log.maybeIncrementHighWatermark(log.logEndOffset());

        assertThat(result.firstOffset()).isZero();
        assertThat(result.lastOffset()).isEqualTo(1);
        assertThat(append(log, T, idempotent(7L, (short) 0, 1, "b")).duplicate())
                .isTrue();
    }

    @Test
    void producersOfRemovedSegmentsAreForgotten() throws IOException {
        Map<String, String> overrides = Map.of(TopicConfig.SEGMENT_MS_CONFIG, Long.toString(HOUR));
        PartitionLog log = open(overrides, true, T);
        append(log, T, idempotent(7L, (short) 0, 0, "a"));
        append(log, T + 2 * HOUR, rec(T + 2 * HOUR, "roll", "x"));

        log.deleteRecordsBefore(1, T + 2 * HOUR);

        // nothing is known about producer 7 any more: any sequence is accepted
        assertThat(append(log, T + 2 * HOUR, idempotent(7L, (short) 0, 9, "b")).duplicate())
                .isFalse();
    }

    // ---- timestamps

    @Test
    void offsetForTimestampFindsTheFirstRecordAtOrAfterIt() throws IOException {
        PartitionLog log = open(Map.of(TopicConfig.SEGMENT_MS_CONFIG, Long.toString(HOUR)), true, T);
        append(log, T, rec(T + 10, "a", "0"), rec(T + 20, "b", "1"));
        append(log, T, rec(T + 30, "c", "2"));
        append(log, T + 2 * HOUR, rec(T + 40, "d", "3"), rec(T + 25, "e", "4")); // a new segment
        append(log, T + 2 * HOUR, rec(T + 50, "f", "5"));

        assertThat(at(log.offsetForTimestamp(0))).isEqualTo("0@" + (T + 10));
        assertThat(at(log.offsetForTimestamp(T + 10))).isEqualTo("0@" + (T + 10));
        assertThat(at(log.offsetForTimestamp(T + 15))).isEqualTo("1@" + (T + 20));
        assertThat(at(log.offsetForTimestamp(T + 21))).isEqualTo("2@" + (T + 30));
        assertThat(at(log.offsetForTimestamp(T + 31))).isEqualTo("3@" + (T + 40));
        assertThat(at(log.offsetForTimestamp(T + 41))).isEqualTo("5@" + (T + 50));
        assertThat(log.offsetForTimestamp(T + 51)).isNull();

        log.deleteRecordsBefore(2, T);
        assertThat(at(log.offsetForTimestamp(0))).isEqualTo("2@" + (T + 30));
    }

    @Test
    void maxTimestampAndOffsetFindsTheFirstRecordWithTheLargestTimestamp() throws IOException {
        PartitionLog log = open(Map.of(TopicConfig.SEGMENT_MS_CONFIG, Long.toString(HOUR)), true, T);
        assertThat(log.maxTimestampAndOffset()).isNull();
        append(log, T, rec(T + 10, "a", "0"), rec(T + 90, "b", "1"));
        append(log, T, rec(T + 30, "c", "2"));
        append(log, T + 2 * HOUR, rec(T + 40, "d", "3"), rec(T + 90, "e", "4")); // a tie, later
        append(log, T + 2 * HOUR, rec(T + 50, "f", "5"));

        assertThat(at(log.maxTimestampAndOffset())).isEqualTo("1@" + (T + 90));

        append(log, T + 2 * HOUR, rec(T + 91, "g", "6"));
        assertThat(at(log.maxTimestampAndOffset())).isEqualTo("6@" + (T + 91));
    }

    @Test
    void timestampLookupsAreTheSameAfterAnUncleanReopen() throws IOException {
        // small batches: with the default index.interval.bytes only the first is indexed
        PartitionLog log = open(Map.of(), true, T);
        append(log, T, rec(T + 1000, "a", "0"));
        append(log, T, rec(T + 4000, "b", "1"));
        append(log, T, rec(T + 5000, "c", "2"));
        append(log, T, rec(T + 3000, "d", "3"));
        assertThat(at(log.maxTimestampAndOffset())).isEqualTo("2@" + (T + 5000));
        assertThat(at(log.offsetForTimestamp(T + 4500))).isEqualTo("2@" + (T + 5000));
        log.close();

        PartitionLog reopened = open(Map.of(), false, T);

        assertThat(at(reopened.maxTimestampAndOffset())).isEqualTo("2@" + (T + 5000));
        assertThat(at(reopened.offsetForTimestamp(T + 4500))).isEqualTo("2@" + (T + 5000));
    }

    @Test
    void cleanOpenKnowsTheLargestTimestampOfUnindexedBatches() throws IOException {
        PartitionLog log = open(Map.of(), true, T);
        append(log, T, rec(T + 1000, "a", "0"));
        append(log, T, rec(T + 4000, "b", "1"));
        append(log, T, rec(T + 5000, "c", "2"));
        append(log, T, rec(T + 3000, "d", "3"));
        log.close();

        PartitionLog reopened = open(Map.of(), true, T);

        assertThat(at(reopened.maxTimestampAndOffset())).isEqualTo("2@" + (T + 5000));
        assertThat(at(reopened.offsetForTimestamp(T + 4500))).isEqualTo("2@" + (T + 5000));
    }

    // ---- replication: leader epochs

    @Test
    void leaderAppendsRecordWhereEachNewerEpochBegins() throws IOException {
        PartitionLog log = open(Map.of(), true, T);
        append(log, T, 0, rec(T, "a", "0"));
        append(log, T, 0, rec(T, "b", "1"));
        append(log, T, 3, rec(T, "c", "2"), rec(T, "d", "3"));
        append(log, T, 2, rec(T, "stale", "4")); // an older epoch is stamped but starts nothing

        assertThat(log.epochEntries()).containsExactly(epoch(0, 0), epoch(3, 2));
        assertThat(log.latestEpoch()).hasValue(3);
        assertThat(log.endOffsetForEpoch(0)).isEqualTo(new OffsetAndEpoch(2, 0));
        assertThat(log.endOffsetForEpoch(1)).isEqualTo(new OffsetAndEpoch(2, 0));
        assertThat(log.endOffsetForEpoch(3)).isEqualTo(new OffsetAndEpoch(5, 3));
        assertThat(log.endOffsetForEpoch(4)).isEqualTo(OffsetAndEpoch.UNDEFINED);
        assertThat(log.epochForOffset(3)).hasValue(3);

        // a new leader records its epoch at its log end offset when it takes over
        log.assignEpochStartOffset(5, log.logEndOffset());
        assertThat(log.endOffsetForEpoch(3)).isEqualTo(new OffsetAndEpoch(5, 3));
        assertThat(log.endOffsetForEpoch(5)).isEqualTo(new OffsetAndEpoch(5, 5));
        assertThat(log.epochStartOffset(5)).hasValue(5);
        assertThat(log.epochStartOffset(4)).isEmpty();
    }

    @Test
    void theEpochHistorySurvivesReopenAndIsRebuiltFromTheBatchesWithoutItsCheckpoint() throws IOException {
        PartitionLog log = open(Map.of(TopicConfig.SEGMENT_MS_CONFIG, Long.toString(HOUR)), true, T);
        append(log, T, 0, rec(T, "a", "0"));
        append(log, T + 2 * HOUR, 2, rec(T + 2 * HOUR, "b", "1"));
        append(log, T + 2 * HOUR, 2, rec(T + 2 * HOUR, "c", "2"));
        append(log, T + 4 * HOUR, 5, rec(T + 4 * HOUR, "d", "3"));
        List<LeaderEpochCache.EpochEntry> history = log.epochEntries();
        assertThat(history).containsExactly(epoch(0, 0), epoch(2, 1), epoch(5, 3));
        log.close();

        assertThat(open(Map.of(), true, T).epochEntries()).isEqualTo(history);

        Files.delete(dir.resolve(LeaderEpochCache.FILE));
        assertThat(open(Map.of(), false, T).epochEntries()).isEqualTo(history);
        assertThat(dir.resolve(LeaderEpochCache.FILE)).exists();
    }

    // ---- replication: follower appends

    @Test
    void aFollowerStoresTheLeadersBatchesByteForByte() throws IOException {
        PartitionLog leader = open(Map.of(TopicConfig.SEGMENT_MS_CONFIG, Long.toString(HOUR)), true, T);
        append(leader, T, 0, rec(T, "a", "0"), rec(T + 1, "b", "1"));
        append(leader, T, 0, idempotent(7L, (short) 0, 0, "c", "d"));
        append(leader, T + 2 * HOUR, 2, rec(T + 2 * HOUR, "e", "4")); // a new segment on the leader
        append(
                leader,
                T + 2 * HOUR,
                2,
                MemoryRecords.withRecords(
                        Compression.gzip().build(), rec(T + 2 * HOUR, "f", "5"), rec(T + 2 * HOUR, "g", "6")));
        byte[] leaderBytes = bytesOf(leader);
        PartitionLog follower = openReplica("follower");

        AppendResult result = follower.appendAsFollower(records(leaderBytes));

        assertThat(result).isEqualTo(new AppendResult(0, 6, RecordBatch.NO_TIMESTAMP, 0, 7, false));
        assertThat(follower.logEndOffset()).isEqualTo(leader.logEndOffset()).isEqualTo(7);
        assertThat(bytesOf(follower)).isEqualTo(leaderBytes);
        assertThat(follower.epochEntries()).isEqualTo(leader.epochEntries()).containsExactly(epoch(0, 0), epoch(2, 4));
        assertThat(follower.endOffsetForEpoch(0)).isEqualTo(new OffsetAndEpoch(4, 0));
        // nothing is committed on a follower until the leader says so
        assertThat(follower.highWatermark()).isZero();
        assertThat(follower.read(0, Integer.MAX_VALUE, true).sizeInBytes()).isZero();
        follower.updateHighWatermarkAsFollower(leader.highWatermark());
        assertThat(readAll(follower)).isEqualTo(readAll(leader));
    }

    @Test
    void aFollowerAppendLeavesOutATornLastBatch() throws IOException {
        PartitionLog leader = open(Map.of(), true, T);
        for (int i = 0; i < 3; i++) {
            append(leader, T, 0, rec(T, "k" + i, "v" + i));
        }
        byte[] leaderBytes = bytesOf(leader);
        int batchSize = leaderBytes.length / 3;
        PartitionLog follower = openReplica("follower");

        // a fetch response cut by its size limit in the middle of the third batch
        AppendResult first = follower.appendAsFollower(records(Arrays.copyOf(leaderBytes, 2 * batchSize + 10)));

        assertThat(first.firstOffset()).isZero();
        assertThat(first.lastOffset()).isEqualTo(1);
        assertThat(follower.logEndOffset()).isEqualTo(2);
        assertThat(follower.size()).isEqualTo(2L * batchSize);
        assertThat(follower.appendAsFollower(records(Arrays.copyOf(leaderBytes, 0)))
                        .records())
                .isZero();

        follower.appendAsFollower(records(Arrays.copyOfRange(leaderBytes, 2 * batchSize, leaderBytes.length)));
        assertThat(bytesOf(follower)).isEqualTo(leaderBytes);
    }

    @Test
    void aFollowerAppendMustBeIntactAndStartAtOrAfterTheLogEnd() throws IOException {
        PartitionLog leader = open(Map.of(), true, T);
        append(leader, T, 0, rec(T, "a", "0"));
        append(leader, T, 0, rec(T, "b", "1"));
        byte[] leaderBytes = bytesOf(leader);
        PartitionLog follower = openReplica("follower");
        follower.appendAsFollower(records(leaderBytes));
        long size = follower.size();

        assertThatThrownBy(() -> follower.appendAsFollower(records(leaderBytes)))
                .isInstanceOfSatisfying(UnexpectedAppendOffsetException.class, e -> {
                    assertThat(e.firstOffset()).isZero();
                    assertThat(e.lastOffset()).isEqualTo(1);
                });

        MemoryRecords corrupt = withBaseOffset(leaderBytes, 2);
        ByteBuffer buffer = corrupt.buffer();
        buffer.put(buffer.limit() - 1, (byte) (buffer.get(buffer.limit() - 1) ^ 0x01));
        assertThatThrownBy(() -> follower.appendAsFollower(corrupt)).isInstanceOf(CorruptRecordException.class);

        MemoryRecords backwards = concat(withBaseOffset(leaderBytes, 5), withBaseOffset(leaderBytes, 3));
        assertThatThrownBy(() -> follower.appendAsFollower(backwards)).isInstanceOf(CorruptRecordException.class);

        assertThat(follower.logEndOffset()).isEqualTo(2);
        assertThat(follower.size()).isEqualTo(size);

        // a gap (the leader compacted those offsets away) is fine
        AppendResult gap = follower.appendAsFollower(withBaseOffset(leaderBytes, 10));
        assertThat(gap.firstOffset()).isEqualTo(10);
        assertThat(follower.logEndOffset()).isEqualTo(12);
        follower.updateHighWatermarkAsFollower(12);
        assertThat(readAll(follower))
                .extracting(s -> s.substring(0, s.indexOf(':')))
                .containsExactly("0", "1", "10", "11");
    }

    @Test
    void aFollowerThatBecomesLeaderKnowsItsProducersSequences() throws IOException {
        PartitionLog leader = open(Map.of(), true, T);
        append(leader, T, 0, idempotent(7L, (short) 0, 0, "a", "b"));
        append(leader, T, 0, rec(T, "x", "plain"));
        append(leader, T, 0, idempotent(7L, (short) 0, 2, "c"));
        PartitionLog follower = openReplica("follower");
        follower.appendAsFollower(records(bytesOf(leader)));

        // the leader fails; the follower leads in epoch 1
        follower.assignEpochStartOffset(1, follower.logEndOffset());
        AppendResult retry = append(follower, T, 1, idempotent(7L, (short) 0, 2, "c"));
        assertThat(retry.duplicate()).isTrue();
        assertThat(retry.firstOffset()).isEqualTo(3);
        assertThatThrownBy(() -> append(follower, T, 1, idempotent(7L, (short) 0, 4, "gap")))
                .isInstanceOf(OutOfOrderSequenceException.class);
        AppendResult next = append(follower, T, 1, idempotent(7L, (short) 0, 3, "d"));
        assertThat(next.duplicate()).isFalse();
        assertThat(next.firstOffset()).isEqualTo(4);
        assertThat(follower.epochEntries()).containsExactly(epoch(0, 0), epoch(1, 4));
    }

    @Test
    void listenersHearAppendsAndHighWatermarkMoves() throws IOException {
        PartitionLog leader = open(Map.of(), true, T);
        appendUncommitted(leader, 0, rec(T, "a", "0"));
        PartitionLog follower = openReplica("follower");
        AtomicInteger appends = new AtomicInteger();
        AtomicInteger moves = new AtomicInteger();
        Consumer<PartitionLog> onAppend = log -> appends.incrementAndGet();
        Consumer<PartitionLog> onMove = log -> moves.incrementAndGet();
        for (PartitionLog log : List.of(leader, follower)) {
            log.onNewRecords(onAppend);
            log.onHighWatermark(onMove);
        }

        appendUncommitted(leader, 0, rec(T, "b", "1"));
        follower.appendAsFollower(records(bytesOf(leader)));
        assertThat(appends).hasValue(2);
        assertThat(moves).hasValue(0);

        leader.maybeIncrementHighWatermark(2);
        follower.updateHighWatermarkAsFollower(2);
        follower.updateHighWatermarkAsFollower(2);
        assertThat(moves).hasValue(2);

        leader.removeListener(onAppend);
        leader.removeHighWatermarkListener(onMove);
        appendUncommitted(leader, 0, rec(T, "c", "2"));
        leader.maybeIncrementHighWatermark(3);
        assertThat(appends).hasValue(2);
        assertThat(moves).hasValue(2);
    }

    // ---- replication: the high watermark

    @Test
    void theLeadersHighWatermarkOnlyRisesAndNeverPassesTheLogEnd() throws IOException {
        PartitionLog log = open(Map.of(), true, T);
        for (int i = 0; i < 3; i++) {
            appendUncommitted(log, 0, rec(T, "k" + i, "v"));
        }
        assertThat(log.highWatermark()).isZero();

        assertThat(log.maybeIncrementHighWatermark(2)).isTrue();
        assertThat(log.highWatermark()).isEqualTo(2);
        assertThat(log.maybeIncrementHighWatermark(1)).isFalse();
        assertThat(log.maybeIncrementHighWatermark(2)).isFalse();
        assertThat(log.highWatermark()).isEqualTo(2);
        assertThat(log.maybeIncrementHighWatermark(10)).isTrue();
        assertThat(log.highWatermark()).isEqualTo(3);
        assertThat(log.maybeIncrementHighWatermark(10)).isFalse();
    }

    @Test
    void aFollowerTakesTheLeadersHighWatermarkUpToItsOwnLogEnd() throws IOException {
        PartitionLog leader = open(Map.of(), true, T);
        for (int i = 0; i < 3; i++) {
            append(leader, T, 0, rec(T, "k" + i, "v"));
        }
        PartitionLog follower = openReplica("follower");
        follower.appendAsFollower(records(bytesOf(leader)));

        follower.updateHighWatermarkAsFollower(10);
        assertThat(follower.highWatermark()).isEqualTo(3);
        follower.updateHighWatermarkAsFollower(1);
        assertThat(follower.highWatermark()).isEqualTo(3);

        follower.truncateTo(2); // the only way down
        assertThat(follower.highWatermark()).isEqualTo(2);
    }

    @Test
    void followersReadToTheLogEndConsumersToTheHighWatermark() throws IOException {
        PartitionLog log = open(Map.of(), true, T);
        for (int i = 0; i < 3; i++) {
            appendUncommitted(log, 0, rec(T, "k" + i, "v"));
        }
        log.maybeIncrementHighWatermark(1);

        FetchedData consumer = log.read(0, Integer.MAX_VALUE, true);
        FetchedData follower = log.read(0, Integer.MAX_VALUE, true, FetchIsolation.LOG_END);

        assertThat(batches(consumer.records()))
                .extracting(RecordBatch::baseOffset)
                .containsExactly(0L);
        assertThat(batches(follower.records()))
                .extracting(RecordBatch::baseOffset)
                .containsExactly(0L, 1L, 2L);
        for (FetchedData data : List.of(consumer, follower)) {
            assertThat(data.highWatermark()).isEqualTo(1);
            assertThat(data.logEndOffset()).isEqualTo(3);
        }
        assertThat(log.read(1, Integer.MAX_VALUE, true).sizeInBytes()).isZero();
        assertThat(batches(log.read(1, Integer.MAX_VALUE, true, FetchIsolation.LOG_END)
                        .records()))
                .hasSize(2);
        assertThat(log.read(3, Integer.MAX_VALUE, true, FetchIsolation.LOG_END).sizeInBytes())
                .isZero();
        assertThatThrownBy(() -> log.read(4, 100, true, FetchIsolation.LOG_END))
                .isInstanceOf(OffsetOutOfRangeException.class);
        assertThat(log.offsetForTimestamp(T))
                .satisfies(found -> assertThat(found.offset).isZero());
        assertThat(log.offsetForTimestamp(T + 1)).isNull();
    }

    @Test
    void theHighWatermarkCheckpointSurvivesReopenClampedToTheLogEnd() throws IOException {
        PartitionLog log = open(Map.of(), true, T);
        for (int i = 0; i < 6; i++) {
            appendUncommitted(log, 0, rec(T, "k" + i, "v"));
        }
        log.maybeIncrementHighWatermark(4);
        log.close();

        PartitionLog reopened = open(Map.of(), true, T);
        assertThat(reopened.logEndOffset()).isEqualTo(6);
        assertThat(reopened.highWatermark()).isEqualTo(4);
        assertThat(readAll(reopened)).hasSize(4);

        // written by the checkpoint timer, then a crash: the checkpointed value comes back
        reopened.maybeIncrementHighWatermark(5);
        reopened.checkpointHighWatermark();
        crash(reopened);
        PartitionLog afterCrash = open(Map.of(), false, T);
        assertThat(afterCrash.highWatermark()).isEqualTo(5);
        afterCrash.close();

        // a checkpoint beyond the log end (a tail lost with the page cache) is clamped to it
        Files.writeString(dir.resolve(HighWatermarkCheckpoint.FILE), "100");
        assertThat(open(Map.of(), true, T).highWatermark()).isEqualTo(6);
    }

    @Test
    void retentionAndDeleteRecordsKeepWhatIsNotCommitted() throws IOException {
        PartitionLog log = open(Map.of(TopicConfig.SEGMENT_MS_CONFIG, Long.toString(HOUR)), true, T);
        appendUncommitted(log, T, 0, rec(T, "a", "0"));
        appendUncommitted(log, T + 2 * HOUR, 0, rec(T, "b", "1"));
        appendUncommitted(log, T + 4 * HOUR, 0, rec(T, "c", "2"));
        assertThat(log.segmentCount()).isEqualTo(3);
        log.maybeIncrementHighWatermark(1);
        log.updateConfig(config(
                Map.of(TopicConfig.SEGMENT_MS_CONFIG, Long.toString(HOUR), TopicConfig.RETENTION_MS_CONFIG, "1")));

        assertThat(log.applyRetention(T + 10 * DAY)).isEqualTo(1);

        assertThat(log.logStartOffset()).isEqualTo(1);
        assertThat(log.segmentCount()).isEqualTo(2);
        assertThatThrownBy(() -> log.deleteRecordsBefore(2, T)).isInstanceOf(OffsetOutOfRangeException.class);
    }

    @Test
    void aFollowerAdoptsTheLeadersLogStartOffsetUpToItsHighWatermark() throws IOException {
        PartitionLog leader = open(Map.of(TopicConfig.SEGMENT_MS_CONFIG, Long.toString(HOUR)), true, T);
        writeThreeSegments(leader);
        PartitionLog follower = openReplica("follower");
        follower.appendAsFollower(records(bytesOf(leader)));
        follower.updateHighWatermarkAsFollower(3);

        follower.maybeIncrementLogStartOffset(5);

        assertThat(follower.logStartOffset()).isEqualTo(3);
        assertThat(follower.epochEntries()).containsExactly(epoch(0, 3));
        follower.updateHighWatermarkAsFollower(6);
        follower.maybeIncrementLogStartOffset(5);
        assertThat(follower.logStartOffset()).isEqualTo(5);
        follower.maybeIncrementLogStartOffset(4);
        assertThat(follower.logStartOffset()).isEqualTo(5);
        assertThat(readAll(follower)).extracting(s -> s.substring(0, 1)).containsExactly("5");
    }

    // ---- replication: truncation

    @Test
    void truncateToCutsSegmentsEpochsAndProducerStateBackToTheOffset() throws IOException {
        Map<String, String> overrides = Map.of(TopicConfig.SEGMENT_MS_CONFIG, Long.toString(HOUR));
        PartitionLog log = open(overrides, true, T);
        append(log, T, 0, idempotent(7L, (short) 0, 0, "a"));
        append(log, T, 0, rec(T, "b", "1"));
        append(log, T + 2 * HOUR, 1, idempotent(7L, (short) 0, 1, "c")); // segment 2
        append(log, T + 2 * HOUR, 1, rec(T + 2 * HOUR, "d", "3"));
        append(log, T + 4 * HOUR, 2, idempotent(7L, (short) 0, 2, "e")); // segment 4, snapshot at 4
        append(log, T + 4 * HOUR, 2, rec(T + 4 * HOUR, "f", "5"));
        assertThat(log.segmentCount()).isEqualTo(3);

        log.truncateTo(3);

        assertThat(log.logEndOffset()).isEqualTo(3);
        assertThat(log.highWatermark()).isEqualTo(3);
        assertThat(log.segments()).extracting(LogSegment::baseOffset).containsExactly(0L, 2L);
        assertThat(dir.resolve(LogSegment.fileName(4) + ".log")).doesNotExist();
        assertThat(readAll(log)).extracting(s -> s.substring(0, s.indexOf('='))).containsExactly("0:a", "1:b", "2:c");
        assertThat(log.epochEntries()).containsExactly(epoch(0, 0), epoch(1, 2));
        assertThat(log.endOffsetForEpoch(1)).isEqualTo(new OffsetAndEpoch(3, 1));
        assertThat(log.endOffsetForEpoch(2)).isEqualTo(OffsetAndEpoch.UNDEFINED);
        // the snapshot taken at offset 4 knew sequence 2, which is gone
        assertThat(dir.resolve(ProducerStateManager.SNAPSHOT_FILE)).doesNotExist();
        assertThat(append(log, T + 4 * HOUR, 2, idempotent(7L, (short) 0, 1, "c"))
                        .firstOffset())
                .isEqualTo(2);
        AppendResult rewritten = append(log, T + 4 * HOUR, 2, idempotent(7L, (short) 0, 2, "e"));
        assertThat(rewritten.duplicate()).isFalse();
        assertThat(rewritten.firstOffset()).isEqualTo(3);
        crash(log);

        PartitionLog reopened = open(overrides, false, T + 4 * HOUR);
        assertThat(reopened.logEndOffset()).isEqualTo(4);
        assertThat(reopened.epochEntries()).containsExactly(epoch(0, 0), epoch(1, 2), epoch(2, 3));
        assertThat(append(reopened, T + 4 * HOUR, 2, idempotent(7L, (short) 0, 2, "e"))
                        .firstOffset())
                .isEqualTo(3);
    }

    @Test
    void truncateToRemovesTheWholeBatchHoldingTheOffsetAndNothingAtTheEnd() throws IOException {
        PartitionLog log = open(Map.of(), true, T);
        append(log, T, 0, rec(T, "a", "0"), rec(T, "b", "1"));
        append(log, T, 1, rec(T, "c", "2"));

        log.truncateTo(3);
        log.truncateTo(10);
        assertThat(log.logEndOffset()).isEqualTo(3);

        log.truncateTo(1);
        assertThat(log.logEndOffset()).isZero();
        assertThat(log.highWatermark()).isZero();
        assertThat(log.epochEntries()).isEmpty();
        assertThatThrownBy(() -> log.truncateTo(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void truncateToBelowTheFirstSegmentStartsTheLogOver() throws IOException {
        PartitionLog log = open(Map.of(TopicConfig.SEGMENT_MS_CONFIG, Long.toString(HOUR)), true, T);
        writeThreeSegments(log);
        log.deleteRecordsBefore(2, T);
        assertThat(log.segments()).extracting(LogSegment::baseOffset).containsExactly(2L, 4L);

        log.truncateTo(1);

        assertThat(log.logStartOffset()).isEqualTo(1);
        assertThat(log.logEndOffset()).isEqualTo(1);
        assertThat(log.segments()).extracting(LogSegment::baseOffset).containsExactly(1L);
    }

    @Test
    void truncateFullyAndStartAtEmptiesTheLogAtTheOffset() throws IOException {
        PartitionLog log = open(Map.of(TopicConfig.SEGMENT_MS_CONFIG, Long.toString(HOUR)), true, T);
        writeThreeSegments(log);
        append(log, T + 4 * HOUR, 3, idempotent(7L, (short) 0, 0, "a"));

        log.truncateFullyAndStartAt(100);

        assertThat(log.logStartOffset()).isEqualTo(100);
        assertThat(log.logEndOffset()).isEqualTo(100);
        assertThat(log.highWatermark()).isEqualTo(100);
        assertThat(log.recoveryPoint()).isEqualTo(100);
        assertThat(log.segments()).extracting(LogSegment::baseOffset).containsExactly(100L);
        assertThat(log.epochEntries()).isEmpty();
        assertThat(log.read(100, 100, true).sizeInBytes()).isZero();
        assertThatThrownBy(() -> log.read(5, 100, true)).isInstanceOf(OffsetOutOfRangeException.class);

        // the leader's batches from there on are taken as they are
        PartitionLog leader = openReplica("leader");
        append(leader, T, 4, rec(T, "x", "100"));
        log.appendAsFollower(withBaseOffset(bytesOf(leader), 100));
        assertThat(log.logEndOffset()).isEqualTo(101);
        assertThat(log.epochEntries()).containsExactly(epoch(4, 100));
        // nothing is known about producer 7 any more
        assertThat(append(log, T, 5, idempotent(7L, (short) 0, 9, "b")).firstOffset())
                .isEqualTo(101);
        log.close();

        PartitionLog reopened = open(Map.of(), true, T);
        assertThat(reopened.logStartOffset()).isEqualTo(100);
        assertThat(reopened.logEndOffset()).isEqualTo(102);
    }

    // ---- helpers

    private static LogConfig config(Map<String, String> overrides) {
        return new LogConfig(overrides);
    }

    private PartitionLog open(Map<String, String> overrides, boolean cleanShutdown, long nowMs) throws IOException {
        PartitionLog log = PartitionLog.open(dir, TP, TOPIC_ID, config(overrides), cleanShutdown, nowMs, DELETE_NOW);
        opened.add(log);
        return log;
    }

    private PartitionLog restart(PartitionLog log, Restart restart, Map<String, String> overrides) throws IOException {
        switch (restart) {
            case CLEAN -> log.close();
            case CLEAN_WITH_CORRUPT_SNAPSHOT -> {
                log.close();
                Path snapshot = dir.resolve(ProducerStateManager.SNAPSHOT_FILE);
                byte[] bytes = Files.readAllBytes(snapshot);
                bytes[20] ^= 0x01;
                Files.write(snapshot, bytes);
            }
            case CRASH -> crash(log);
        }
        return open(overrides, restart != Restart.CRASH, T);
    }

    /** Drops the log's file handles without writing indexes, snapshot or recovery point. */
    private static void crash(PartitionLog log) throws IOException {
        for (LogSegment segment : log.segments()) {
            segment.close();
        }
    }

    /** Segments 0 (offsets 0-1), 2 (2-3) and 4 (4-5), rolled by segment.ms of one hour. */
    private static void writeThreeSegments(PartitionLog log) {
        append(log, T, rec(T, "a", "0"));
        append(log, T, rec(T + 1, "b", "1"));
        append(log, T + 2 * HOUR, rec(T + 2 * HOUR, "c", "2"));
        append(log, T + 2 * HOUR, rec(T + 2 * HOUR, "d", "3"));
        append(log, T + 4 * HOUR, rec(T + 4 * HOUR, "e", "4"), rec(T + 4 * HOUR, "f", "5"));
        assertThat(log.segmentCount()).isEqualTo(3);
    }

    private static AppendResult append(PartitionLog log, long nowMs, SimpleRecord... records) {
        return append(log, nowMs, 0, records);
    }

    private static AppendResult append(PartitionLog log, long nowMs, int leaderEpoch, SimpleRecord... records) {
        return append(log, nowMs, leaderEpoch, MemoryRecords.withRecords(Compression.NONE, records));
    }

    private static AppendResult append(PartitionLog log, long nowMs, MemoryRecords records) {
        return append(log, nowMs, 0, records);
    }

    private static AppendResult append(PartitionLog log, long nowMs, int leaderEpoch, MemoryRecords records) {
        AppendResult result =
                log.appendAsLeader(BatchValidator.validate(records, log.config(), nowMs), leaderEpoch, nowMs);
        log.maybeIncrementHighWatermark(log.logEndOffset());
        return result;
    }

    private PartitionLog openReplica(String name) throws IOException {
        PartitionLog log =
                PartitionLog.open(tempDir.resolve(name), TP, TOPIC_ID, config(Map.of()), true, T, DELETE_NOW);
        opened.add(log);
        return log;
    }

    /** A leader's append that leaves the high watermark where it is. */
    private static AppendResult appendUncommitted(PartitionLog log, int leaderEpoch, SimpleRecord... records) {
        return appendUncommitted(log, T, leaderEpoch, records);
    }

    private static AppendResult appendUncommitted(
            PartitionLog log, long nowMs, int leaderEpoch, SimpleRecord... records) {
        MemoryRecords batch = MemoryRecords.withRecords(Compression.NONE, records);
        return log.appendAsLeader(BatchValidator.validate(batch, log.config(), nowMs), leaderEpoch, nowMs);
    }

    /** The stored bytes of every batch from the log start to the log end, as a follower fetches them. */
    private static byte[] bytesOf(PartitionLog log) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long offset = log.logStartOffset();
        while (offset < log.logEndOffset()) {
            Records records = log.read(offset, Integer.MAX_VALUE, true, FetchIsolation.LOG_END)
                    .records();
            out.write(batchBytes(records));
            for (RecordBatch batch : records.batches()) {
                offset = batch.nextOffset();
            }
        }
        return out.toByteArray();
    }

    private static MemoryRecords records(byte[] bytes) {
        return MemoryRecords.readableRecords(ByteBuffer.wrap(bytes));
    }

    /** A copy of the batches with the first one moved to {@code baseOffset} and the rest after it. */
    private static MemoryRecords withBaseOffset(byte[] bytes, long baseOffset) {
        MemoryRecords copy = records(bytes.clone());
        long next = baseOffset;
        for (MutableRecordBatch batch : copy.batches()) {
            long last = next + batch.lastOffset() - batch.baseOffset();
            batch.setLastOffset(last);
            next = last + 1;
        }
        return copy;
    }

    private static LeaderEpochCache.EpochEntry epoch(int epoch, long startOffset) {
        return new LeaderEpochCache.EpochEntry(epoch, startOffset);
    }

    private static MemoryRecords idempotent(long producerId, short epoch, int baseSequence, String... keys) {
        SimpleRecord[] records = new SimpleRecord[keys.length];
        for (int i = 0; i < keys.length; i++) {
            records[i] = rec(T, keys[i], "v");
        }
        return MemoryRecords.withIdempotentRecords(Compression.NONE, producerId, epoch, baseSequence, records);
    }

    private static MemoryRecords concat(MemoryRecords... parts) {
        int size = 0;
        for (MemoryRecords part : parts) {
            size += part.sizeInBytes();
        }
        ByteBuffer all = ByteBuffer.allocate(size);
        for (MemoryRecords part : parts) {
            all.put(part.buffer());
        }
        return MemoryRecords.readableRecords(all.flip());
    }

    private static SimpleRecord rec(long timestamp, String key, String value) {
        return new SimpleRecord(
                timestamp, key == null ? null : key.getBytes(UTF_8), value == null ? null : value.getBytes(UTF_8));
    }

    private static List<RecordBatch> batches(Records records) {
        List<RecordBatch> out = new ArrayList<>();
        for (RecordBatch batch : records.batches()) {
            out.add(batch);
        }
        return out;
    }

    private static byte[] batchBytes(Records records) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(records.sizeInBytes());
        if (records instanceof FileRecords file) {
            file.readInto(buffer, 0); // leaves the buffer flipped
        } else {
            buffer.put(((MemoryRecords) records).buffer()).flip();
        }
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    private static long firstOffset(FetchedData data) {
        return batches(data.records()).getFirst().baseOffset();
    }

    private static boolean firstOffsetAtOrBelow(FetchedData data, long offset) {
        RecordBatch first = batches(data.records()).getFirst();
        return first.baseOffset() <= offset && first.lastOffset() >= offset;
    }

    private static String at(FileRecords.TimestampAndOffset found) {
        return found == null ? null : found.offset + "@" + found.timestamp;
    }

    /** Every record from the log start to the high watermark, as "offset:key=value@timestamp". */
    static List<String> readAll(PartitionLog log) {
        return readAll(log, FetchIsolation.HIGH_WATERMARK);
    }

    /** Every record from the log start to the bound {@code isolation} names. */
    static List<String> readAll(PartitionLog log, FetchIsolation isolation) {
        List<String> out = new ArrayList<>();
        long offset = log.logStartOffset();
        long end = isolation == FetchIsolation.LOG_END ? log.logEndOffset() : log.highWatermark();
        while (offset < end) {
            FetchedData data = log.read(offset, Integer.MAX_VALUE, true, isolation);
            long next = offset;
            for (RecordBatch batch : data.records().batches()) {
                for (Record record : batch) {
                    if (record.offset() >= offset) {
                        out.add(record.offset() + ":" + string(record.key()) + "=" + string(record.value()) + "@"
                                + record.timestamp());
                    }
                }
                next = batch.nextOffset();
            }
            if (next == offset) {
                break;
            }
            offset = next;
        }
        return out;
    }

    private static String string(ByteBuffer buffer) {
        return buffer == null ? "null" : UTF_8.decode(buffer.duplicate()).toString();
    }
}
