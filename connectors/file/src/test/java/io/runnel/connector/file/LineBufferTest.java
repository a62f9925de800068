package io.runnel.connector.file;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LineBufferTest {

    @TempDir
    Path dir;

    @Test
    void splitsAtNewlineAndCountsCrLfAsOneTerminator() throws IOException {
        Path file = write("a\nbb\r\n\nc\rd\n");

        assertThat(readAll(file, 0))
                .containsExactly(
                        new LineBuffer.Line("a", 2),
                        new LineBuffer.Line("bb", 6),
                        new LineBuffer.Line("", 7),
                        new LineBuffer.Line("c\rd", 11));
    }

    @Test
    void keepsPartialLastLineUntilItsTerminatorArrives() throws IOException {
        Path file = write("one\ntw");
        LineBuffer lines = new LineBuffer(0);
        try (FileChannel channel = FileChannel.open(file)) {
            assertThat(drain(lines, channel)).containsExactly(new LineBuffer.Line("one", 4));
            assertThat(lines.position()).isEqualTo(4);
            assertThat(lines.readPosition()).isEqualTo(6);

            Files.writeString(file, "o\r", StandardOpenOption.APPEND);
            assertThat(drain(lines, channel)).isEmpty();

            Files.writeString(file, "\n", StandardOpenOption.APPEND);
            assertThat(drain(lines, channel)).containsExactly(new LineBuffer.Line("two", 9));
        }
    }

    @Test
    void startsAtTheGivenPosition() throws IOException {
        Path file = write("a\nbb\nccc\n");

        assertThat(readAll(file, 2)).containsExactly(new LineBuffer.Line("bb", 5), new LineBuffer.Line("ccc", 9));
    }

    @Test
    void decodesUtf8AndCountsBytesNotCharacters() throws IOException {
        Path file = write("héllo\n€\n");

        assertThat(readAll(file, 0)).containsExactly(new LineBuffer.Line("héllo", 7), new LineBuffer.Line("€", 11));
    }

    @Test
    void growsForLinesLongerThanItsBuffer() throws IOException {
        String longLine = "x".repeat(100_000);
        Path file = write("short\n" + longLine + "\nafter\n");

        assertThat(readAll(file, 0))
                .containsExactly(
                        new LineBuffer.Line("short", 6),
                        new LineBuffer.Line(longLine, 100_007),
                        new LineBuffer.Line("after", 100_013));
    }

    @Test
    void manyLinesAcrossManyReadsKeepExactPositions() throws IOException {
        StringBuilder content = new StringBuilder();
        List<LineBuffer.Line> expected = new ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            String line = "line-" + i;
            content.append(line).append(i % 3 == 0 ? "\r\n" : "\n");
            expected.add(new LineBuffer.Line(line, content.toString().getBytes(UTF_8).length));
        }
        Path file = write(content.toString());

        assertThat(readAll(file, 0)).isEqualTo(expected);
    }

    @Test
    void takesThePartialLineOfAFileThatWillNotGrow() throws IOException {
        Path file = write("a\nrest");
        LineBuffer lines = new LineBuffer(0);
        try (FileChannel channel = FileChannel.open(file)) {
            drain(lines, channel);
        }

        assertThat(lines.takePartialLine()).isEqualTo(new LineBuffer.Line("rest", 6));
        assertThat(lines.takePartialLine()).isNull();
    }

    private Path write(String content) throws IOException {
        Path file = dir.resolve("input.txt");
        Files.writeString(file, content, UTF_8);
        return file;
    }

    private static List<LineBuffer.Line> readAll(Path file, long position) throws IOException {
        try (FileChannel channel = FileChannel.open(file)) {
            return drain(new LineBuffer(position), channel);
        }
    }

    private static List<LineBuffer.Line> drain(LineBuffer lines, FileChannel channel) throws IOException {
        List<LineBuffer.Line> result = new ArrayList<>();
        while (true) {
            LineBuffer.Line line = lines.nextLine();
            if (line != null) {
                result.add(line);
            } else if (lines.readFrom(channel) <= 0) {
                return result;
            }
        }
    }
}
