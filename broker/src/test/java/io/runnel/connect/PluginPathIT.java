package io.runnel.connect;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.path.json.JsonPath;
import io.runnel.testing.BrokerProcess;
import io.runnel.testing.Clients;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A connector jar built here, from source, and dropped into {@code runnel.connect.plugin-path} is
 * listed by {@code GET /connector-plugins} and runs in its own class loader.
 */
class PluginPathIT {

    private static final String CONNECTOR = """
            package com.example.counting;

            import java.util.*;
            import org.apache.kafka.common.config.ConfigDef;
            import org.apache.kafka.connect.connector.Task;
            import org.apache.kafka.connect.data.Schema;
            import org.apache.kafka.connect.source.*;

            public class CountingSourceConnector extends SourceConnector {
                private Map<String, String> config;
                public void start(Map<String, String> props) { config = props; }
                public Class<? extends Task> taskClass() { return CountingSourceTask.class; }
                public List<Map<String, String>> taskConfigs(int maxTasks) { return List.of(config); }
                public void stop() {}
                public ConfigDef config() {
                    return new ConfigDef()
                            .define("topic", ConfigDef.Type.STRING, ConfigDef.Importance.HIGH, "Where to count")
                            .define("count", ConfigDef.Type.INT, 10, ConfigDef.Importance.LOW, "How far");
                }
                public String version() { return "1.2.3"; }
            }
            """;

    private static final String TASK = """
            package com.example.counting;

            import java.util.*;
            import org.apache.kafka.connect.data.Schema;
            import org.apache.kafka.connect.source.*;

            public class CountingSourceTask extends SourceTask {
                private String topic;
                private long count;
                private long next;
                private volatile boolean stopped;
                public String version() { return "1.2.3"; }
                public void start(Map<String, String> props) {
                    topic = props.get("topic");
                    count = Long.parseLong(props.getOrDefault("count", "10"));
                    Map<String, Object> offset = context.offsetStorageReader().offset(Map.of("counter", "main"));
                    next = offset == null ? 0 : (Long) offset.get("next");
                }
                public List<SourceRecord> poll() throws InterruptedException {
                    if (next >= count) {
                        Thread.sleep(100);
                        return null;
                    }
                    List<SourceRecord> records = new ArrayList<>();
                    while (next < count && records.size() < 7) {
                        records.add(new SourceRecord(Map.of("counter", "main"), Map.of("next", next + 1), topic,
                                Schema.STRING_SCHEMA, "n-" + next));
                        next++;
                    }
                    return records;
                }
                public void stop() { stopped = true; }
            }
            """;

    @TempDir
    Path dir;

    @Test
    void aJarInThePluginPathIsListedAndRuns() throws Exception {
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        buildConnectorJar(plugins.resolve("counting-connector.jar"));
        try (BrokerProcess broker = BrokerProcess.create("plugin-path")
                .set("runnel.connect.plugin-path", plugins.toString())
                .set("runnel.connect.offset-flush-interval-ms", "1000")
                .start()) {
            JsonPath listed = given().port(broker.httpPort())
                    .get("/connector-plugins")
                    .then()
                    .statusCode(200)
                    .extract()
                    .jsonPath();
            assertThat(listed.getList("findAll { it['class'] == 'com.example.counting.CountingSourceConnector' }"))
                    .hasSize(1);
            assertThat(listed.<String>get(
                            "find { it['class'] == 'com.example.counting.CountingSourceConnector' }.type"))
                    .isEqualTo("source");
            assertThat(listed.<String>get(
                            "find { it['class'] == 'com.example.counting.CountingSourceConnector' }.version"))
                    .isEqualTo("1.2.3");

            assertThat(ConnectRest.create(
                                    broker,
                                    "counting",
                                    Map.of(
                                            "connector.class", "CountingSource",
                                            "topic", "counted",
                                            "count", "50",
                                            "value.converter", "org.apache.kafka.connect.storage.StringConverter"))
                            .statusCode())
                    .isEqualTo(201);
            ConnectRest.awaitState(broker, "counting", "RUNNING");

            List<String> values = new ArrayList<>();
            try (KafkaConsumer<byte[], byte[]> consumer = Clients.consumer(broker.bootstrapServers())) {
                Awaitility.await("topic created")
                        .atMost(Duration.ofSeconds(30))
                        .until(() -> consumer.partitionsFor("counted") != null
                                && !consumer.partitionsFor("counted").isEmpty());
                consumer.assign(List.of(new TopicPartition("counted", 0)));
                consumer.seekToBeginning(consumer.assignment());
                Awaitility.await("50 records").atMost(Duration.ofSeconds(60)).until(() -> {
                    for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                        values.add(new String(record.value(), StandardCharsets.UTF_8));
                    }
                    return values.size() >= 50;
                });
            }
            assertThat(values).hasSize(50).startsWith("n-0", "n-1").endsWith("n-49");
            Awaitility.await("offsets committed")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> Integer.valueOf(50)
                            .equals(given().port(broker.httpPort())
                                    .get("/connectors/counting/offsets")
                                    .jsonPath()
                                    .get("offsets[0].offset.next")));
        }
    }

    private void buildConnectorJar(Path jar) throws IOException {
        Path src = Files.createDirectories(dir.resolve("src/com/example/counting"));
        Files.writeString(src.resolve("CountingSourceConnector.java"), CONNECTOR);
        Files.writeString(src.resolve("CountingSourceTask.java"), TASK);
        Path classes = Files.createDirectories(dir.resolve("classes"));
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        int result = compiler.run(
                null,
                null,
                null,
                "-d",
                classes.toString(),
                "-cp",
                System.getProperty("java.class.path"),
                src.resolve("CountingSourceConnector.java").toString(),
                src.resolve("CountingSourceTask.java").toString());
        assertThat(result).as("javac").isZero();
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
                Stream<Path> files = Files.walk(classes)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                out.putNextEntry(
                        new JarEntry(classes.relativize(file).toString().replace('\\', '/')));
                Files.copy(file, out);
                out.closeEntry();
            }
            out.putNextEntry(new JarEntry("META-INF/services/org.apache.kafka.connect.source.SourceConnector"));
            write(out, "com.example.counting.CountingSourceConnector\n");
            out.closeEntry();
        }
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
    }
}
