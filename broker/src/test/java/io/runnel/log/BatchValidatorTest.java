package io.runnel.log;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.ControlRecordType;
import org.apache.kafka.common.record.DefaultRecordBatch;
import org.apache.kafka.common.record.EndTransactionMarker;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.MemoryRecordsBuilder;
import org.apache.kafka.common.record.MutableRecordBatch;
import org.apache.kafka.common.record.Record;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.record.SimpleRecord;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.utils.ByteUtils;
import org.apache.kafka.common.utils.Crc32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BatchValidatorTest {

    private static final long NOW = 1_700_000_000_000L;
    private static final LogConfig DEFAULTS = new LogConfig(Map.of());
    private static final LogConfig COMPACTED =
            new LogConfig(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));

    // ---- valid input

    @Test
    void acceptsUncompressedBatchAndKeepsItsBytes() {
        MemoryRecords records = records(
                Compression.NONE,
                new SimpleRecord(NOW, bytes("k1"), bytes("v1")),
                new SimpleRecord(NOW - 10, null, bytes("v2")),
                new SimpleRecord(NOW + 10, bytes("k3"), null));
        byte[] before = copy(records);

        BatchValidator.Validated validated = BatchValidator.validate(records, DEFAULTS, NOW);

        assertThat(validated.records()).isSameAs(records);
        assertThat(validated.recordCount()).isEqualTo(3);
        assertThat(validated.batches()).hasSize(1);
        assertThat(copy(records)).isEqualTo(before);
    }

    @Test
    void acceptsSeveralBatchesAndCountsAllRecords() {
        MemoryRecords records = concat(
                records(Compression.NONE, new SimpleRecord(NOW, bytes("a"), bytes("1"))),
                records(
                        Compression.NONE,
                        new SimpleRecord(NOW, bytes("b"), bytes("2")),
                        new SimpleRecord(NOW, bytes("c"), bytes("3"))),
                records(Compression.gzip().build(), new SimpleRecord(NOW, bytes("d"), bytes("4"))));

        BatchValidator.Validated validated = BatchValidator.validate(records, DEFAULTS, NOW);

        assertThat(validated.recordCount()).isEqualTo(4);
        assertThat(validated.batches()).hasSize(3);
        assertThat(validated.batches())
                .extracting(RecordBatch::compressionType)
                .containsExactly(CompressionType.NONE, CompressionType.NONE, CompressionType.GZIP);
    }

    @Test
    void acceptsIdempotentBatch() {
        MemoryRecords records = MemoryRecords.withIdempotentRecords(
                Compression.NONE, 17L, (short) 2, 40, new SimpleRecord(NOW, bytes("k"), bytes("v")));

        BatchValidator.Validated validated = BatchValidator.validate(records, DEFAULTS, NOW);

        MutableRecordBatch batch = validated.batches().getFirst();
        assertThat(batch.producerId()).isEqualTo(17L);
        assertThat(batch.baseSequence()).isEqualTo(40);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gzip", "zstd", "lz4", "snappy"})
    void acceptsCompressedBatchesAndKeepsTheirBytes(String codec) {
        Compression compression = Compression.of(codec).build();
        SimpleRecord[] input = new SimpleRecord[50];
        for (int i = 0; i < input.length; i++) {
            input[i] = new SimpleRecord(NOW + i, bytes("key-" + i), bytes("value-" + i + "-" + "x".repeat(i)));
        }
        MemoryRecords records = records(compression, input);
        byte[] before = copy(records);

        BatchValidator.Validated validated = BatchValidator.validate(records, COMPACTED, NOW);

        assertThat(validated.recordCount()).isEqualTo(50);
        MutableRecordBatch batch = validated.batches().getFirst();
        assertThat(batch.compressionType().name).isEqualTo(codec);
        assertThat(batch.isValid()).isTrue();
        assertThat(copy(records)).isEqualTo(before);
        List<String> values = new ArrayList<>();
        for (Record record :
                MemoryRecords.readableRecords(ByteBuffer.wrap(before)).records()) {
            values.add(UTF_8.decode(record.value()).toString());
        }
        assertThat(values).hasSize(50).startsWith("value-0-", "value-1-x");
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "gzip", "zstd", "lz4", "snappy"})
    void rejectsMissingKeyOnCompactedTopic(String codec) {
        MemoryRecords records = records(
                Compression.of(codec).build(),
                new SimpleRecord(NOW, bytes("k"), bytes("v")),
                new SimpleRecord(NOW, null, bytes("v")));

        assertThat(BatchValidator.validate(
                                records(Compression.of(codec).build(), new SimpleRecord(NOW, null, bytes("v"))),
                                DEFAULTS,
                                NOW)
                        .recordCount())
                .isEqualTo(1);
        assertThatThrownBy(() -> BatchValidator.validate(records, COMPACTED, NOW))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("without key");
    }

    // ---- corrupt or refused batches

    @Test
    void rejectsBadCrc() {
        MemoryRecords records = records(Compression.NONE, new SimpleRecord(NOW, bytes("key"), bytes("value")));
        ByteBuffer buffer = records.buffer();
        int last = buffer.limit() - 1;
        buffer.put(last, (byte) (buffer.get(last) ^ 0x01));

        assertThatThrownBy(() -> BatchValidator.validate(records, DEFAULTS, NOW))
                .isInstanceOf(CorruptRecordException.class)
                .hasMessageContaining("CRC");
    }

    @Test
    void rejectsBadCrcField() {
        MemoryRecords records = records(Compression.NONE, new SimpleRecord(NOW, bytes("key"), bytes("value")));
        ByteBuffer buffer = records.buffer();
        buffer.putInt(DefaultRecordBatch.CRC_OFFSET, buffer.getInt(DefaultRecordBatch.CRC_OFFSET) + 1);

        assertThatThrownBy(() -> BatchValidator.validate(records, DEFAULTS, NOW))
                .isInstanceOf(CorruptRecordException.class);
    }

    @Test
    void rejectsBadCrcInSecondBatch() {
        MemoryRecords first = records(Compression.NONE, new SimpleRecord(NOW, bytes("a"), bytes("1")));
        MemoryRecords second = records(Compression.gzip().build(), new SimpleRecord(NOW, bytes("b"), bytes("2")));
        MemoryRecords both = concat(first, second);
        ByteBuffer buffer = both.buffer();
        int last = buffer.limit() - 2;
        buffer.put(last, (byte) (buffer.get(last) ^ 0x10));

        assertThatThrownBy(() -> BatchValidator.validate(both, DEFAULTS, NOW))
                .isInstanceOf(CorruptRecordException.class);
    }

    @Test
    void rejectsMagicV1() {
        MemoryRecordsBuilder builder = MemoryRecords.builder(
                ByteBuffer.allocate(1024), RecordBatch.MAGIC_VALUE_V1, Compression.NONE, TimestampType.CREATE_TIME, 0L);
        builder.append(NOW, bytes("k"), bytes("v"));
        MemoryRecords records = builder.build();

        assertThatThrownBy(() -> BatchValidator.validate(records, DEFAULTS, NOW))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("magic 2, not 1");
    }

    @Test
    void rejectsBatchOverMaxMessageBytes() {
        LogConfig config = new LogConfig(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "1000"));
        MemoryRecords small = records(Compression.NONE, new SimpleRecord(NOW, bytes("k"), new byte[100]));
        MemoryRecords large = records(Compression.NONE, new SimpleRecord(NOW, bytes("k"), new byte[1000]));

        assertThat(BatchValidator.validate(small, config, NOW).recordCount()).isEqualTo(1);
        assertThatThrownBy(() -> BatchValidator.validate(large, config, NOW))
                .isInstanceOf(RecordTooLargeException.class)
                .hasMessageContaining("max.message.bytes (1000)");
    }

    @Test
    void batchOfExactlyMaxMessageBytesPasses() {
        MemoryRecords records = records(Compression.NONE, new SimpleRecord(NOW, bytes("k"), new byte[500]));
        LogConfig exact =
                new LogConfig(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(records.sizeInBytes())));
        LogConfig oneLess = new LogConfig(
                Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(records.sizeInBytes() - 1)));

        assertThat(BatchValidator.validate(records, exact, NOW).recordCount()).isEqualTo(1);
        assertThatThrownBy(() -> BatchValidator.validate(records, oneLess, NOW))
                .isInstanceOf(RecordTooLargeException.class);
    }

    @Test
    void rejectsTimestampTooOld() {
        LogConfig config = new LogConfig(Map.of(TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_CONFIG, "60000"));
        MemoryRecords ok = records(Compression.NONE, new SimpleRecord(NOW - 60_000, bytes("k"), bytes("v")));
        MemoryRecords old = records(
                Compression.NONE,
                new SimpleRecord(NOW, bytes("k"), bytes("v")),
                new SimpleRecord(NOW - 60_001, bytes("k"), bytes("v")));

        assertThat(BatchValidator.validate(ok, config, NOW).recordCount()).isEqualTo(1);
        assertThatThrownBy(() -> BatchValidator.validate(old, config, NOW))
                .isInstanceOf(InvalidTimestampException.class)
                .hasMessageContaining(Long.toString(NOW - 60_001));
    }

    @Test
    void rejectsTimestampTooFarInTheFuture() {
        // message.timestamp.after.max.ms defaults to one hour
        MemoryRecords ok = records(Compression.NONE, new SimpleRecord(NOW + 3_600_000, bytes("k"), bytes("v")));
        MemoryRecords future = records(
                Compression.NONE,
                new SimpleRecord(NOW, bytes("k"), bytes("v")),
                new SimpleRecord(NOW + 3_600_001, bytes("k"), bytes("v")));

        assertThat(BatchValidator.validate(ok, DEFAULTS, NOW).recordCount()).isEqualTo(1);
        assertThatThrownBy(() -> BatchValidator.validate(future, DEFAULTS, NOW))
                .isInstanceOf(InvalidTimestampException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gzip", "zstd", "lz4", "snappy"})
    void rejectsOutOfRangeTimestampsOfCompressedBatches(String codec) {
        LogConfig config = new LogConfig(Map.of(TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_CONFIG, "60000"));
        Compression compression = Compression.of(codec).build();
        MemoryRecords oldFirst = records(
                compression,
                new SimpleRecord(NOW - 120_000, bytes("k"), bytes("v")),
                new SimpleRecord(NOW, bytes("k"), bytes("v")));
        MemoryRecords future = records(
                compression,
                new SimpleRecord(NOW, bytes("k"), bytes("v")),
                new SimpleRecord(NOW + 7_200_000, bytes("k"), bytes("v")));

        assertThatThrownBy(() -> BatchValidator.validate(oldFirst, config, NOW))
                .isInstanceOf(InvalidTimestampException.class);
        assertThatThrownBy(() -> BatchValidator.validate(future, config, NOW))
                .isInstanceOf(InvalidTimestampException.class);
    }

    @Test
    void rejectsTooOldTimestampInTheMiddleOfACompressedBatch() {
        LogConfig config = new LogConfig(Map.of(TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_CONFIG, "60000"));
        MemoryRecords records = records(
                Compression.gzip().build(),
                new SimpleRecord(NOW, bytes("a"), bytes("1")),
                new SimpleRecord(NOW - 120_000, bytes("b"), bytes("2")),
                new SimpleRecord(NOW, bytes("c"), bytes("3")));

        assertThatThrownBy(() -> BatchValidator.validate(records, config, NOW))
                .isInstanceOf(InvalidTimestampException.class);
    }

    @Test
    void logAppendTimeRewritesMaxTimestampAndKeepsTheCrcValid() {
        LogConfig config = new LogConfig(Map.of(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime"));
        // with LogAppendTime, producer timestamps are not checked: this one is a day old
        MemoryRecords records = records(
                Compression.NONE,
                new SimpleRecord(NOW - 86_400_000, bytes("a"), bytes("1")),
                new SimpleRecord(NOW - 86_400_000 + 5, bytes("b"), bytes("2")));

        BatchValidator.Validated validated = BatchValidator.validate(records, config, NOW);

        MemoryRecords reread = MemoryRecords.readableRecords(ByteBuffer.wrap(copy(validated.records())));
        MutableRecordBatch batch = reread.batches().iterator().next();
        assertThat(batch.timestampType()).isEqualTo(TimestampType.LOG_APPEND_TIME);
        assertThat(batch.maxTimestamp()).isEqualTo(NOW);
        assertThat(batch.isValid()).isTrue();
        batch.ensureValid();
        for (Record record : batch) {
            assertThat(record.timestamp()).isEqualTo(NOW);
        }
        assertThat(validated.batches().getFirst().maxTimestamp()).isEqualTo(NOW);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gzip", "zstd", "lz4", "snappy"})
    void logAppendTimeOnCompressedBatchKeepsRecordsAndCrcValid(String codec) {
        LogConfig config = new LogConfig(Map.of(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime"));
        MemoryRecords records = records(
                Compression.of(codec).build(),
                new SimpleRecord(NOW - 1000, bytes("a"), bytes("1")),
                new SimpleRecord(NOW - 999, bytes("b"), bytes("2")));
        byte[] before = copy(records);

        BatchValidator.validate(records, config, NOW);

        byte[] after = copy(records);
        int recordsStart = DefaultRecordBatch.RECORD_BATCH_OVERHEAD;
        assertThat(ByteBuffer.wrap(after, recordsStart, after.length - recordsStart))
                .isEqualTo(ByteBuffer.wrap(before, recordsStart, before.length - recordsStart));
        MutableRecordBatch batch = MemoryRecords.readableRecords(ByteBuffer.wrap(after))
                .batches()
                .iterator()
                .next();
        assertThat(batch.isValid()).isTrue();
        assertThat(batch.maxTimestamp()).isEqualTo(NOW);
        assertThat(batch.timestampType()).isEqualTo(TimestampType.LOG_APPEND_TIME);
    }

    @Test
    void rejectsProducerSetLogAppendTime() {
        MemoryRecordsBuilder builder = MemoryRecords.builder(
                ByteBuffer.allocate(1024),
                RecordBatch.CURRENT_MAGIC_VALUE,
                Compression.NONE,
                TimestampType.LOG_APPEND_TIME,
                0L,
                NOW);
        builder.append(NOW, bytes("k"), bytes("v"));
        MemoryRecords records = builder.build();

        assertThatThrownBy(() -> BatchValidator.validate(records, DEFAULTS, NOW))
                .isInstanceOf(InvalidTimestampException.class);
    }

    @Test
    void rejectsTransactionalBatch() {
        MemoryRecords records = MemoryRecords.withTransactionalRecords(
                Compression.NONE, 5L, (short) 0, 0, new SimpleRecord(NOW, bytes("k"), bytes("v")));

        assertThatThrownBy(() -> BatchValidator.validate(records, DEFAULTS, NOW))
                .isInstanceOf(InvalidTxnStateException.class);
    }

    @Test
    void rejectsCompressedTransactionalBatch() {
        MemoryRecords records = MemoryRecords.withTransactionalRecords(
                Compression.zstd().build(), 5L, (short) 0, 0, new SimpleRecord(NOW, bytes("k"), bytes("v")));

        assertThatThrownBy(() -> BatchValidator.validate(records, DEFAULTS, NOW))
                .isInstanceOf(InvalidTxnStateException.class);
    }

    @Test
    void rejectsControlBatch() {
        MemoryRecords records = MemoryRecords.withEndTransactionMarker(
                0L, NOW, 0, 5L, (short) 0, new EndTransactionMarker(ControlRecordType.COMMIT, 0));

        assertThatThrownBy(() -> BatchValidator.validate(records, DEFAULTS, NOW))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("control");
    }

    @Test
    void rejectsNonZeroBaseOffset() {
        MemoryRecords records =
                MemoryRecords.withRecords(42L, Compression.NONE, new SimpleRecord(NOW, bytes("k"), bytes("v")));

        assertThatThrownBy(() -> BatchValidator.validate(records, DEFAULTS, NOW))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("must be 0, not 42");
    }

    @Test
    void rejectsEmptyRequest() {
        assertThatThrownBy(() -> BatchValidator.validate(MemoryRecords.EMPTY, DEFAULTS, NOW))
                .isInstanceOf(InvalidRecordException.class);
    }

    @Test
    void rejectsTrailingPartialBatch() {
        MemoryRecords first = records(Compression.NONE, new SimpleRecord(NOW, bytes("a"), bytes("1")));
        MemoryRecords second = records(Compression.NONE, new SimpleRecord(NOW, bytes("b"), bytes("2")));
        byte[] both = copy(concat(first, second));
        MemoryRecords truncated = MemoryRecords.readableRecords(
                ByteBuffer.wrap(both, 0, both.length - 5).slice());

        assertThatThrownBy(() -> BatchValidator.validate(truncated, DEFAULTS, NOW))
                .isInstanceOf(CorruptRecordException.class);
    }

    @Test
    void rejectsTrailingGarbageTooShortForABatchHeader() {
        byte[] batch = copy(records(Compression.NONE, new SimpleRecord(NOW, bytes("a"), bytes("1"))));
        byte[] withGarbage = new byte[batch.length + 7];
        System.arraycopy(batch, 0, withGarbage, 0, batch.length);

        assertThatThrownBy(() -> BatchValidator.validate(
                        MemoryRecords.readableRecords(ByteBuffer.wrap(withGarbage)), DEFAULTS, NOW))
                .isInstanceOf(CorruptRecordException.class);
    }

    @Test
    void rejectsBatchLengthTooSmall() {
        MemoryRecords records = records(Compression.NONE, new SimpleRecord(NOW, bytes("a"), bytes("1")));
        records.buffer().putInt(8, 3); // the batch length field

        assertThatThrownBy(() -> BatchValidator.validate(records, DEFAULTS, NOW))
                .isInstanceOf(CorruptRecordException.class);
    }

    @Test
    void rejectsRecordCountNotMatchingLastOffsetDelta() {
        MemoryRecords records = records(
                Compression.NONE,
                new SimpleRecord(NOW, bytes("a"), bytes("1")),
                new SimpleRecord(NOW, bytes("b"), bytes("2")));
        ByteBuffer buffer = records.buffer();
        buffer.putInt(DefaultRecordBatch.RECORDS_COUNT_OFFSET, 3);
        fixCrc(buffer);

        assertThatThrownBy(() -> BatchValidator.validate(records, DEFAULTS, NOW))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("declares 3 records");
    }

    @Test
    void rejectsWrongOffsetDeltaBehindAValidCrc() {
        MemoryRecords records = records(
                Compression.NONE,
                new SimpleRecord(NOW, bytes("a"), bytes("1")),
                new SimpleRecord(NOW, bytes("b"), bytes("2")));
        ByteBuffer buffer = records.buffer();
        // first record: length varint (1 byte), attributes (1), timestamp delta 0 (1), then offset delta
        int offsetDelta = DefaultRecordBatch.RECORD_BATCH_OVERHEAD + 3;
        assertThat(ByteUtils.readVarint(buffer.duplicate().position(offsetDelta)))
                .isZero();
        buffer.put(offsetDelta, (byte) 2); // zigzag 1
        fixCrc(buffer);
        assertThat(records.batches().iterator().next().isValid()).isTrue();

        assertThatThrownBy(() -> BatchValidator.validate(records, DEFAULTS, NOW))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("offset delta");
    }

    @Test
    void rejectsTruncatedRecordBehindAValidCrc() {
        MemoryRecords records = records(Compression.NONE, new SimpleRecord(NOW, bytes("key"), bytes("value")));
        ByteBuffer buffer = records.buffer();
        int length = DefaultRecordBatch.RECORD_BATCH_OVERHEAD;
        buffer.put(length, (byte) (buffer.get(length) + 2)); // length + 1, zigzag
        fixCrc(buffer);

        assertThatThrownBy(() -> BatchValidator.validate(records, DEFAULTS, NOW))
                .isInstanceOf(InvalidRecordException.class);
    }

    @Test
    void rejectedBatchIsNotRewrittenForLogAppendTime() {
        LogConfig config = new LogConfig(Map.of(
                TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG,
                "LogAppendTime",
                TopicConfig.CLEANUP_POLICY_CONFIG,
                TopicConfig.CLEANUP_POLICY_COMPACT));
        MemoryRecords records = records(Compression.NONE, new SimpleRecord(NOW - 5, null, bytes("v")));
        byte[] before = copy(records);

        assertThatThrownBy(() -> BatchValidator.validate(records, config, NOW))
                .isInstanceOf(InvalidRecordException.class);
        assertThat(copy(records)).isEqualTo(before);
    }

    // ---- helpers

    private static MemoryRecords records(Compression compression, SimpleRecord... records) {
        return MemoryRecords.withRecords(compression, records);
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

    private static byte[] copy(MemoryRecords records) {
        ByteBuffer buffer = records.buffer();
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    /** Recomputes the CRC-32C of the (first) batch in {@code buffer}, after a deliberate change. */
    private static void fixCrc(ByteBuffer buffer) {
        int size = buffer.getInt(8) + 12;
        int attributes = DefaultRecordBatch.CRC_OFFSET + 4;
        long crc = Crc32C.compute(buffer, attributes, size - attributes);
        buffer.putInt(DefaultRecordBatch.CRC_OFFSET, (int) crc);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(UTF_8);
    }
}
