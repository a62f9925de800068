package io.runnel.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OffsetIndexTest {

    private static final long BASE = 1_000L;

    @TempDir
    Path dir;

    /** Entries every 10 offsets from the base, at positions 0, 100, 200, ... */
    private static OffsetIndex index(int entries) {
        OffsetIndex index = new OffsetIndex(BASE);
        for (int i = 0; i < entries; i++) {
            index.append(BASE + i * 10L, i * 100);
        }
        return index;
    }

    @Test
    void emptyIndexLooksUpPositionZero() {
        OffsetIndex index = new OffsetIndex(BASE);

        assertThat(index.entries()).isZero();
        assertThat(index.lookup(BASE)).isZero();
        assertThat(index.lookup(Long.MAX_VALUE)).isZero();
    }

    @Test
    void lookupFindsTheLastEntryAtOrBelowTheOffset() {
        OffsetIndex index = index(5); // offsets 1000..1040

        assertThat(index.lookup(BASE - 1)).as("below the first entry").isZero();
        assertThat(index.lookup(BASE)).isZero();
        assertThat(index.lookup(BASE + 9)).isZero();
        assertThat(index.lookup(BASE + 10)).isEqualTo(100);
        assertThat(index.lookup(BASE + 11)).isEqualTo(100);
        assertThat(index.lookup(BASE + 39)).isEqualTo(300);
        assertThat(index.lookup(BASE + 40)).isEqualTo(400);
        assertThat(index.lookup(Long.MAX_VALUE)).isEqualTo(400);
    }

    @Test
    void lookupWhenTheFirstEntryIsNotAtTheBase() {
        OffsetIndex index = new OffsetIndex(BASE);
        index.append(BASE + 5, 64);

        assertThat(index.lookup(BASE)).isZero();
        assertThat(index.lookup(BASE + 4)).isZero();
        assertThat(index.lookup(BASE + 5)).isEqualTo(64);
    }

    @Test
    void growsBeyondItsInitialCapacity() {
        OffsetIndex index = index(1000);

        assertThat(index.entries()).isEqualTo(1000);
        for (int i = 0; i < 1000; i++) {
            assertThat(index.lookup(BASE + i * 10L + 3)).isEqualTo(i * 100);
        }
    }

    @Test
    void ignoresAppendsThatDoNotAdvanceTheOffset() {
        OffsetIndex index = index(3); // up to 1020

        index.append(BASE + 20, 999);
        index.append(BASE + 5, 999);

        assertThat(index.entries()).isEqualTo(3);
        assertThat(index.lookup(BASE + 25)).isEqualTo(200);
    }

    @Test
    void truncateDropsEntriesAtOrAboveTheOffset() {
        OffsetIndex index = index(5);

        index.truncateTo(BASE + 25);
        assertThat(index.entries()).isEqualTo(3);
        assertThat(index.lookup(BASE + 100)).isEqualTo(200);

        index.truncateTo(BASE + 20);
        assertThat(index.entries()).isEqualTo(2);
        assertThat(index.lookup(BASE + 100)).isEqualTo(100);

        index.truncateTo(BASE + 1_000);
        assertThat(index.entries()).isEqualTo(2);

        index.truncateTo(BASE);
        assertThat(index.entries()).isZero();
        assertThat(index.lookup(BASE + 100)).isZero();
    }

    @Test
    void appendAfterTruncateReusesTheSpace() {
        OffsetIndex index = index(5);
        index.truncateTo(BASE + 20);

        index.append(BASE + 20, 150);

        assertThat(index.entries()).isEqualTo(3);
        assertThat(index.lookup(BASE + 30)).isEqualTo(150);
    }

    @Test
    void fileRoundTrip() throws IOException {
        OffsetIndex index = index(20);
        Path file = dir.resolve("00000000000000001000.index");

        index.writeTo(file);

        assertThat(Files.size(file)).isEqualTo(20 * 8);
        ByteBuffer raw = ByteBuffer.wrap(Files.readAllBytes(file));
        assertThat(raw.getInt(8)).as("relative offset, big-endian").isEqualTo(10);
        assertThat(raw.getInt(12)).as("position").isEqualTo(100);
        assertThat(Files.exists(file.resolveSibling(file.getFileName() + ".tmp")))
                .isFalse();

        OffsetIndex read = OffsetIndex.readFrom(file, BASE, 10_000);
        assertThat(read).isNotNull();
        assertThat(read.entries()).isEqualTo(20);
        for (long offset = BASE - 1; offset < BASE + 210; offset++) {
            assertThat(read.lookup(offset)).isEqualTo(index.lookup(offset));
        }
    }

    @Test
    void writeReplacesAnExistingFile() throws IOException {
        Path file = dir.resolve("i.index");
        index(20).writeTo(file);

        index(2).writeTo(file);

        assertThat(OffsetIndex.readFrom(file, BASE, 10_000).entries()).isEqualTo(2);
    }

    @Test
    void emptyIndexRoundTrips() throws IOException {
        Path file = dir.resolve("empty.index");
        new OffsetIndex(BASE).writeTo(file);

        assertThat(Files.size(file)).isZero();
        OffsetIndex read = OffsetIndex.readFrom(file, BASE, 0);
        assertThat(read).isNotNull();
        assertThat(read.entries()).isZero();
    }

    @Test
    void missingFileReadsAsNull() throws IOException {
        assertThat(OffsetIndex.readFrom(dir.resolve("none.index"), BASE, 100)).isNull();
    }

    @Test
    void rejectsFileWithPartialEntry() throws IOException {
        Path file = write(entry(0, 0), entry(1, 10), new byte[] {0, 0, 0});

        assertThat(OffsetIndex.readFrom(file, BASE, 100)).isNull();
    }

    @Test
    void rejectsNonIncreasingOffsets() throws IOException {
        assertThat(OffsetIndex.readFrom(write(entry(0, 0), entry(5, 10), entry(5, 20)), BASE, 100))
                .isNull();
        assertThat(OffsetIndex.readFrom(write(entry(0, 0), entry(5, 10), entry(4, 20)), BASE, 100))
                .isNull();
    }

    @Test
    void rejectsNonIncreasingPositions() throws IOException {
        assertThat(OffsetIndex.readFrom(write(entry(0, 0), entry(5, 10), entry(6, 10)), BASE, 100))
                .isNull();
        assertThat(OffsetIndex.readFrom(write(entry(0, 50), entry(5, 10)), BASE, 100))
                .isNull();
    }

    @Test
    void rejectsPositionsAtOrBeyondTheLogSize() throws IOException {
        Path file = write(entry(0, 0), entry(5, 10), entry(9, 99));

        assertThat(OffsetIndex.readFrom(file, BASE, 100)).isNotNull();
        assertThat(OffsetIndex.readFrom(file, BASE, 99)).isNull();
        assertThat(OffsetIndex.readFrom(file, BASE, 50)).isNull();
    }

    @Test
    void rejectsNegativeRelativeOffsetsOrPositions() throws IOException {
        assertThat(OffsetIndex.readFrom(write(entry(-1, 0)), BASE, 100)).isNull();
        assertThat(OffsetIndex.readFrom(write(entry(0, -8)), BASE, 100)).isNull();
    }

    @Test
    void rejectsGarbage() throws IOException {
        byte[] garbage = new byte[64];
        new java.util.Random(7).nextBytes(garbage);
        Path file = dir.resolve("garbage.index");
        Files.write(file, garbage);

        assertThat(OffsetIndex.readFrom(file, BASE, 1 << 20)).isNull();
    }

    private static byte[] entry(int relativeOffset, int position) {
        return ByteBuffer.allocate(8).putInt(relativeOffset).putInt(position).array();
    }

    private Path write(byte[]... parts) throws IOException {
        Path file = Files.createTempFile(dir, "offsets", ".index");
        try (var out = Files.newOutputStream(file)) {
            for (byte[] part : parts) {
                out.write(part);
            }
        }
        return file;
    }
}
