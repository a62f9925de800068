package io.runnel.connector.file;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * The configuration of {@link FileStreamSinkConnector} and its task. The topics to read, {@code
 * topics} or {@code topics.regex}, are the runtime's keys and are not defined here.
 */
public final class FileStreamSinkConfig extends AbstractConfig {

    public static final String FILE_CONFIG = "file";

    public static final ConfigDef CONFIG_DEF = new ConfigDef()
            .define(
                    FILE_CONFIG,
                    Type.STRING,
                    null,
                    new ConfigDef.NonEmptyString(),
                    Importance.HIGH,
                    "The file every record value is appended to, one line each. Next to it the sink keeps '<file>"
                            + OutputFile.CHECKPOINT_SUFFIX + "', the offsets its content accounts for. If not"
                            + " given, lines go to standard output, with at-least-once delivery only.");

    public FileStreamSinkConfig(Map<String, String> props) {
        super(CONFIG_DEF, props);
    }

    /** The output file, or empty for standard output. */
    public Optional<Path> file() {
        return Optional.ofNullable(getString(FILE_CONFIG)).map(Path::of);
    }
}
