package io.runnel.connector.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.ExactlyOnceSupport;
import org.apache.kafka.connect.source.SourceConnector;
import org.junit.jupiter.api.Test;

class FileStreamSourceConnectorTest {

    private final FileStreamSourceConnector connector = new FileStreamSourceConnector();

    @Test
    void spreadsFilesRoundRobinOverTasks() {
        connector.start(Map.of("topic", "t", "files", "a,b,c,d,e", "batch.size", "10"));

        List<Map<String, String>> configs = connector.taskConfigs(2);

        assertThat(configs).extracting(c -> c.get("files")).containsExactly("a,c,e", "b,d");
        assertThat(configs).allSatisfy(c -> {
            assertThat(c).containsEntry("topic", "t").containsEntry("batch.size", "10");
            assertThat(new FileStreamSourceConfig(c).files()).isNotEmpty();
        });
    }

    @Test
    void startsNoMoreTasksThanFiles() {
        connector.start(Map.of("topic", "t", "files", "a,b"));

        assertThat(connector.taskConfigs(5)).extracting(c -> c.get("files")).containsExactly("a", "b");
    }

    @Test
    void turnsKafkasSingleFileIntoOneTaskWithFiles() {
        connector.start(Map.of("topic", "t", "file", "/var/log/app.log"));

        assertThat(connector.taskConfigs(3))
                .singleElement()
                .satisfies(c ->
                        assertThat(c).containsEntry("files", "/var/log/app.log").doesNotContainKey("file"));
    }

    @Test
    void definesItsConfigsWithDefaults() {
        FileStreamSourceConfig config = new FileStreamSourceConfig(Map.of("topic", "t", "files", "a"));

        assertThat(config.batchSize()).isEqualTo(2000);
        assertThat(connector.config().names()).containsExactlyInAnyOrder("topic", "files", "file", "batch.size");
        assertThat(connector.config().configKeys().values())
                .allSatisfy(key -> assertThat(key.documentation).isNotBlank());
    }

    @Test
    void validateReportsMissingFilesOnTheFilesField() {
        Config result = connector.validate(Map.of("topic", "t"));

        assertThat(errors(result, "files")).singleElement().asString().contains("No file to tail");
        assertThat(errors(result, "topic")).isEmpty();
    }

    @Test
    void validateRejectsFilesAndFileTogether() {
        Config result = connector.validate(Map.of("topic", "t", "files", "a", "file", "b"));

        assertThat(errors(result, "files")).singleElement().asString().contains("Both");
    }

    @Test
    void validateRejectsEmptyTopicDuplicatePathsAndBatchSizeBelowOne() {
        Map<String, String> props = new HashMap<>();
        props.put("topic", "");
        props.put("files", "a,b,a");
        props.put("batch.size", "0");

        Config result = connector.validate(props);

        assertThat(errors(result, "topic")).isNotEmpty();
        assertThat(errors(result, "files")).singleElement().asString().contains("more than once");
        assertThat(errors(result, "batch.size")).isNotEmpty();
    }

    @Test
    void validateAcceptsAValidConfig() {
        Config result = connector.validate(Map.of("topic", "t", "files", "a,b"));

        assertThat(result.configValues())
                .allSatisfy(value -> assertThat(value.errorMessages()).isEmpty());
    }

    @Test
    void refusesToStartWithoutFiles() {
        assertThatThrownBy(() -> connector.start(Map.of("topic", "t")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("No file to tail");
    }

    @Test
    void supportsExactlyOnceAndChecksAlteredOffsets() {
        assertThat(connector.exactlyOnceSupport(Map.of())).isEqualTo(ExactlyOnceSupport.SUPPORTED);

        Map<Map<String, ?>, Map<String, ?>> good = new HashMap<>();
        good.put(Map.of("filename", "a"), Map.of("position", 10L));
        good.put(Map.of("filename", "b"), null);
        assertThat(connector.alterOffsets(Map.of(), good)).isTrue();

        assertThatThrownBy(() ->
                        connector.alterOffsets(Map.of(), Map.of(Map.of("filename", "a"), Map.of("position", "ten"))))
                .isInstanceOf(ConnectException.class);
        assertThatThrownBy(() -> connector.alterOffsets(Map.of(), Map.of(Map.of("file", "a"), Map.of("position", 1L))))
                .isInstanceOf(ConnectException.class);
    }

    @Test
    void isRegisteredWithTheServiceLoader() {
        assertThat(ServiceLoader.load(SourceConnector.class).stream().map(ServiceLoader.Provider::type))
                .contains(FileStreamSourceConnector.class);
        assertThat(connector.version()).isEqualTo(Version.VERSION);
        assertThat(connector.taskClass()).isEqualTo(FileStreamSourceTask.class);
    }

    private static List<String> errors(Config config, String name) {
        return config.configValues().stream()
                .filter(value -> value.name().equals(name))
                .map(ConfigValue::errorMessages)
                .findFirst()
                .orElseThrow();
    }
}
