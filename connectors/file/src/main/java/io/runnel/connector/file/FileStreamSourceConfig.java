package io.runnel.connector.file;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * The configuration of {@link FileStreamSourceConnector} and of its tasks, which receive the same
 * keys with their share of the files in {@code files}.
 *
 * <p>{@code file} is Kafka's {@code FileStreamSource} key for a single file, kept so that its
 * configurations work unchanged; {@code files} is the list this connector spreads over its tasks.
 * Exactly one of them must be given. Reading standard input, which Kafka's connector does without
 * {@code file}, is not supported: it has no position to resume from.
 */
public final class FileStreamSourceConfig extends AbstractConfig {

    public static final String TOPIC_CONFIG = "topic";
    public static final String FILES_CONFIG = "files";
    public static final String FILE_CONFIG = "file";
    public static final String BATCH_SIZE_CONFIG = "batch.size";

    public static final int BATCH_SIZE_DEFAULT = 2000;

    public static final ConfigDef CONFIG_DEF = new ConfigDef()
            .define(
                    TOPIC_CONFIG,
                    Type.STRING,
                    ConfigDef.NO_DEFAULT_VALUE,
                    new ConfigDef.NonEmptyString(),
                    Importance.HIGH,
                    "The topic every line is written to.")
            .define(
                    FILES_CONFIG,
                    Type.LIST,
                    List.of(),
                    new DistinctPaths(),
                    Importance.HIGH,
                    "The files to tail, comma separated. Each is its own source partition, and the files are"
                            + " spread over the tasks round robin. A file that does not exist yet is waited for."
                            + " Required unless '" + FILE_CONFIG + "' is given.")
            .define(
                    FILE_CONFIG,
                    Type.STRING,
                    null,
                    new ConfigDef.NonEmptyString(),
                    Importance.MEDIUM,
                    "A single file to tail, as in Kafka's FileStreamSource. Use '" + FILES_CONFIG
                            + "' for more than one; give one of the two, not both.")
            .define(
                    BATCH_SIZE_CONFIG,
                    Type.INT,
                    BATCH_SIZE_DEFAULT,
                    ConfigDef.Range.atLeast(1),
                    Importance.LOW,
                    "The largest number of records a task returns from one poll.");

    /** @throws ConfigException when a value is invalid or neither or both of files and file are given */
    public FileStreamSourceConfig(Map<String, String> props) {
        super(CONFIG_DEF, props);
        String problem = filesProblem(getList(FILES_CONFIG), getString(FILE_CONFIG));
        if (problem != null) {
            throw new ConfigException(FILES_CONFIG, getList(FILES_CONFIG), problem);
        }
    }

    public String topic() {
        return getString(TOPIC_CONFIG);
    }

    /** The files to tail: those of {@code files}, or the one of {@code file}. */
    public List<String> files() {
        List<String> files = getList(FILES_CONFIG);
        return files.isEmpty() ? List.of(getString(FILE_CONFIG)) : List.copyOf(files);
    }

    public int batchSize() {
        return getInt(BATCH_SIZE_CONFIG);
    }

    /**
     * What is wrong with the pair {@code files} / {@code file}, or null if nothing is. One rule for
     * both {@link FileStreamSourceConnector#validate} and this constructor.
     */
    static String filesProblem(List<String> files, String file) {
        boolean hasFiles = files != null && !files.isEmpty();
        boolean hasFile = file != null && !file.isEmpty();
        if (!hasFiles && !hasFile) {
            return "No file to tail: give '" + FILES_CONFIG + "' (a comma separated list of paths) or '" + FILE_CONFIG
                    + "' (a single path)";
        }
        if (hasFiles && hasFile) {
            return "Both '" + FILES_CONFIG + "' and '" + FILE_CONFIG + "' are given; give one of them";
        }
        return null;
    }

    /**
     * Paths that are neither blank nor given twice: two readers of one file would emit each line
     * twice under the same source partition.
     */
    private static final class DistinctPaths implements ConfigDef.Validator {

        @Override
        public void ensureValid(String name, Object value) {
            if (value == null) {
                return;
            }
            Set<String> seen = new HashSet<>();
            List<String> duplicates = new ArrayList<>();
            for (Object path : (List<?>) value) {
                if (path == null || path.toString().isBlank()) {
                    throw new ConfigException(name, value, "A path is empty");
                }
                if (!seen.add(path.toString())) {
                    duplicates.add(path.toString());
                }
            }
            if (!duplicates.isEmpty()) {
                throw new ConfigException(name, value, "Paths given more than once: " + duplicates);
            }
        }

        @Override
        public String toString() {
            return "distinct non-empty paths";
        }
    }
}
