package io.runnel.connect;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.testing.BrokerProcess;
import io.runnel.testing.Clients;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lines go file → FileStreamSource → topic → FileStreamSink → file, and the output equals the input
 * exactly, also when the broker is killed (SIGKILL) and restarted while lines are still being
 * written: the source neither loses nor repeats a line in the topic, the sink neither loses nor
 * repeats one in the file.
 */
class FileConnectorPipelineIT {

    private static final int LINES = 100_000;
    private static final String STRING_CONVERTER = "org.apache.kafka.connect.storage.StringConverter";

    @TempDir
    Path dir;

    @Test
    void everyLineArrivesExactlyOnceAcrossABrokerKill() throws Exception {
        Path input = dir.resolve("in.txt");
        Path output = dir.resolve("out.txt");
        try (BrokerProcess broker = BrokerProcess.create("file-pipeline")
                // commits far apart, so the kill lands with seconds of uncommitted records on both sides
                .set("runnel.connect.offset-flush-interval-ms", "3000")
                .set("runnel.connect.sync-interval-ms", "500")
                .start()) {
            try (Admin admin = broker.admin()) {
                Clients.createTopic(admin, "lines", 1, Map.of());
            }
            assertThat(ConnectRest.create(
                                    broker,
                                    "file-source",
                                    Map.of(
                                            "connector.class",
                                            "FileStreamSource",
                                            "files",
                                            input.toString(),
                                            "topic",
                                            "lines",
                                            "batch.size",
                                            "500",
                                            "key.converter",
                                            STRING_CONVERTER,
                                            "value.converter",
                                            STRING_CONVERTER))
                            .statusCode())
                    .isEqualTo(201);
            assertThat(ConnectRest.create(
                                    broker,
                                    "file-sink",
                                    Map.of(
                                            "connector.class",
                                            "FileStreamSink",
                                            "file",
                                            output.toString(),
                                            "topics",
                                            "lines",
                                            "key.converter",
                                            STRING_CONVERTER,
                                            "value.converter",
                                            STRING_CONVERTER))
                            .statusCode())
                    .isEqualTo(201);
            ConnectRest.awaitState(broker, "file-source", "RUNNING");
            ConnectRest.awaitState(broker, "file-sink", "RUNNING");

            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> writeLines(input));
            Awaitility.await("a third of the lines through")
                    .atMost(Duration.ofMinutes(2))
                    .until(() -> lineCount(output) > LINES / 3);
            assertThat(writer)
                    .as("the input is still being written at the kill")
                    .isNotDone();
            broker.kill();
            broker.start();
            writer.get();

            Awaitility.await("every line through")
                    .atMost(Duration.ofMinutes(3))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> lineCount(output) >= LINES);
            assertSameLines(Files.readAllLines(input), Files.readAllLines(output));
            try (Admin admin = broker.admin()) {
                TopicPartition tp = new TopicPartition("lines", 0);
                long end = admin.listOffsets(Map.of(tp, OffsetSpec.latest()))
                        .partitionResult(tp)
                        .get()
                        .offset();
                assertThat(end).as("records in the topic").isEqualTo(LINES);
            }
            ConnectRest.awaitState(broker, "file-source", "RUNNING");
            ConnectRest.awaitState(broker, "file-sink", "RUNNING");
            // the kill did land between commits: both connectors found work of the killed broker
            assertThat(broker.log())
                    .contains("past the last offset commit")
                    .contains("the length its checkpoint records");
        }
    }

    /** Equal, or a failure that says where the output first differs (not 100,000 lines of it). */
    private static void assertSameLines(List<String> input, List<String> output) {
        int first = 0;
        while (first < Math.min(input.size(), output.size()) && input.get(first).equals(output.get(first))) {
            first++;
        }
        if (first == input.size() && first == output.size()) {
            return;
        }
        throw new AssertionError("output has " + output.size() + " lines, input " + input.size()
                + "; first difference at line " + first + ": input "
                + input.subList(first, Math.min(input.size(), first + 3)) + ", output "
                + output.subList(first, Math.min(output.size(), first + 3)));
    }

    private static void writeLines(Path input) {
        try (Writer out = Files.newBufferedWriter(
                input, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            for (int i = 0; i < LINES; i++) {
                out.write("line " + i + " of the input, with some text to make it longer\n");
                if (i % 1000 == 999) {
                    out.flush();
                    Thread.sleep(60); // a steady stream over several seconds, so the kill lands mid-way
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static long lineCount(Path file) throws IOException {
        if (!Files.exists(file)) {
            return 0;
        }
        try (var lines = Files.lines(file)) {
            return lines.count();
        }
    }
}
