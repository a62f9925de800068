package io.runnel.connector.file;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileStreamSinkTaskTest {

    private static final TopicPartition P0 = new TopicPartition("orders", 0);
    private static final TopicPartition P1 = new TopicPartition("orders", 1);

    @TempDir
    Path dir;

    private final RecordingSinkTaskContext context = new RecordingSinkTaskContext();

    @Test
    void appendsEachValueAsOneLine() throws IOException {
        Path out = dir.resolve("out.txt");
        FileStreamSinkTask task = start(out);

        task.put(List.of(
                record(P0, 0, "text"), record(P0, 1, 42), record(P0, 2, null), record(P0, 3, "héllo".getBytes(UTF_8))));
        task.stop();

        assertThat(Files.readString(out, UTF_8)).isEqualTo("text\n42\nnull\nhéllo\n");
    }

    @Test
    void appendsToAnExistingFileWithoutSideFile() throws IOException {
        Path out = dir.resolve("out.txt");
        Files.writeString(out, "earlier\n");
        FileStreamSinkTask task = start(out);

        task.put(List.of(record(P0, 0, "later")));
        task.stop();

        assertThat(Files.readString(out)).isEqualTo("earlier\nlater\n");
        assertThat(context.offsetCalls).isEmpty();
    }

    @Test
    void preCommitForcesTheFileAndRecordsItsLengthAndOffsets() throws IOException {
        Path out = dir.resolve("out.txt");
        FileStreamSinkTask task = start(out);
        task.put(List.of(record(P0, 0, "a"), record(P1, 5, "bb"), record(P0, 1, "c")));
        Map<TopicPartition, OffsetAndMetadata> current =
                Map.of(P0, new OffsetAndMetadata(2, "meta"), P1, new OffsetAndMetadata(6));

        Map<TopicPartition, OffsetAndMetadata> committed = task.preCommit(current);

        assertThat(committed).isEqualTo(current);
        assertThat(Files.readString(out)).isEqualTo("a\nbb\nc\n");
        assertThat(checkpoint(out)).contains(new Checkpoint(7, Map.of(P0, 2L, P1, 6L)));
        task.stop();
    }

    @Test
    void flushRecordsACheckpointToo() throws IOException {
        Path out = dir.resolve("out.txt");
        FileStreamSinkTask task = start(out);
        task.put(List.of(record(P0, 0, "a")));

        task.flush(Map.of(P0, new OffsetAndMetadata(1)));

        assertThat(checkpoint(out)).contains(new Checkpoint(2, Map.of(P0, 1L)));
        task.stop();
    }

    @Test
    void restartAfterACrashTruncatesToTheCheckpointAndRewindsToItsOffsets() throws IOException {
        Path out = dir.resolve("out.txt");
        FileStreamSinkTask first = start(out);
        first.put(List.of(record(P0, 0, "committed-0"), record(P1, 0, "committed-1")));
        first.preCommit(Map.of(P0, new OffsetAndMetadata(1), P1, new OffsetAndMetadata(1)));
        // Lines put but never committed reach the disk (a value larger than the write buffer forces that),
        // then the worker dies without a commit.
        first.put(List.of(record(P0, 1, "x".repeat(100_000)), record(P1, 1, "lost")));
        assertThat(Files.size(out)).isGreaterThan(24);

        RecordingSinkTaskContext restarted = new RecordingSinkTaskContext();
        restarted.assignment.addAll(List.of(P0, P1));
        FileStreamSinkTask second = start(out, restarted);

        assertThat(Files.readString(out)).isEqualTo("committed-0\ncommitted-1\n");
        assertThat(restarted.offsetCalls).containsExactly(Map.of(P0, 1L, P1, 1L));

        // The runtime redelivers from the recorded offsets.
        second.put(List.of(record(P0, 1, "again-0"), record(P1, 1, "again-1")));
        second.preCommit(Map.of(P0, new OffsetAndMetadata(2), P1, new OffsetAndMetadata(2)));
        second.stop();
        assertThat(Files.readString(out)).isEqualTo("committed-0\ncommitted-1\nagain-0\nagain-1\n");
    }

    @Test
    void truncatesBytesAppendedPastTheCheckpointBySomethingThatDied() throws IOException {
        Path out = dir.resolve("out.txt");
        FileStreamSinkTask first = start(out);
        first.put(List.of(record(P0, 0, "kept")));
        first.preCommit(Map.of(P0, new OffsetAndMetadata(1)));
        first.stop();
        Files.writeString(out, "half a li", StandardOpenOption.APPEND);

        start(out).stop();

        assertThat(Files.readString(out)).isEqualTo("kept\n");
    }

    @Test
    void openRewindsTheGivenPartitionsToWhatTheFileHolds() throws IOException {
        Path out = dir.resolve("out.txt");
        FileStreamSinkTask first = start(out);
        first.put(List.of(record(P0, 9, "a"), record(P1, 19, "b")));
        first.preCommit(Map.of(P0, new OffsetAndMetadata(10), P1, new OffsetAndMetadata(20)));
        first.stop();

        // As Apache Kafka's runtime does: start with nothing assigned yet, then open the assignment.
        RecordingSinkTaskContext restarted = new RecordingSinkTaskContext();
        FileStreamSinkTask second = start(out, restarted);
        assertThat(restarted.offsetCalls).isEmpty();

        second.open(List.of(P1));
        second.open(List.of(new TopicPartition("unknown", 0)));

        assertThat(restarted.offsetCalls).containsExactly(Map.of(P1, 20L));
        second.stop();
    }

    @Test
    void aFailedCommitRollsTheFileBackAndRewindsTheConsumer() throws IOException {
        Path out = dir.resolve("out.txt");
        context.assignment.add(P0);
        FileStreamSinkTask task = start(out);
        task.put(List.of(record(P0, 0, "a")));
        task.preCommit(Map.of(P0, new OffsetAndMetadata(1)));
        task.put(List.of(record(P0, 1, "b")));
        // The checkpoint cannot be written while a directory sits where its temporary file goes.
        Path blocker = Files.createDirectory(dir.resolve("out.txt.offsets.tmp"));

        assertThatThrownBy(() -> task.preCommit(Map.of(P0, new OffsetAndMetadata(2))))
                .isInstanceOf(ConnectException.class);

        assertThat(Files.readString(out)).isEqualTo("a\n");
        assertThat(context.offsetCalls).containsExactly(Map.of(P0, 1L));

        // The runtime delivers again from the rewound offset.
        Files.delete(blocker);
        task.put(List.of(record(P0, 1, "b")));
        task.preCommit(Map.of(P0, new OffsetAndMetadata(2)));
        task.stop();
        assertThat(Files.readString(out)).isEqualTo("a\nb\n");
        assertThat(checkpoint(out)).contains(new Checkpoint(4, Map.of(P0, 2L)));
    }

    @Test
    void keepsOffsetsOfPartitionsNoLongerInTheCommit() throws IOException {
        Path out = dir.resolve("out.txt");
        FileStreamSinkTask task = start(out);
        task.put(List.of(record(P0, 0, "a"), record(P1, 0, "b")));
        task.preCommit(Map.of(P0, new OffsetAndMetadata(1), P1, new OffsetAndMetadata(1)));

        task.put(List.of(record(P0, 1, "c")));
        Map<TopicPartition, OffsetAndMetadata> committed = task.preCommit(Map.of(P0, new OffsetAndMetadata(2)));

        assertThat(committed).isEqualTo(Map.of(P0, new OffsetAndMetadata(2)));
        assertThat(checkpoint(out)).contains(new Checkpoint(6, Map.of(P0, 2L, P1, 1L)));
        task.stop();
    }

    @Test
    void writesToStandardOutputWithoutAFile() {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, UTF_8));
        try {
            FileStreamSinkTask task = new FileStreamSinkTask();
            task.initialize(context);
            task.start(Map.of("topics", "orders"));
            task.put(List.of(record(P0, 0, "to stdout")));
            Map<TopicPartition, OffsetAndMetadata> current = Map.of(P0, new OffsetAndMetadata(1));

            assertThat(task.preCommit(current)).isEqualTo(current);
            task.open(List.of(P0));
            task.stop();
        } finally {
            System.setOut(original);
        }

        assertThat(captured.toString(UTF_8)).isEqualTo("to stdout\n");
        assertThat(context.offsetCalls).isEmpty();
        assertThat(dir).isEmptyDirectory();
    }

    private FileStreamSinkTask start(Path out) {
        return start(out, context);
    }

    private static FileStreamSinkTask start(Path out, RecordingSinkTaskContext context) {
        FileStreamSinkTask task = new FileStreamSinkTask();
        task.initialize(context);
        task.start(Map.of("topics", "orders", "file", out.toString()));
        return task;
    }

    private static Optional<Checkpoint> checkpoint(Path out) throws IOException {
        return new CheckpointFile(OutputFile.checkpointPath(out)).read();
    }

    private static SinkRecord record(TopicPartition partition, long offset, Object value) {
        return new SinkRecord(
                partition.topic(), partition.partition(), null, null, Schema.STRING_SCHEMA, value, offset);
    }
}
