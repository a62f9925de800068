package io.runnel.log;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.record.FileLogInputStream.FileChannelRecordBatch;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.MutableRecordBatch;
import org.apache.kafka.common.record.Record;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.record.SimpleRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LogCleanerTest {

    private static final long T = 1_700_000_000_000L;
    private static final long HOUR = 3_600_000L;
    /** After the records are written and the active segment rolled: when the cleaner runs. */
    private static final long CLEAN_AT = T + 3 * HOUR;

    private static final TopicPartition TP = new TopicPartition("compacted", 0);
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
    private final LogCleaner cleaner = new LogCleaner();

    @BeforeEach
    void setUp() {
        dir = tempDir.resolve("compacted-0");
    }

    @AfterEach
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

    @Test
    void keepsTheLastValuePerKeyInSealedSegments() throws IOException {
        PartitionLog log = open(Map.of());
        append(log, T, rec("k1", "v1")); // 0
        append(log, T, rec("k2", "v1")); // 1
        append(log, T, rec("k1", "v2")); // 2
        append(log, T, rec("k3", "v1")); // 3
        append(log, T, rec("k2", "v2")); // 4
        append(log, T + 2 * HOUR, rec("k1", "v3")); // 5, rolls: the active segment
        append(log, T + 2 * HOUR, rec("k1", "v4")); // 6
        int sealedSize = log.segments().getFirst().size();

        cleaner.clean(log, CLEAN_AT);

        assertThat(contents(log)).containsExactly("2:k1=v2", "3:k3=v1", "4:k2=v2", "5:k1=v3", "6:k1=v4");
        assertThat(log.segments().getFirst().size()).isLessThan(sealedSize);
        assertThat(log.segmentCount()).isEqualTo(2);
        assertThat(log.logEndOffset()).isEqualTo(7);
        assertThat(leftoverFiles()).isEmpty();
        assertThat(PartitionLogTest.readAll(log))
                .extracting(s -> s.substring(0, s.indexOf('@')))
                .containsExactly("2:k1=v2", "3:k3=v1", "4:k2=v2", "5:k1=v3", "6:k1=v4");
    }

    @Test
    void compactsAcrossSeveralSealedSegments() throws IOException {
        PartitionLog log = open(Map.of());
        append(log, T, rec("a", "1"), rec("b", "1")); // 0-1, segment 0
        append(log, T + 2 * HOUR, rec("a", "2")); // 2, segment 2
        append(log, T + 2 * HOUR, rec("c", "1")); // 3
        append(log, T + 4 * HOUR, rec("b", "2")); // 4, segment 4
        append(log, T + 6 * HOUR, rec("c", "2")); // 5, segment 5: active
        assertThat(log.segmentCount()).isEqualTo(4);

        cleaner.clean(log, T + 7 * HOUR);

        assertThat(contents(log)).containsExactly("2:a=2", "3:c=1", "4:b=2", "5:c=2");
        // the first segment lost all its records, but stays (empty), so offsets still map to segments
        assertThat(log.segments()).extracting(LogSegment::baseOffset).containsExactly(0L, 2L, 4L, 5L);
        assertThat(log.logEndOffset()).isEqualTo(6);
        assertThat(PartitionLogTest.readAll(log)).hasSize(4);
    }

    @Test
    void rewritesBatchesThatLoseSomeRecordsKeepingOffsetsAndLastOffset() throws IOException {
        PartitionLog log = open(Map.of());
        append(log, T, rec("a", "1"), rec("b", "1"), rec("c", "1")); // 0-2
        append(log, T, rec("c", "2")); // 3
        append(log, T + 2 * HOUR, rec("x", "x")); // 4: active

        cleaner.clean(log, CLEAN_AT);

        List<FileChannelRecordBatch> batches = new ArrayList<>();
        log.segments().getFirst().records().batches().forEach(batches::add);
        assertThat(batches).hasSize(2);
        assertThat(batches.get(0).baseOffset()).isZero();
        assertThat(batches.get(0).lastOffset())
                .as("the original last offset is kept")
                .isEqualTo(2);
        assertThat(batches.get(0).isValid()).isTrue();
        assertThat(contents(log)).containsExactly("0:a=1", "1:b=1", "3:c=2", "4:x=x");
    }

    @Test
    void keepsCompressedBatchesReadable() throws IOException {
        PartitionLog log = open(Map.of());
        append(log, T, MemoryRecords.withRecords(Compression.zstd().build(), rec("a", "1"), rec("b", "1")));
        append(log, T, MemoryRecords.withRecords(Compression.lz4().build(), rec("a", "2")));
        append(log, T + 2 * HOUR, rec("x", "x"));

        cleaner.clean(log, CLEAN_AT);

        assertThat(contents(log)).containsExactly("1:b=1", "2:a=2", "3:x=x");
        List<FileChannelRecordBatch> batches = new ArrayList<>();
        log.segments().getFirst().records().batches().forEach(batches::add);
        assertThat(batches).allMatch(RecordBatch::isValid);
        assertThat(batches.getFirst().compressionType().name).isEqualTo("zstd");
    }

    @Test
    void neverCleansTheActiveSegment() throws IOException {
        PartitionLog log = open(Map.of());
        append(log, T, rec("a", "1"));
        append(log, T, rec("a", "2"));
        long size = log.size();

        cleaner.clean(log, CLEAN_AT);

        assertThat(log.size()).isEqualTo(size);
        assertThat(contents(log)).containsExactly("0:a=1", "1:a=2");
    }

    @Test
    void leavesSegmentsWithNothingToRemoveAlone() throws IOException {
        PartitionLog log = open(Map.of());
        append(log, T, rec("a", "1"));
        append(log, T, rec("b", "1"));
        append(log, T + 2 * HOUR, rec("a", "2"));
        LogSegment sealed = log.segments().getFirst();

        cleaner.clean(log, CLEAN_AT);
        cleaner.clean(log, CLEAN_AT + 1);

        assertThat(log.segments().getFirst()).as("not swapped").isSameAs(sealed);
        assertThat(contents(log)).containsExactly("0:a=1", "1:b=1", "2:a=2");
    }

    @Test
    void tombstonesAreKeptUntilDeleteRetentionHasPassedThenRemoved() throws IOException {
        PartitionLog log = open(Map.of(TopicConfig.DELETE_RETENTION_MS_CONFIG, "10000"));
        append(log, T, rec("k1", "a")); // 0
        append(log, T, rec("k2", "b")); // 1
        append(log, T, rec("k1", null)); // 2: tombstone
        append(log, T + 2 * HOUR, rec("k3", "c")); // 3: active

        cleaner.clean(log, CLEAN_AT);
        assertThat(contents(log)).containsExactly("1:k2=b", "2:k1=null", "3:k3=c");

        cleaner.clean(log, CLEAN_AT + 9_999);
        assertThat(contents(log)).containsExactly("1:k2=b", "2:k1=null", "3:k3=c");

        cleaner.clean(log, CLEAN_AT + 10_001);
        assertThat(contents(log)).containsExactly("1:k2=b", "3:k3=c");
        assertThat(log.logEndOffset()).isEqualTo(4);
    }

    @Test
    void tombstoneSharingABatchWithLiveRecordsIsRemovedAlone() throws IOException {
        PartitionLog log = open(Map.of(TopicConfig.DELETE_RETENTION_MS_CONFIG, "10000"));
        append(log, T, rec("k1", "a")); // 0
        append(log, T, rec("k1", null), rec("k2", "b")); // 1-2
        append(log, T + 2 * HOUR, rec("k3", "c")); // 3: active

        cleaner.clean(log, CLEAN_AT);
        assertThat(contents(log)).containsExactly("1:k1=null", "2:k2=b", "3:k3=c");

        cleaner.clean(log, CLEAN_AT + 10_001);
        assertThat(contents(log)).containsExactly("2:k2=b", "3:k3=c");
    }

    @Test
    void tombstoneHorizonIsRecordedEvenWhenTheBatchSizeDoesNotChange() throws IOException {
        PartitionLog log = open(Map.of(TopicConfig.DELETE_RETENTION_MS_CONFIG, "0"));
        long tombstoneTs = CLEAN_AT - 10;
        append(log, tombstoneTs, rec(tombstoneTs, "k1", null)); // 0: a tombstone only
        append(log, T + 2 * HOUR, rec("k2", "x")); // rolls: offsets 1 and 2 are in the active segment
        append(log, CLEAN_AT, rec(CLEAN_AT, "k3", "y"));
        assertThat(log.segmentCount()).isEqualTo(2);

        cleaner.clean(log, CLEAN_AT); // sets the delete horizon to CLEAN_AT + 0
        cleaner.clean(log, CLEAN_AT + 5); // past the horizon

        assertThat(contents(log)).doesNotContain("0:k1=null");
    }

    @Test
    void keepsTheLastBatchOfAnIdempotentProducerEvenWhenEmptied() throws IOException {
        PartitionLog log = open(Map.of());
        append(log, T, MemoryRecords.withIdempotentRecords(Compression.NONE, 7L, (short) 0, 0, rec("a", "1"))); // 0
        append(log, T, MemoryRecords.withIdempotentRecords(Compression.NONE, 7L, (short) 0, 1, rec("b", "1"))); // 1
        append(log, T, rec("a", "2"), rec("b", "2")); // 2-3
        append(log, T + 2 * HOUR, rec("x", "x")); // 4: active

        cleaner.clean(log, CLEAN_AT);

        assertThat(contents(log)).containsExactly("2:a=2", "3:b=2", "4:x=x");
        List<FileChannelRecordBatch> producerBatches = new ArrayList<>();
        for (FileChannelRecordBatch batch : log.segments().getFirst().records().batches()) {
            if (batch.hasProducerId()) {
                producerBatches.add(batch);
            }
        }
        assertThat(producerBatches).singleElement().satisfies(batch -> {
            assertThat(batch.producerId()).isEqualTo(7L);
            assertThat(batch.baseSequence()).isEqualTo(1);
            assertThat(batch.lastOffset()).isEqualTo(1);
            assertThat(batch.countOrNull()).isZero();
        });

        // the producer's sequence state survives a restart that rebuilds it from the log
        crash(log);
        Files.deleteIfExists(dir.resolve(ProducerStateManager.SNAPSHOT_FILE));
        PartitionLog reopened = PartitionLog.open(dir, TP, TOPIC_ID, config(Map.of()), false, CLEAN_AT, DELETE_NOW);
        opened.add(reopened);
        AppendResult retry = append(
                reopened,
                CLEAN_AT,
                MemoryRecords.withIdempotentRecords(Compression.NONE, 7L, (short) 0, 1, rec("b", "1")));
        assertThat(retry.duplicate()).isTrue();
        assertThat(retry.firstOffset()).isEqualTo(1);
    }

    @Test
    void retentionStillAppliesAfterCompactionEmptiedTheOldestSegment() throws IOException {
        PartitionLog log = open(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, "compact,delete"));
        append(log, T, rec("a", "1")); // 0: segment 0
        append(log, T + 2 * HOUR, rec("a", "2")); // 1: segment 1
        append(log, T + 4 * HOUR, rec("b", "1")); // 2: segment 2, active
        cleaner.clean(log, T + 5 * HOUR);
        assertThat(log.segments().getFirst().size()).as("emptied by compaction").isZero();

        // far in the future, also for the emptied segment, whose age is its file's time
        log.applyRetention(Math.max(T, System.currentTimeMillis()) + 365 * 24 * HOUR);

        assertThat(log.logStartOffset()).isEqualTo(3);
        assertThat(log.segmentCount()).isEqualTo(1);
    }

    @Test
    void deleteRecordsRemovesSegmentsBehindOneEmptiedByCompaction() throws IOException {
        PartitionLog log = open(Map.of());
        append(log, T, rec("a", "1")); // 0: segment 0
        append(log, T + 2 * HOUR, rec("a", "2")); // 1: segment 1
        append(log, T + 4 * HOUR, rec("b", "1")); // 2: segment 2, active
        cleaner.clean(log, T + 5 * HOUR);
        assertThat(log.segments().getFirst().size()).as("emptied by compaction").isZero();

        assertThat(log.deleteRecordsBefore(2, T + 5 * HOUR)).isEqualTo(2);

        assertThat(log.segments()).extracting(LogSegment::baseOffset).containsExactly(2L);
    }

    @Test
    void removesRecordsWithoutKeysWrittenBeforeTheTopicWasCompacted() throws IOException {
        PartitionLog log = open(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE));
        append(log, T, rec(null, "no key"));
        append(log, T, rec("a", "1"));
        append(log, T + 2 * HOUR, rec("x", "x"));
        log.updateConfig(config(Map.of()));

        cleaner.clean(log, CLEAN_AT);

        assertThat(contents(log)).containsExactly("1:a=1", "2:x=x");
    }

    @ParameterizedTest
    @CsvSource({"true,true", "true,false", "false,true", "false,false"})
    void cleanedLogSurvivesReopen(boolean cleanShutdown, boolean closeFirst) throws IOException {
        PartitionLog log = open(Map.of());
        append(log, T, rec("a", "1"));
        append(log, T, rec("a", "2"));
        append(log, T, rec("b", "1"));
        append(log, T + 2 * HOUR, rec("x", "x"));
        cleaner.clean(log, CLEAN_AT);
        List<String> cleaned = contents(log);
        if (closeFirst) {
            log.close();
        } else {
            crash(log);
        }

        PartitionLog reopened =
                PartitionLog.open(dir, TP, TOPIC_ID, config(Map.of()), cleanShutdown, CLEAN_AT, DELETE_NOW);
        opened.add(reopened);

        assertThat(contents(reopened)).isEqualTo(cleaned).containsExactly("1:a=2", "2:b=1", "3:x=x");
        assertThat(reopened.logEndOffset()).isEqualTo(4);
        assertThat(append(reopened, CLEAN_AT, rec("y", "y")).firstOffset()).isEqualTo(4);
    }

    @ParameterizedTest
    @CsvSource({"true,true", "true,false", "false,true", "false,false"})
    void interruptedSwapIsCompletedOnOpen(boolean originalStillThere, boolean cleanShutdown) throws IOException {
        PartitionLog log = open(Map.of());
        append(log, T, rec("k1", "a")); // 0
        append(log, T, rec("k1", "b")); // 1
        append(log, T, rec("k2", "c")); // 2
        append(log, T + 2 * HOUR, rec("k3", "d")); // 3: active
        log.close();

        // the cleaned copy of segment 0 (offsets 1 and 2 survive) was renamed to .swap, then the broker died
        Path logFile = dir.resolve(LogSegment.fileName(0) + ".log");
        MemoryRecords original = MemoryRecords.readableRecords(ByteBuffer.wrap(Files.readAllBytes(logFile)));
        ByteBuffer cleaned = ByteBuffer.allocate(original.sizeInBytes());
        for (MutableRecordBatch batch : original.batches()) {
            if (batch.baseOffset() >= 1) {
                batch.writeTo(cleaned);
            }
        }
        cleaned.flip();
        byte[] swapBytes = new byte[cleaned.remaining()];
        cleaned.get(swapBytes);
        Path swapFile = dir.resolve(LogSegment.fileName(0) + ".log" + LogCleaner.SWAP_SUFFIX);
        Files.write(swapFile, swapBytes);
        if (!originalStillThere) {
            Files.move(logFile, dir.resolve(LogSegment.fileName(0) + ".log.deleted"));
        }
        assertThat(dir.resolve(LogSegment.fileName(0) + ".index")).exists(); // stale: describes the old file

        PartitionLog reopened =
                PartitionLog.open(dir, TP, TOPIC_ID, config(Map.of()), cleanShutdown, CLEAN_AT, DELETE_NOW);
        opened.add(reopened);

        assertThat(swapFile).doesNotExist();
        assertThat(dir.resolve(LogSegment.fileName(0) + ".log.deleted")).doesNotExist();
        assertThat(Files.readAllBytes(logFile)).isEqualTo(swapBytes);
        assertThat(contents(reopened)).containsExactly("1:k1=b", "2:k2=c", "3:k3=d");
        assertThat(reopened.segmentCount()).isEqualTo(2);
        assertThat(reopened.logEndOffset()).isEqualTo(4);
        for (long offset = 1; offset < 4; offset++) {
            FetchedData data = reopened.read(offset, 1, true);
            assertThat(data.records().batches().iterator().next().baseOffset()).isEqualTo(offset);
        }
    }

    @Test
    void leftoverCleanedFileIsDiscardedOnOpen() throws IOException {
        PartitionLog log = open(Map.of());
        append(log, T, rec("k1", "a"));
        append(log, T, rec("k1", "b"));
        append(log, T + 2 * HOUR, rec("k3", "d"));
        List<String> before = contents(log);
        log.close();
        Path cleaned = dir.resolve(LogSegment.fileName(0) + ".log" + LogCleaner.CLEANED_SUFFIX);
        Files.write(cleaned, new byte[] {1, 2, 3});

        PartitionLog reopened = PartitionLog.open(dir, TP, TOPIC_ID, config(Map.of()), true, CLEAN_AT, DELETE_NOW);
        opened.add(reopened);

        assertThat(cleaned).doesNotExist();
        assertThat(contents(reopened)).isEqualTo(before);
    }

    // ---- helpers

    /** A compacted topic that rolls its active segment after an hour. */
    private PartitionLog open(Map<String, String> overrides) throws IOException {
        PartitionLog log = PartitionLog.open(dir, TP, TOPIC_ID, config(overrides), true, T, DELETE_NOW);
        opened.add(log);
        return log;
    }

    private static LogConfig config(Map<String, String> overrides) {
        Map<String, String> all = new HashMap<>();
        all.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
        all.put(TopicConfig.SEGMENT_MS_CONFIG, Long.toString(HOUR));
        all.putAll(overrides);
        return new LogConfig(all);
    }

    private static void crash(PartitionLog log) throws IOException {
        for (LogSegment segment : log.segments()) {
            segment.close();
        }
    }

    private static AppendResult append(PartitionLog log, long nowMs, SimpleRecord... records) {
        return append(log, nowMs, MemoryRecords.withRecords(Compression.NONE, records));
    }

    private static AppendResult append(PartitionLog log, long nowMs, MemoryRecords records) {
        AppendResult result = log.appendAsLeader(BatchValidator.validate(records, log.config(), nowMs), 0, nowMs);
        log.maybeIncrementHighWatermark(log.logEndOffset());
        return result;
    }

    private static SimpleRecord rec(String key, String value) {
        return rec(T, key, value);
    }

    private static SimpleRecord rec(long timestamp, String key, String value) {
        return new SimpleRecord(
                timestamp, key == null ? null : key.getBytes(UTF_8), value == null ? null : value.getBytes(UTF_8));
    }

    /** Every record in every segment, read from the files, as "offset:key=value". */
    private static List<String> contents(PartitionLog log) {
        List<String> out = new ArrayList<>();
        for (LogSegment segment : log.segments()) {
            for (FileChannelRecordBatch batch : segment.records().batches()) {
                for (Record record : batch) {
                    out.add(record.offset() + ":" + string(record.key()) + "=" + string(record.value()));
                }
            }
        }
        return out;
    }

    private static String string(ByteBuffer buffer) {
        return buffer == null ? "null" : UTF_8.decode(buffer.duplicate()).toString();
    }

    private List<String> leftoverFiles() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".cleaned") || n.endsWith(".swap") || n.endsWith(".deleted"))
                    .toList();
        }
    }
}
