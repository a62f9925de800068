package io.runnel.connector.file;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileStreamSourceTaskTest {

    private static final String TOPIC = "lines";

    @TempDir
    Path dir;

    private final TestSourceTaskContext context = new TestSourceTaskContext();
    private final List<FileStreamSourceTask> tasks = new ArrayList<>();

    @AfterEach
    void stopTasks() {
        tasks.forEach(FileStreamSourceTask::stop);
    }

    @Test
    void emitsOneRecordPerCompleteLineWithThePositionAfterItsTerminator() throws Exception {
        Path file = write("a.txt", "a\nbb\r\nccc");
        FileStreamSourceTask task = start(Map.of(), file);

        List<SourceRecord> records = drain(task);

        assertThat(records)
                .extracting(SourceRecord::value, FileStreamSourceTaskTest::position)
                .containsExactly(tuple("a", 2L), tuple("bb", 6L));
        SourceRecord first = records.getFirst();
        assertThat(first.topic()).isEqualTo(TOPIC);
        assertThat(first.kafkaPartition()).isNull();
        assertThat(first.key()).isNull();
        assertThat(first.valueSchema()).isEqualTo(Schema.STRING_SCHEMA);
        assertThat(first.sourcePartition()).isEqualTo(Map.of("filename", file.toString()));

        append(file, "\r\n");
        assertThat(drain(task))
                .extracting(SourceRecord::value, FileStreamSourceTaskTest::position)
                .containsExactly(tuple("ccc", 11L));
    }

    @Test
    void resumesAfterTheCommittedPosition() throws Exception {
        Path file = write("a.txt", "a\nbb\nccc\n");
        context.commit(file.toString(), 2L);

        assertThat(values(drain(start(Map.of(), file)))).containsExactly("bb", "ccc");
    }

    @Test
    void acceptsAnIntegerPositionAsStoredByJsonConverters() throws Exception {
        Path file = write("a.txt", "a\nbb\nccc\n");
        context.commit(file.toString(), 5);

        assertThat(values(drain(start(Map.of(), file)))).containsExactly("ccc");
    }

    @Test
    void reEmitsTheSameRecordsFromTheSameCommittedPosition() throws Exception {
        StringBuilder content = new StringBuilder();
        IntStream.range(0, 1000)
                .forEach(i -> content.append("record-").append(i).append(i % 2 == 0 ? "\n" : "\r\n"));
        Path file = write("a.txt", content.toString());
        long committed = position(drain(start(Map.of(), file)).get(99));
        context.commit(file.toString(), committed);

        List<SourceRecord> first = drain(start(Map.of("batch.size", "7"), file));
        List<SourceRecord> second = drain(start(Map.of("batch.size", "1000"), file));

        assertThat(first).hasSize(900);
        assertThat(values(first).getFirst()).isEqualTo("record-100");
        assertThat(first)
                .extracting(SourceRecord::value, SourceRecord::sourcePartition, SourceRecord::sourceOffset)
                .isEqualTo(second.stream()
                        .map(r -> tuple(r.value(), r.sourcePartition(), r.sourceOffset()))
                        .toList());
    }

    @Test
    void waitsForAFileThatDoesNotExistYet() throws Exception {
        Path file = dir.resolve("later.txt");
        FileStreamSourceTask task = start(Map.of(), file);

        assertThat(task.poll()).isNull();
        assertThat(task.poll()).isNull();

        write("later.txt", "here\n");
        assertThat(values(drain(task))).containsExactly("here");
    }

    @Test
    void readsATruncatedFileAgainFromItsStart() throws Exception {
        Path file = write("a.txt", "first line\nsecond line\n");
        FileStreamSourceTask task = start(Map.of(), file);
        assertThat(values(drain(task))).containsExactly("first line", "second line");

        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(0);
        }
        append(file, "new\n");

        assertThat(drain(task))
                .extracting(SourceRecord::value, FileStreamSourceTaskTest::position)
                .containsExactly(tuple("new", 4L));
    }

    @Test
    void startsFromTheBeginningWhenTheCommittedPositionIsPastTheEnd() throws Exception {
        Path file = write("a.txt", "a\nb\n");
        context.commit(file.toString(), 1000L);

        assertThat(values(drain(start(Map.of(), file)))).containsExactly("a", "b");
    }

    @Test
    void readsTheRestOfARotatedFileBeforeTheNewOne() throws Exception {
        Path file = write("app.log", "1\n2\n");
        FileStreamSourceTask task = start(Map.of(), file);
        assertThat(values(drain(task))).containsExactly("1", "2");

        append(file, "3\n4\n");
        Files.move(file, dir.resolve("app.log.1"));
        append(dir.resolve("app.log.1"), "5\n");
        write("app.log", "new-1\nnew-2\n");

        assertThat(drain(task))
                .extracting(SourceRecord::value, FileStreamSourceTaskTest::position)
                .containsExactly(
                        tuple("3", 6L), tuple("4", 8L), tuple("5", 10L), tuple("new-1", 6L), tuple("new-2", 12L));
    }

    @Test
    void emitsTheUnterminatedLastLineOfARotatedFile() throws Exception {
        Path file = write("app.log", "1\npart");
        FileStreamSourceTask task = start(Map.of(), file);
        assertThat(values(drain(task))).containsExactly("1");

        Files.move(file, dir.resolve("app.log.1"));
        write("app.log", "new\n");

        assertThat(values(drain(task))).containsExactly("part", "new");
    }

    @Test
    void keepsReadingTheOpenFileWhileThePathIsMissing() throws Exception {
        Path file = write("app.log", "1\n");
        FileStreamSourceTask task = start(Map.of(), file);
        assertThat(values(drain(task))).containsExactly("1");

        Path rotated = dir.resolve("app.log.1");
        Files.move(file, rotated);
        append(rotated, "2\n");

        assertThat(values(drain(task))).containsExactly("2");
    }

    @Test
    void returnsAtMostBatchSizeRecordsPerPoll() throws Exception {
        Path file = write("a.txt", lines("a", 10));
        FileStreamSourceTask task = start(Map.of("batch.size", "4"), file);

        assertThat(values(task.poll())).containsExactly("a0", "a1", "a2", "a3");
        assertThat(values(task.poll())).containsExactly("a4", "a5", "a6", "a7");
        assertThat(values(task.poll())).containsExactly("a8", "a9");
    }

    @Test
    void aBusyFileDoesNotStarveTheOthers() throws Exception {
        Path busy = write("busy.txt", lines("b", 100));
        Path quiet = write("quiet.txt", lines("q", 2));
        FileStreamSourceTask task = start(Map.of("batch.size", "5"), busy, quiet);

        List<SourceRecord> firstTwoPolls = new ArrayList<>(task.poll());
        firstTwoPolls.addAll(task.poll());

        assertThat(values(firstTwoPolls)).contains("q0", "q1");
        assertThat(values(firstTwoPolls)).hasSize(10);
    }

    @Test
    void tailsSeveralFilesEachAsItsOwnSourcePartition() throws Exception {
        Path a = write("a.txt", lines("a", 3));
        Path b = write("b.txt", lines("b", 2));
        context.commit(a.toString(), 3L);

        List<SourceRecord> records = drain(start(Map.of(), a, b));

        assertThat(records)
                .extracting(r -> r.sourcePartition().get("filename"), SourceRecord::value)
                .containsExactlyInAnyOrder(
                        tuple(a.toString(), "a1"),
                        tuple(a.toString(), "a2"),
                        tuple(b.toString(), "b0"),
                        tuple(b.toString(), "b1"));
    }

    @Test
    void stopEndsAWaitingPollFromAnotherThread() throws Exception {
        Path file = write("a.txt", "");
        FileStreamSourceTask task = new FileStreamSourceTask(TimeUnit.MINUTES.toMillis(10));
        task.initialize(context);
        task.start(Map.of("topic", TOPIC, "files", file.toString()));
        CompletableFuture<List<SourceRecord>> polling = new CompletableFuture<>();
        Thread poller = Thread.ofPlatform().start(() -> {
            try {
                polling.complete(task.poll());
            } catch (InterruptedException | RuntimeException e) {
                polling.completeExceptionally(e);
            }
        });
        // the poll found nothing and waits (for ten minutes) when its thread is in a timed wait
        while (poller.getState() != Thread.State.TIMED_WAITING && !polling.isDone()) {
            Thread.onSpinWait();
        }

        task.stop();

        assertThat(polling.get(10, TimeUnit.SECONDS)).isNull();
        assertThat(task.poll()).isNull();
    }

    @Test
    void acceptsKafkasSingleFileConfig() throws Exception {
        Path file = write("a.txt", "x\n");
        FileStreamSourceTask task = new FileStreamSourceTask();
        task.initialize(context);
        tasks.add(task);
        task.start(Map.of("topic", TOPIC, "file", file.toString()));

        assertThat(values(drain(task))).containsExactly("x");
    }

    private FileStreamSourceTask start(Map<String, String> extra, Path... files) {
        FileStreamSourceTask task = new FileStreamSourceTask();
        task.initialize(context);
        tasks.add(task);
        Map<String, String> props = new HashMap<>(extra);
        props.put("topic", TOPIC);
        props.put(
                "files",
                String.join(",", Arrays.stream(files).map(Path::toString).toList()));
        task.start(props);
        return task;
    }

    /** Polls until a poll finds nothing. */
    private static List<SourceRecord> drain(FileStreamSourceTask task) throws InterruptedException {
        List<SourceRecord> records = new ArrayList<>();
        List<SourceRecord> batch;
        while ((batch = task.poll()) != null && !batch.isEmpty()) {
            records.addAll(batch);
        }
        return records;
    }

    private static List<Object> values(List<SourceRecord> records) {
        return records.stream().map(SourceRecord::value).toList();
    }

    private static long position(SourceRecord record) {
        return (Long) record.sourceOffset().get("position");
    }

    private static String lines(String prefix, int count) {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < count; i++) {
            lines.append(prefix).append(i).append('\n');
        }
        return lines.toString();
    }

    private Path write(String name, String content) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, content, UTF_8);
        return file;
    }

    private static void append(Path file, String content) throws IOException {
        Files.writeString(file, content, UTF_8, StandardOpenOption.APPEND);
    }
}
