package io.runnel.connector.file;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.source.ExactlyOnceSupport;
import org.apache.kafka.connect.source.SourceConnector;

/**
 * Tails files into a topic, one record per line: Kafka's {@code FileStreamSource}, extended to many
 * files spread over tasks, to files that appear later, are truncated or are rotated.
 *
 * <p>Each file is a source partition ({@code {"filename": path}}) whose source offset is the byte
 * position after the last line emitted ({@code {"position": n}}); see {@link SourceOffsets}. The
 * configuration is described by {@link FileStreamSourceConfig}; the reading by {@link TailedFile}.
 */
public class FileStreamSourceConnector extends SourceConnector {

    private Map<String, String> props;
    private FileStreamSourceConfig config;

    @Override
    public String version() {
        return Version.VERSION;
    }

    @Override
    public void start(Map<String, String> props) {
        this.config = new FileStreamSourceConfig(props);
        this.props = new HashMap<>(props);
    }

    @Override
    public Class<? extends Task> taskClass() {
        return FileStreamSourceTask.class;
    }

    /**
     * Spreads the files round robin over {@code min(maxTasks, files)} tasks, so no task is idle and
     * task sizes differ by one file at most. Each task config is the connector's with its own share in
     * {@code files}.
     */
    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        List<String> files = config.files();
        int tasks = Math.min(maxTasks, files.size());
        List<List<String>> shares = new ArrayList<>(tasks);
        for (int task = 0; task < tasks; task++) {
            shares.add(new ArrayList<>());
        }
        for (int i = 0; i < files.size(); i++) {
            shares.get(i % tasks).add(files.get(i));
        }
        List<Map<String, String>> taskConfigs = new ArrayList<>(tasks);
        for (List<String> share : shares) {
            Map<String, String> taskConfig = new HashMap<>(props);
            taskConfig.remove(FileStreamSourceConfig.FILE_CONFIG);
            taskConfig.put(FileStreamSourceConfig.FILES_CONFIG, String.join(",", share));
            taskConfigs.add(taskConfig);
        }
        return taskConfigs;
    }

    @Override
    public void stop() {}

    @Override
    public ConfigDef config() {
        return FileStreamSourceConfig.CONFIG_DEF;
    }

    /**
     * Adds to the checks of the {@link ConfigDef} the one it cannot express, that one of {@code files}
     * and {@code file} is given; the error is reported on {@code files}.
     */
    @Override
    public Config validate(Map<String, String> connectorConfigs) {
        Config result = super.validate(connectorConfigs);
        ConfigValue files = configValue(result, FileStreamSourceConfig.FILES_CONFIG);
        ConfigValue file = configValue(result, FileStreamSourceConfig.FILE_CONFIG);
        if (files.errorMessages().isEmpty() && file.errorMessages().isEmpty()) {
            @SuppressWarnings("unchecked")
            List<String> paths = (List<String>) files.value();
            String problem = FileStreamSourceConfig.filesProblem(paths, (String) file.value());
            if (problem != null) {
                files.addErrorMessage(problem);
            }
        }
        return result;
    }

    /**
     * Supported: a task's records are a function of the file's bytes from the committed position
     * alone, so after a failure they are emitted again exactly as before (KIP-618). This holds as long
     * as the files are only appended to, as for Kafka's own FileStreamSource.
     */
    @Override
    public ExactlyOnceSupport exactlyOnceSupport(Map<String, String> connectorConfig) {
        return ExactlyOnceSupport.SUPPORTED;
    }

    /**
     * Accepts offsets of the shape the tasks commit (KIP-875): {@code {"filename": path}} to {@code
     * {"position": n}}, or to null to forget a file's offset and read it from its start.
     */
    @Override
    public boolean alterOffsets(Map<String, String> connectorConfig, Map<Map<String, ?>, Map<String, ?>> offsets) {
        offsets.forEach((partition, offset) -> {
            SourceOffsets.checkPartition(partition);
            if (offset != null) {
                SourceOffsets.position(offset);
            }
        });
        return true;
    }

    private static ConfigValue configValue(Config config, String name) {
        return config.configValues().stream()
                .filter(value -> value.name().equals(name))
                .findFirst()
                .orElseThrow();
    }
}
