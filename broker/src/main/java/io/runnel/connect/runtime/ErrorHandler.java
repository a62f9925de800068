package io.runnel.connect.runtime;

import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.jboss.logging.Logger;

/**
 * Kafka Connect's error handling for the converter and transformation stages: a retriable failure
 * is retried with exponential backoff for {@code errors.retry.timeout}; a failure that remains
 * either fails the task ({@code errors.tolerance=none}) or skips the record ({@code all}), after
 * logging it ({@code errors.log.enable}) and, for sinks, sending the original record to the dead
 * letter queue.
 */
public final class ErrorHandler {

    private static final Logger LOG = Logger.getLogger(ErrorHandler.class);
    private static final long INITIAL_BACKOFF_MS = 300;

    /** Where in the pipeline an operation ran; written to the dead letter queue's stage header. */
    public enum Stage {
        KEY_CONVERTER,
        VALUE_CONVERTER,
        HEADER_CONVERTER,
        TRANSFORMATION,
        TASK_PUT,
        TASK_POLL,
        KAFKA_PRODUCE,
        KAFKA_CONSUME
    }

    /** The record being processed: the consumed record for sinks, a description for sources. */
    public record Context(ConsumerRecord<byte[], byte[]> consumed, Object record) {}

    /** Receives records that failed and were tolerated. */
    public interface Reporter {
        void report(Context context, Stage stage, Class<?> executingClass, Throwable error);
    }

    private final TaskId task;
    private final long retryTimeoutMs;
    private final long maxDelayMs;
    private final boolean tolerateAll;
    private final boolean log;
    private final boolean logMessages;
    private final Reporter reporter;
    private volatile boolean stopping;
    private long failures;

    public ErrorHandler(TaskId task, Map<String, String> config, Reporter reporter) {
        // validated when the connector was created; the defaults are Kafka Connect's
        this.task = task;
        this.retryTimeoutMs = Long.parseLong(config.getOrDefault(ConnectorConfigs.ERRORS_RETRY_TIMEOUT, "0"));
        this.maxDelayMs = Long.parseLong(config.getOrDefault(ConnectorConfigs.ERRORS_RETRY_MAX_DELAY, "60000"));
        this.tolerateAll = "all".equals(config.getOrDefault(ConnectorConfigs.ERRORS_TOLERANCE, "none"));
        this.log = Boolean.parseBoolean(config.getOrDefault(ConnectorConfigs.ERRORS_LOG_ENABLE, "false"));
        this.logMessages =
                Boolean.parseBoolean(config.getOrDefault(ConnectorConfigs.ERRORS_LOG_INCLUDE_MESSAGES, "false"));
        this.reporter = reporter;
    }

    /**
     * Runs the operation; returns its result, or null when it failed and the failure is tolerated.
     * Throws ConnectException ("Tolerance exceeded in error handler") when it is not.
     */
    public <T> T execute(Stage stage, Class<?> executingClass, Context context, Supplier<T> operation) {
        long deadline = retryTimeoutMs < 0 ? Long.MAX_VALUE : System.currentTimeMillis() + retryTimeoutMs;
        long backoff = INITIAL_BACKOFF_MS;
        while (true) {
            try {
                return operation.get();
            } catch (RetriableException | org.apache.kafka.common.errors.RetriableException e) {
                long now = System.currentTimeMillis();
                if (now >= deadline || stopping) {
                    return failed(stage, executingClass, context, e);
                }
                sleep(Math.min(Math.min(backoff, maxDelayMs), deadline - now));
                backoff = Math.min(backoff * 2, maxDelayMs);
            } catch (RuntimeException e) {
                return failed(stage, executingClass, context, e);
            }
        }
    }

    private <T> T failed(Stage stage, Class<?> executingClass, Context context, RuntimeException error) {
        failures++;
        if (log) {
            LOG.errorf(
                    error,
                    "Error encountered in task %s. Executing stage '%s' with class '%s'%s",
                    task,
                    stage,
                    executingClass.getName(),
                    describe(context));
        }
        if (!tolerateAll) {
            throw new ConnectException("Tolerance exceeded in error handler", error);
        }
        if (reporter != null) {
            reporter.report(context, stage, executingClass, error);
        }
        return null;
    }

    private String describe(Context context) {
        if (context == null) {
            return "";
        }
        ConsumerRecord<byte[], byte[]> consumed = context.consumed();
        if (consumed != null) {
            return ", where consumed record is {topic='" + consumed.topic() + "', partition=" + consumed.partition()
                    + ", offset=" + consumed.offset() + ", timestamp=" + consumed.timestamp() + "}"
                    + (logMessages ? " " + context.record() : "") + ".";
        }
        return logMessages && context.record() != null ? ", where source record is " + context.record() + "." : ".";
    }

    public boolean tolerateAll() {
        return tolerateAll;
    }

    public boolean logEnabled() {
        return log;
    }

    public Reporter reporter() {
        return reporter;
    }

    public long failures() {
        return failures;
    }

    /** Ends retries early: the task is stopping. */
    public void stop() {
        stopping = true;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(Math.max(1, ms));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectException("Interrupted while retrying", e);
        }
    }
}
