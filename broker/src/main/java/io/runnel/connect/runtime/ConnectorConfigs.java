package io.runnel.connect.runtime;

import java.util.List;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;

/**
 * The runtime's own connector configs, with Kafka Connect's names and defaults: what every
 * connector has, and what sink and source connectors add.
 */
public final class ConnectorConfigs {

    public static final String NAME = "name";
    public static final String CONNECTOR_CLASS = "connector.class";
    public static final String TASKS_MAX = "tasks.max";
    public static final String KEY_CONVERTER = "key.converter";
    public static final String VALUE_CONVERTER = "value.converter";
    public static final String HEADER_CONVERTER = "header.converter";
    public static final String TRANSFORMS = "transforms";
    public static final String PREDICATES = "predicates";
    public static final String ERRORS_RETRY_TIMEOUT = "errors.retry.timeout";
    public static final String ERRORS_RETRY_MAX_DELAY = "errors.retry.delay.max.ms";
    public static final String ERRORS_TOLERANCE = "errors.tolerance";
    public static final String ERRORS_LOG_ENABLE = "errors.log.enable";
    public static final String ERRORS_LOG_INCLUDE_MESSAGES = "errors.log.include.messages";

    public static final String TOPICS = "topics";
    public static final String TOPICS_REGEX = "topics.regex";
    public static final String DLQ_TOPIC = "errors.deadletterqueue.topic.name";
    public static final String DLQ_REPLICATION_FACTOR = "errors.deadletterqueue.topic.replication.factor";
    public static final String DLQ_CONTEXT_HEADERS = "errors.deadletterqueue.context.headers.enable";

    private static final String COMMON_GROUP = "Common";
    private static final String TRANSFORMS_GROUP = "Transforms";
    private static final String PREDICATES_GROUP = "Predicates";
    private static final String ERROR_GROUP = "Error Handling";

    private ConnectorConfigs() {}

    /** Configs of every connector. */
    public static ConfigDef common() {
        int order = 0;
        return new ConfigDef()
                .define(
                        NAME,
                        Type.STRING,
                        ConfigDef.NO_DEFAULT_VALUE,
                        new ConfigDef.NonEmptyStringWithoutControlChars(),
                        Importance.HIGH,
                        "Globally unique name to use for this connector.",
                        COMMON_GROUP,
                        ++order,
                        Width.MEDIUM,
                        "Connector name")
                .define(
                        CONNECTOR_CLASS,
                        Type.STRING,
                        Importance.HIGH,
                        "Name or alias of the class for this connector. Must be a subclass of"
                                + " org.apache.kafka.connect.connector.Connector.",
                        COMMON_GROUP,
                        ++order,
                        Width.LONG,
                        "Connector class")
                .define(
                        TASKS_MAX,
                        Type.INT,
                        1,
                        ConfigDef.Range.atLeast(1),
                        Importance.HIGH,
                        "Maximum number of tasks to use for this connector.",
                        COMMON_GROUP,
                        ++order,
                        Width.SHORT,
                        "Tasks max")
                .define(
                        KEY_CONVERTER,
                        Type.STRING,
                        null,
                        Importance.LOW,
                        "Converter class used to convert between Kafka Connect format and the serialized form"
                                + " written to Kafka; the broker's runnel.connect.key-converter if unset.",
                        COMMON_GROUP,
                        ++order,
                        Width.SHORT,
                        "Key converter class")
                .define(
                        VALUE_CONVERTER,
                        Type.STRING,
                        null,
                        Importance.LOW,
                        "Converter class used to convert between Kafka Connect format and the serialized form"
                                + " written to Kafka; the broker's runnel.connect.value-converter if unset.",
                        COMMON_GROUP,
                        ++order,
                        Width.SHORT,
                        "Value converter class")
                .define(
                        HEADER_CONVERTER,
                        Type.STRING,
                        null,
                        Importance.LOW,
                        "HeaderConverter class used to convert between Kafka Connect format and the serialized"
                                + " form written to Kafka; the broker's runnel.connect.header-converter if unset.",
                        COMMON_GROUP,
                        ++order,
                        Width.SHORT,
                        "Header converter class")
                .define(
                        TRANSFORMS,
                        Type.LIST,
                        List.of(),
                        Importance.LOW,
                        "Aliases for the transformations to be applied to records, in order.",
                        TRANSFORMS_GROUP,
                        ++order,
                        Width.LONG,
                        "Transforms")
                .define(
                        PREDICATES,
                        Type.LIST,
                        List.of(),
                        Importance.LOW,
                        "Aliases for the predicates used by transformations.",
                        PREDICATES_GROUP,
                        ++order,
                        Width.LONG,
                        "Predicates")
                .define(
                        ERRORS_RETRY_TIMEOUT,
                        Type.LONG,
                        0L,
                        Importance.MEDIUM,
                        "The maximum duration in milliseconds that a failed operation will be reattempted. The"
                                + " default is 0, which means no retries will be attempted. Use -1 for infinite"
                                + " retries.",
                        ERROR_GROUP,
                        ++order,
                        Width.MEDIUM,
                        "Retry Timeout for Errors")
                .define(
                        ERRORS_RETRY_MAX_DELAY,
                        Type.LONG,
                        60000L,
                        ConfigDef.Range.atLeast(1),
                        Importance.MEDIUM,
                        "The maximum duration in milliseconds between consecutive retry attempts.",
                        ERROR_GROUP,
                        ++order,
                        Width.MEDIUM,
                        "Maximum Delay Between Retries for Errors")
                .define(
                        ERRORS_TOLERANCE,
                        Type.STRING,
                        "none",
                        ConfigDef.ValidString.in("none", "all"),
                        Importance.MEDIUM,
                        "Behavior for tolerating errors during connector operation. 'none' is the default value and"
                                + " signals that any error will result in an immediate connector task failure;"
                                + " 'all' changes the behavior to skip over problematic records.",
                        ERROR_GROUP,
                        ++order,
                        Width.SHORT,
                        "Error Tolerance")
                .define(
                        ERRORS_LOG_ENABLE,
                        Type.BOOLEAN,
                        false,
                        Importance.MEDIUM,
                        "If true, write each error and the details of the failed operation and problematic record"
                                + " to the broker log.",
                        ERROR_GROUP,
                        ++order,
                        Width.SHORT,
                        "Log Errors")
                .define(
                        ERRORS_LOG_INCLUDE_MESSAGES,
                        Type.BOOLEAN,
                        false,
                        Importance.MEDIUM,
                        "Whether to include in the log the Connect record that resulted in a failure.",
                        ERROR_GROUP,
                        ++order,
                        Width.SHORT,
                        "Log Error Details");
    }

    /** Configs of sink connectors. */
    public static ConfigDef sink() {
        int order = 100;
        return common().define(
                        TOPICS,
                        Type.LIST,
                        "",
                        Importance.HIGH,
                        "List of topics to consume, separated by commas.",
                        COMMON_GROUP,
                        ++order,
                        Width.LONG,
                        "Topics")
                .define(
                        TOPICS_REGEX,
                        Type.STRING,
                        "",
                        Importance.HIGH,
                        "Regular expression giving topics to consume.",
                        COMMON_GROUP,
                        ++order,
                        Width.LONG,
                        "Topics regex")
                .define(
                        DLQ_TOPIC,
                        Type.STRING,
                        "",
                        Importance.MEDIUM,
                        "The name of the topic to be used as the dead letter queue (DLQ) for messages that result"
                                + " in an error when processed by this sink connector, or its transformations or"
                                + " converters. The topic name is blank by default, which means that no messages are"
                                + " to be recorded in the DLQ.",
                        ERROR_GROUP,
                        ++order,
                        Width.MEDIUM,
                        "Dead Letter Queue Topic Name")
                .define(
                        DLQ_REPLICATION_FACTOR,
                        Type.SHORT,
                        (short) 3,
                        Importance.MEDIUM,
                        "Replication factor used to create the dead letter queue topic when it doesn't already"
                                + " exist (at most the number of brokers).",
                        ERROR_GROUP,
                        ++order,
                        Width.MEDIUM,
                        "Dead Letter Queue Topic Replication Factor")
                .define(
                        DLQ_CONTEXT_HEADERS,
                        Type.BOOLEAN,
                        false,
                        Importance.MEDIUM,
                        "If true, add headers containing error context to the messages written to the dead letter"
                                + " queue.",
                        ERROR_GROUP,
                        ++order,
                        Width.MEDIUM,
                        "Enable Error Context Headers");
    }

    /** Configs of source connectors. */
    public static ConfigDef source() {
        return common();
    }
}
