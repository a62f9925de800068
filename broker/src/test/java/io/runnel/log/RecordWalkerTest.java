package io.runnel.log;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.DefaultRecordBatch;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.MemoryRecordsBuilder;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.record.SimpleRecord;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.utils.ByteUtils;
import org.junit.jupiter.api.Test;

class RecordWalkerTest {

    private static final long BASE_TS = 1_700_000_000_000L;

    // ---- batches built by kafka-clients

    @Test
    void walksValidBatchBuiltByKafkaAndReportsTimestampDeltas() {
        MemoryRecords records = MemoryRecords.withRecords(
                Compression.NONE,
                new SimpleRecord(BASE_TS, bytes("k0"), bytes("v0")),
                new SimpleRecord(BASE_TS + 5, bytes("k1"), null),
                new SimpleRecord(BASE_TS - 3, bytes("k2"), bytes("v2"), new Header[] {
                    new RecordHeader("h1", bytes("x")), new RecordHeader("h2", null)
                }),
                new SimpleRecord(BASE_TS + 100_000, bytes(""), new byte[1000]));

        List<String> seen = new ArrayList<>();
        RecordWalker.walk(recordsSection(records), 4, true, (i, delta) -> seen.add(i + ":" + delta));

        assertThat(seen).containsExactly("0:0", "1:5", "2:-3", "3:100000");
    }

    @Test
    void walksBatchWithNullKeysWhenKeysAreNotRequired() {
        MemoryRecords records = MemoryRecords.withRecords(
                Compression.NONE, new SimpleRecord(BASE_TS, null, bytes("v0")), new SimpleRecord(BASE_TS, bytes("v1")));

        assertThatCode(() -> RecordWalker.walk(recordsSection(records), 2, false, (i, d) -> {}))
                .doesNotThrowAnyException();
    }

    @Test
    void walksLargeBatchBuiltWithBuilder() {
        MemoryRecordsBuilder builder =
                MemoryRecords.builder(ByteBuffer.allocate(1 << 20), Compression.NONE, TimestampType.CREATE_TIME, 0L);
        for (int i = 0; i < 500; i++) {
            builder.append(BASE_TS + i, bytes("key-" + i), bytes("value-" + i));
        }
        MemoryRecords records = builder.build();
        int[] calls = {0};

        RecordWalker.walk(recordsSection(records), 500, true, (i, delta) -> {
            assertThat(delta).isEqualTo(i);
            calls[0]++;
        });

        assertThat(calls[0]).isEqualTo(500);
    }

    @Test
    void rejectsMissingKeyOnCompactedTopic() {
        MemoryRecords records = MemoryRecords.withRecords(
                Compression.NONE,
                new SimpleRecord(BASE_TS, bytes("k"), bytes("v")),
                new SimpleRecord(BASE_TS, null, bytes("v")));

        assertThatThrownBy(() -> RecordWalker.walk(recordsSection(records), 2, true, (i, d) -> {}))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("without key");
    }

    @Test
    void emptyKeyIsAKeyOnCompactedTopic() {
        MemoryRecords records =
                MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(BASE_TS, new byte[0], bytes("v")));

        assertThatCode(() -> RecordWalker.walk(recordsSection(records), 1, true, (i, d) -> {}))
                .doesNotThrowAnyException();
    }

    @Test
    void rejectsCountLargerThanTheRecordsHeld() {
        MemoryRecords records = twoRecords();

        assertThatThrownBy(() -> RecordWalker.walk(recordsSection(records), 3, false, (i, d) -> {}))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("declares 3 records but holds 2");
    }

    @Test
    void rejectsCountSmallerThanTheRecordsHeld() {
        MemoryRecords records = twoRecords();

        assertThatThrownBy(() -> RecordWalker.walk(recordsSection(records), 1, false, (i, d) -> {}))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("bytes follow");
        assertThatThrownBy(() -> RecordWalker.walk(recordsSection(records), 0, false, (i, d) -> {}))
                .isInstanceOf(InvalidRecordException.class);
    }

    @Test
    void acceptsEmptySectionWithCountZero() {
        assertThatCode(() -> RecordWalker.walk(ByteBuffer.allocate(0), 0, true, (i, d) -> {}))
                .doesNotThrowAnyException();
    }

    @Test
    void doesNotMoveTheCallersBuffer() {
        ByteBuffer section = recordsSection(twoRecords());
        int position = section.position();
        int limit = section.limit();

        RecordWalker.walk(section, 2, false, (i, d) -> {});

        assertThat(section.position()).isEqualTo(position);
        assertThat(section.limit()).isEqualTo(limit);
    }

    @Test
    void propagatesTheTimestampChecksException() {
        ByteBuffer section = recordsSection(twoRecords());

        assertThatThrownBy(() -> RecordWalker.walk(section, 2, false, (i, d) -> {
                    if (i == 1) {
                        throw new InvalidTimestampException("too old");
                    }
                }))
                .isInstanceOf(InvalidTimestampException.class)
                .hasMessage("too old");
    }

    @Test
    void hardCorruptedLengthInKafkaBuiltBatchIsRejected() {
        // The first record's length varint is the first byte of the records section; records this small
        // encode it in one byte (zigzag, so the length times two).
        ByteBuffer section = recordsSection(twoRecords());
        int length = ByteUtils.readVarint(section.duplicate());
        section.put(section.position(), (byte) ((length + 1) << 1));

        assertThatThrownBy(() -> RecordWalker.walk(section, 2, false, (i, d) -> {}))
                .isInstanceOf(InvalidRecordException.class);
    }

    // ---- hand-built records sections

    @Test
    void handBuiltValidRecordsPass() {
        ByteBuffer section =
                section(record(body(0, 0, "a", "1")), record(body(7, 1, null, "2")), record(body(-2, 2, "c", null)));
        List<Long> deltas = new ArrayList<>();

        RecordWalker.walk(section, 3, false, (i, d) -> deltas.add(d));

        assertThat(deltas).containsExactly(0L, 7L, -2L);
    }

    @Test
    void rejectsRecordLengthBeyondTheBatch() {
        byte[] body = body(0, 0, "k", "v");
        ByteBuffer section = section(withLength(body, body.length + 5));

        assertThatThrownBy(() -> RecordWalker.walk(section, 1, false, (i, d) -> {}))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("invalid length");
    }

    @Test
    void rejectsNegativeRecordLength() {
        ByteBuffer section = section(withLength(body(0, 0, "k", "v"), -3));

        assertThatThrownBy(() -> RecordWalker.walk(section, 1, false, (i, d) -> {}))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("invalid length -3");
    }

    @Test
    void rejectsRecordLengthShorterThanItsFields() {
        byte[] first = body(0, 0, "key", "value");
        // the first record claims to end two bytes early; its fields run past that
        ByteBuffer section = section(withLength(first, first.length - 2), record(body(0, 1, "k", "v")));

        assertThatThrownBy(() -> RecordWalker.walk(section, 2, false, (i, d) -> {}))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("Record 0");
    }

    @Test
    void rejectsRecordLengthLongerThanItsFields() {
        byte[] first = body(0, 0, "key", "value");
        byte[] padded = new byte[first.length + 2];
        System.arraycopy(first, 0, padded, 0, first.length);
        ByteBuffer section = section(record(padded));

        assertThatThrownBy(() -> RecordWalker.walk(section, 1, false, (i, d) -> {}))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("fields take");
    }

    @Test
    void rejectsZeroLengthRecord() {
        ByteBuffer section = section(withLength(new byte[0], 0));

        assertThatThrownBy(() -> RecordWalker.walk(section, 1, false, (i, d) -> {}))
                .isInstanceOf(InvalidRecordException.class);
    }

    @Test
    void rejectsOffsetDeltaGap() {
        ByteBuffer section = section(record(body(0, 0, "a", "1")), record(body(0, 2, "b", "2")));

        assertThatThrownBy(() -> RecordWalker.walk(section, 2, false, (i, d) -> {}))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("offset delta 2; expected 1");
    }

    @Test
    void rejectsOffsetDeltaNotStartingAtZero() {
        ByteBuffer section = section(record(body(0, 1, "a", "1")));

        assertThatThrownBy(() -> RecordWalker.walk(section, 1, false, (i, d) -> {}))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("offset delta 1; expected 0");
    }

    @Test
    void rejectsRepeatedOffsetDelta() {
        ByteBuffer section = section(record(body(0, 0, "a", "1")), record(body(0, 0, "b", "2")));

        assertThatThrownBy(() -> RecordWalker.walk(section, 2, false, (i, d) -> {}))
                .isInstanceOf(InvalidRecordException.class);
    }

    @Test
    void rejectsMissingKeyOnCompactedTopicInHandBuiltRecords() {
        ByteBuffer section = section(record(body(0, 0, "a", "1")), record(body(0, 1, null, "2")));

        assertThatCode(() -> RecordWalker.walk(section.duplicate(), 2, false, (i, d) -> {}))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> RecordWalker.walk(section, 2, true, (i, d) -> {}))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("without key");
    }

    @Test
    void rejectsInvalidKeyLength() {
        Fields fields = new Fields()
                .attributes()
                .varlong(0)
                .varint(0)
                .varint(-2)
                .varint(-1)
                .varint(0);
        ByteBuffer section = section(record(fields.bytes()));

        assertThatThrownBy(() -> RecordWalker.walk(section, 1, false, (i, d) -> {}))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("invalid key length -2");
    }

    @Test
    void rejectsValueLengthBeyondTheRecord() {
        Fields fields = new Fields()
                .attributes()
                .varlong(0)
                .varint(0)
                .varint(1)
                .raw("k")
                .varint(50)
                .raw("short")
                .varint(0);
        ByteBuffer section = section(record(fields.bytes()));

        assertThatThrownBy(() -> RecordWalker.walk(section, 1, false, (i, d) -> {}))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("invalid value length 50");
    }

    @Test
    void rejectsNegativeHeaderCount() {
        Fields fields = new Fields()
                .attributes()
                .varlong(0)
                .varint(0)
                .varint(1)
                .raw("k")
                .varint(-1)
                .varint(-1);
        ByteBuffer section = section(record(fields.bytes()));

        assertThatThrownBy(() -> RecordWalker.walk(section, 1, false, (i, d) -> {}))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("-1 headers");
    }

    @Test
    void rejectsHeaderWithNullKey() {
        Fields fields = new Fields()
                .attributes()
                .varlong(0)
                .varint(0)
                .varint(1)
                .raw("k")
                .varint(-1)
                .varint(1)
                .varint(-1)
                .varint(-1);
        ByteBuffer section = section(record(fields.bytes()));

        assertThatThrownBy(() -> RecordWalker.walk(section, 1, false, (i, d) -> {}))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("null key");
    }

    @Test
    void rejectsMoreHeadersThanTheRecordHolds() {
        Fields fields = new Fields()
                .attributes()
                .varlong(0)
                .varint(0)
                .varint(1)
                .raw("k")
                .varint(-1)
                .varint(3)
                .varint(1)
                .raw("h")
                .varint(-1);
        ByteBuffer section = section(record(fields.bytes()));

        assertThatThrownBy(() -> RecordWalker.walk(section, 1, false, (i, d) -> {}))
                .isInstanceOf(InvalidRecordException.class);
    }

    @Test
    void rejectsMalformedLengthVarint() {
        // five continuation bytes: not a valid varint
        ByteBuffer section =
                ByteBuffer.wrap(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff});

        assertThatThrownBy(() -> RecordWalker.walk(section, 1, false, (i, d) -> {}))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("malformed length");
    }

    @Test
    void rejectsMalformedVarintInsideRecord() {
        Fields fields = new Fields().attributes();
        for (int i = 0; i < 10; i++) {
            fields.raw(new byte[] {(byte) 0xff});
        }
        ByteBuffer section = section(record(fields.bytes()));

        assertThatThrownBy(() -> RecordWalker.walk(section, 1, false, (i, d) -> {}))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("truncated or malformed");
    }

    @Test
    void rejectsTruncatedSection() {
        ByteBuffer full = section(record(body(0, 0, "key", "value")));
        ByteBuffer truncated =
                ByteBuffer.wrap(full.array(), 0, full.remaining() - 3).slice();

        assertThatThrownBy(() -> RecordWalker.walk(truncated, 1, false, (i, d) -> {}))
                .isInstanceOf(InvalidRecordException.class);
    }

    @Test
    void doesNotReportTimestampsOfAFailingRecord() {
        ByteBuffer section = section(record(body(1, 0, "a", "1")), record(body(2, 5, "b", "2")));
        List<Long> deltas = new ArrayList<>();

        assertThatThrownBy(() -> RecordWalker.walk(section, 2, false, (i, d) -> deltas.add(d)))
                .isInstanceOf(InvalidRecordException.class);
        assertThat(deltas).containsExactly(1L);
    }

    // ---- helpers

    private static MemoryRecords twoRecords() {
        return MemoryRecords.withRecords(
                Compression.NONE,
                new SimpleRecord(BASE_TS, bytes("k0"), bytes("v0")),
                new SimpleRecord(BASE_TS + 1, bytes("k1"), bytes("v1")));
    }

    /** The records section of the only batch in {@code records}, positioned and limited as the validator does. */
    private static ByteBuffer recordsSection(MemoryRecords records) {
        ByteBuffer buffer = records.buffer();
        RecordBatch batch = records.batches().iterator().next();
        assertThat(batch.magic()).isEqualTo(RecordBatch.MAGIC_VALUE_V2);
        int start = buffer.position() + DefaultRecordBatch.RECORD_BATCH_OVERHEAD;
        buffer.limit(buffer.position() + batch.sizeInBytes()).position(start);
        return buffer.slice();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(UTF_8);
    }

    /** The fields of a record (everything after its length), with no headers. */
    private static byte[] body(long timestampDelta, int offsetDelta, String key, String value) {
        Fields fields = new Fields().attributes().varlong(timestampDelta).varint(offsetDelta);
        fields.nullable(key).nullable(value).varint(0);
        return fields.bytes();
    }

    private static byte[] record(byte[] body) {
        return withLength(body, body.length);
    }

    private static byte[] withLength(byte[] body, int length) {
        return new Fields().varint(length).raw(body).bytes();
    }

    private static ByteBuffer section(byte[]... records) {
        Fields all = new Fields();
        for (byte[] record : records) {
            all.raw(record);
        }
        return ByteBuffer.wrap(all.bytes());
    }

    /** Writes record fields by hand, right or wrong. */
    private static final class Fields {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final DataOutputStream out = new DataOutputStream(bytes);

        Fields attributes() {
            return raw(new byte[] {0});
        }

        Fields varint(int value) {
            try {
                ByteUtils.writeVarint(value, out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        Fields varlong(long value) {
            try {
                ByteUtils.writeVarlong(value, out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        Fields nullable(String s) {
            if (s == null) {
                return varint(-1);
            }
            byte[] b = RecordWalkerTest.bytes(s);
            return varint(b.length).raw(b);
        }

        Fields raw(String s) {
            return raw(RecordWalkerTest.bytes(s));
        }

        Fields raw(byte[] b) {
            try {
                out.write(b);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        byte[] bytes() {
            return bytes.toByteArray();
        }
    }
}
