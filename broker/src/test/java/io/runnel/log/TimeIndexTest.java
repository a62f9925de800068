package io.runnel.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TimeIndexTest {

    private static final long BASE = 500L;
    private static final long TS = 1_700_000_000_000L;

    @TempDir
    Path dir;

    /** (TS+100, 510), (TS+200, 520), (TS+300, 530). */
    private static TimeIndex index() {
        TimeIndex index = new TimeIndex(BASE);
        index.maybeAppend(TS + 100, BASE + 10);
        index.maybeAppend(TS + 200, BASE + 20);
        index.maybeAppend(TS + 300, BASE + 30);
        return index;
    }

    @Test
    void emptyIndexLooksUpTheBaseOffset() {
        TimeIndex index = new TimeIndex(BASE);

        assertThat(index.lastTimestamp()).isEqualTo(-1);
        assertThat(index.lookup(0)).isEqualTo(BASE);
        assertThat(index.lookup(Long.MAX_VALUE)).isEqualTo(BASE);
    }

    @Test
    void lookupGivesTheLastEntryWithAnOlderTimestamp() {
        TimeIndex index = index();

        assertThat(index.lookup(TS)).isEqualTo(BASE);
        assertThat(index.lookup(TS + 100)).as("equal is not older").isEqualTo(BASE);
        assertThat(index.lookup(TS + 101)).isEqualTo(BASE + 10);
        assertThat(index.lookup(TS + 200)).isEqualTo(BASE + 10);
        assertThat(index.lookup(TS + 250)).isEqualTo(BASE + 20);
        assertThat(index.lookup(TS + 301)).isEqualTo(BASE + 30);
        assertThat(index.lookup(Long.MAX_VALUE)).isEqualTo(BASE + 30);
        assertThat(index.lastTimestamp()).isEqualTo(TS + 300);
    }

    @Test
    void appendsOnlyStrictlyIncreasingEntries() {
        TimeIndex index = index();

        index.maybeAppend(TS + 300, BASE + 40); // same timestamp
        index.maybeAppend(TS + 250, BASE + 40); // older timestamp
        index.maybeAppend(TS + 400, BASE + 30); // same offset
        index.maybeAppend(TS + 400, BASE + 25); // lower offset

        assertThat(index.lastTimestamp()).isEqualTo(TS + 300);
        assertThat(index.lookup(Long.MAX_VALUE)).isEqualTo(BASE + 30);

        index.maybeAppend(TS + 400, BASE + 40);
        assertThat(index.lastTimestamp()).isEqualTo(TS + 400);
        assertThat(index.lookup(TS + 401)).isEqualTo(BASE + 40);
    }

    @Test
    void growsBeyondItsInitialCapacity() {
        TimeIndex index = new TimeIndex(BASE);
        for (int i = 1; i <= 1000; i++) {
            index.maybeAppend(TS + i * 10L, BASE + i);
        }

        assertThat(index.lastTimestamp()).isEqualTo(TS + 10_000);
        for (int i = 1; i <= 1000; i++) {
            assertThat(index.lookup(TS + i * 10L + 1)).isEqualTo(BASE + i);
        }
    }

    @Test
    void truncateDropsEntriesAtOrAboveTheOffset() {
        TimeIndex index = index();

        index.truncateTo(BASE + 21);
        assertThat(index.lastTimestamp()).isEqualTo(TS + 200);

        index.truncateTo(BASE + 20);
        assertThat(index.lastTimestamp()).isEqualTo(TS + 100);
        assertThat(index.lookup(Long.MAX_VALUE)).isEqualTo(BASE + 10);

        index.truncateTo(BASE);
        assertThat(index.lastTimestamp()).isEqualTo(-1);
        assertThat(index.lookup(Long.MAX_VALUE)).isEqualTo(BASE);

        index.maybeAppend(TS + 50, BASE + 5);
        assertThat(index.lastTimestamp()).isEqualTo(TS + 50);
    }

    @Test
    void fileRoundTrip() throws IOException {
        TimeIndex index = index();
        Path file = dir.resolve("00000000000000000500.timeindex");

        index.writeTo(file);

        assertThat(Files.size(file)).isEqualTo(3 * 12);
        ByteBuffer raw = ByteBuffer.wrap(Files.readAllBytes(file));
        assertThat(raw.getLong(12)).isEqualTo(TS + 200);
        assertThat(raw.getInt(20)).isEqualTo(20);
        assertThat(Files.exists(file.resolveSibling(file.getFileName() + ".tmp")))
                .isFalse();

        TimeIndex read = TimeIndex.readFrom(file, BASE, BASE + 31);
        assertThat(read).isNotNull();
        assertThat(read.lastTimestamp()).isEqualTo(TS + 300);
        for (long ts = TS; ts < TS + 320; ts++) {
            assertThat(read.lookup(ts)).isEqualTo(index.lookup(ts));
        }
    }

    @Test
    void emptyIndexRoundTrips() throws IOException {
        Path file = dir.resolve("empty.timeindex");
        new TimeIndex(BASE).writeTo(file);

        TimeIndex read = TimeIndex.readFrom(file, BASE, BASE);

        assertThat(read).isNotNull();
        assertThat(read.lastTimestamp()).isEqualTo(-1);
    }

    @Test
    void missingFileReadsAsNull() throws IOException {
        assertThat(TimeIndex.readFrom(dir.resolve("none.timeindex"), BASE, BASE + 10))
                .isNull();
    }

    @Test
    void rejectsFileWithPartialEntry() throws IOException {
        Path file = write(entry(TS, 0), new byte[] {1, 2, 3, 4});

        assertThat(TimeIndex.readFrom(file, BASE, BASE + 10)).isNull();
    }

    @Test
    void rejectsOffsetsAtOrBeyondTheSegmentEnd() throws IOException {
        Path file = write(entry(TS, 0), entry(TS + 1, 9));

        assertThat(TimeIndex.readFrom(file, BASE, BASE + 10)).isNotNull();
        assertThat(TimeIndex.readFrom(file, BASE, BASE + 9)).isNull();
        assertThat(TimeIndex.readFrom(file, BASE, BASE)).isNull();
    }

    @Test
    void rejectsNonIncreasingTimestamps() throws IOException {
        assertThat(TimeIndex.readFrom(write(entry(TS, 0), entry(TS, 5)), BASE, BASE + 10))
                .isNull();
        assertThat(TimeIndex.readFrom(write(entry(TS, 0), entry(TS - 1, 5)), BASE, BASE + 10))
                .isNull();
    }

    @Test
    void rejectsNonIncreasingOffsets() throws IOException {
        assertThat(TimeIndex.readFrom(write(entry(TS, 5), entry(TS + 1, 5)), BASE, BASE + 10))
                .isNull();
        assertThat(TimeIndex.readFrom(write(entry(TS, 5), entry(TS + 1, 4)), BASE, BASE + 10))
                .isNull();
    }

    private static byte[] entry(long timestamp, int relativeOffset) {
        return ByteBuffer.allocate(12).putLong(timestamp).putInt(relativeOffset).array();
    }

    private Path write(byte[]... parts) throws IOException {
        Path file = Files.createTempFile(dir, "times", ".timeindex");
        try (var out = Files.newOutputStream(file)) {
            for (byte[] part : parts) {
                out.write(part);
            }
        }
        return file;
    }
}
