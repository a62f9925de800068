package io.runnel.connect.runtime;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.connect.errors.ConnectException;

/**
 * Sends sink records that failed (and were tolerated) to {@code errors.deadletterqueue.topic.name},
 * as consumed: same key, value and headers; with {@code
 * errors.deadletterqueue.context.headers.enable} also Kafka Connect's {@code __connect.errors.*}
 * headers saying where the record came from and what went wrong. Offsets are committed only after
 * the queue has what was sent to it ({@link #flush}).
 */
final class DeadLetterQueue implements ErrorHandler.Reporter, AutoCloseable {

    static final String HEADER_PREFIX = "__connect.errors.";
    static final String ERROR_HEADER_ORIG_TOPIC = HEADER_PREFIX + "topic";
    static final String ERROR_HEADER_ORIG_PARTITION = HEADER_PREFIX + "partition";
    static final String ERROR_HEADER_ORIG_OFFSET = HEADER_PREFIX + "offset";
    static final String ERROR_HEADER_CONNECTOR_NAME = HEADER_PREFIX + "connector.name";
    static final String ERROR_HEADER_TASK_ID = HEADER_PREFIX + "task.id";
    static final String ERROR_HEADER_STAGE = HEADER_PREFIX + "stage";
    static final String ERROR_HEADER_EXECUTING_CLASS = HEADER_PREFIX + "class.name";
    static final String ERROR_HEADER_EXCEPTION = HEADER_PREFIX + "exception.class.name";
    static final String ERROR_HEADER_EXCEPTION_MESSAGE = HEADER_PREFIX + "exception.message";
    static final String ERROR_HEADER_EXCEPTION_STACK_TRACE = HEADER_PREFIX + "exception.stacktrace";

    private final TaskId task;
    private final String topic;
    private final boolean contextHeaders;
    private final KafkaProducer<byte[], byte[]> producer;
    private final List<Future<RecordMetadata>> pending = new ArrayList<>();

    DeadLetterQueue(
            Worker worker,
            TaskId task,
            String topic,
            short replicationFactor,
            boolean contextHeaders,
            Map<String, Object> overrides) {
        this.task = task;
        this.topic = topic;
        this.contextHeaders = contextHeaders;
        worker.ensureTopic(topic, replicationFactor);
        Map<String, Object> props = new java.util.HashMap<>(overrides);
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, worker.bootstrapServers());
        props.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "connector-dlq-producer-" + task);
        props.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
        props.putIfAbsent(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        this.producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    @Override
    public void report(
            ErrorHandler.Context context, ErrorHandler.Stage stage, Class<?> executingClass, Throwable error) {
        ConsumerRecord<byte[], byte[]> consumed = context.consumed();
        if (consumed == null) {
            return; // dead letter queues are for sink records
        }
        RecordHeaders headers = new RecordHeaders();
        for (Header header : consumed.headers()) {
            headers.add(header);
        }
        if (contextHeaders) {
            headers.add(ERROR_HEADER_ORIG_TOPIC, bytes(consumed.topic()));
            headers.add(ERROR_HEADER_ORIG_PARTITION, bytes(String.valueOf(consumed.partition())));
            headers.add(ERROR_HEADER_ORIG_OFFSET, bytes(String.valueOf(consumed.offset())));
            headers.add(ERROR_HEADER_CONNECTOR_NAME, bytes(task.connector()));
            headers.add(ERROR_HEADER_TASK_ID, bytes(String.valueOf(task.task())));
            headers.add(ERROR_HEADER_STAGE, bytes(stage.name()));
            headers.add(ERROR_HEADER_EXECUTING_CLASS, bytes(executingClass.getName()));
            if (error != null) {
                headers.add(ERROR_HEADER_EXCEPTION, bytes(error.getClass().getName()));
                headers.add(ERROR_HEADER_EXCEPTION_MESSAGE, bytes(error.getMessage()));
                StringWriter trace = new StringWriter();
                error.printStackTrace(new PrintWriter(trace));
                headers.add(ERROR_HEADER_EXCEPTION_STACK_TRACE, bytes(trace.toString()));
            }
        }
        synchronized (pending) {
            pending.add(producer.send(new ProducerRecord<>(topic, null, consumed.key(), consumed.value(), headers)));
        }
    }

    /** Waits until everything reported so far is in the dead letter queue topic. */
    void flush() {
        List<Future<RecordMetadata>> sent;
        synchronized (pending) {
            sent = new ArrayList<>(pending);
            pending.clear();
        }
        producer.flush();
        for (Future<RecordMetadata> future : sent) {
            try {
                future.get();
            } catch (ExecutionException e) {
                throw new ConnectException("Could not write to dead letter queue " + topic, e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ConnectException("Interrupted writing to dead letter queue " + topic, e);
            }
        }
    }

    private static byte[] bytes(String value) {
        return value == null ? null : value.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        producer.close();
    }
}
