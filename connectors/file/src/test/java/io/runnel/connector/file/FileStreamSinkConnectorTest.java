package io.runnel.connector.file;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.ServiceLoader;
import org.apache.kafka.connect.sink.SinkConnector;
import org.junit.jupiter.api.Test;

class FileStreamSinkConnectorTest {

    private final FileStreamSinkConnector connector = new FileStreamSinkConnector();

    @Test
    void givesOneTaskWhateverMaxTasksIs() {
        Map<String, String> props = Map.of("topics", "orders", "file", "/tmp/out.txt");
        connector.start(props);

        assertThat(connector.taskConfigs(8)).containsExactly(props);
    }

    @Test
    void definesOnlyTheFile() {
        assertThat(connector.config().names()).containsExactly("file");
        assertThat(connector.validate(Map.of("topics", "orders")).configValues())
                .allSatisfy(value -> assertThat(value.errorMessages()).isEmpty());
    }

    @Test
    void isRegisteredWithTheServiceLoader() {
        assertThat(ServiceLoader.load(SinkConnector.class).stream().map(ServiceLoader.Provider::type))
                .contains(FileStreamSinkConnector.class);
        assertThat(connector.version()).isEqualTo(Version.VERSION);
        assertThat(connector.taskClass()).isEqualTo(FileStreamSinkTask.class);
    }
}
