package io.runnel.connector.file;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;

/**
 * Writes the values of the records of a set of topics to a file, one line each: Kafka's {@code
 * FileStreamSink}, with exactly-once file content (see {@link FileStreamSinkTask}).
 *
 * <p>The consumer offsets of this connector live in the file's checkpoint as well as in its consumer
 * group, and the checkpoint wins when a task starts. Offsets altered through the runtime (KIP-875) are
 * therefore not followed while a checkpoint exists; {@link #alterOffsets} keeps its default answer,
 * which tells the runtime that the connector manages offsets of its own.
 */
public class FileStreamSinkConnector extends SinkConnector {

    private Map<String, String> props;

    @Override
    public String version() {
        return Version.VERSION;
    }

    @Override
    public void start(Map<String, String> props) {
        new FileStreamSinkConfig(props);
        this.props = new HashMap<>(props);
    }

    @Override
    public Class<? extends Task> taskClass() {
        return FileStreamSinkTask.class;
    }

    /**
     * One task config, whatever {@code maxTasks} is: a file cannot take concurrent writers, and its
     * checkpoint describes the whole file. (Kafka's {@code FileStreamSink} returns {@code maxTasks}
     * copies, whose tasks then interleave their writes.)
     */
    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        return List.of(new HashMap<>(props));
    }

    @Override
    public void stop() {}

    @Override
    public ConfigDef config() {
        return FileStreamSinkConfig.CONFIG_DEF;
    }
}
