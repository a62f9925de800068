package io.runnel.connect.runtime;

import io.runnel.connect.storage.ConnectStore.TargetState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.apache.kafka.connect.sink.SinkTaskContext;
import org.jboss.logging.Logger;

/**
 * Runs a {@link SinkTask} as Kafka Connect's WorkerSinkTask does: a consumer in the group {@code
 * connect-<name>} (its committed offsets are the connector's offsets) feeds converted and
 * transformed records to {@code put}; every {@code offset.flush.interval.ms}, on rebalance and on
 * stop the offsets {@code preCommit} returns are committed. A {@code RetriableException} from {@code
 * put} retries the same batch after {@code context.timeout}; any other exception fails the task.
 */
final class SinkTaskRunner extends TaskRunner {

    private static final Logger LOG = Logger.getLogger(SinkTaskRunner.class);
    private static final long DEFAULT_RETRY_BACKOFF_MS = 300;

    private final SinkTask task;
    private KafkaConsumer<byte[], byte[]> consumer;
    private Converters converters;
    private TransformationChain<SinkRecord> transforms;
    private ErrorHandler errors;
    private DeadLetterQueue deadLetterQueue;
    private final Map<TopicPartition, OffsetAndMetadata> currentOffsets = new HashMap<>();
    private final Map<TopicPartition, Long> requestedOffsets = new ConcurrentHashMap<>();
    private final Set<TopicPartition> pausedByTask = ConcurrentHashMap.newKeySet();
    private volatile boolean commitRequested;
    private boolean closing;
    /** The batch put is being retried with, while it is; the consumer stays paused meanwhile. */
    private List<SinkRecord> retrying;

    private volatile long retryTimeoutMs = DEFAULT_RETRY_BACKOFF_MS;
    private long nextCommitMs;

    SinkTaskRunner(
            Worker worker,
            TaskId id,
            Map<String, String> connectorConfig,
            Map<String, String> taskConfig,
            Class<?> taskClass,
            TargetState target) {
        super(worker, id, connectorConfig, taskConfig, taskClass, target);
        this.task = worker.plugins().newInstance(taskClass, SinkTask.class);
    }

    @Override
    protected void execute() {
        boolean started = false;
        try {
            converters = Converters.create(worker.plugins(), connectorConfig, worker.settings());
            transforms = TransformationChain.create(worker.plugins(), connectorConfig);
            String dlqTopic =
                    connectorConfig.getOrDefault(ConnectorConfigs.DLQ_TOPIC, "").trim();
            if (!dlqTopic.isEmpty()) {
                Map<String, Object> parsed = ConnectorConfigs.sink().parse(connectorConfig);
                deadLetterQueue = new DeadLetterQueue(
                        worker,
                        id,
                        dlqTopic,
                        (Short) parsed.get(ConnectorConfigs.DLQ_REPLICATION_FACTOR),
                        (Boolean) parsed.get(ConnectorConfigs.DLQ_CONTEXT_HEADERS),
                        Converters.withPrefix(connectorConfig, "producer.override."));
            }
            errors = new ErrorHandler(id, connectorConfig, deadLetterQueue);
            consumer = new KafkaConsumer<>(consumerConfig(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
            task.initialize(new Context());
            task.start(taskConfig);
            started = true;
            subscribe();
            nextCommitMs = System.currentTimeMillis() + worker.settings().offsetFlushIntervalMs();
            while (!stopping) {
                iteration();
            }
            commitOffsets(true);
        } finally {
            if (errors != null) {
                errors.stop();
            }
            // as Kafka Connect closes a sink task: close its partitions, stop it, then the consumer,
            // whose own revocation must no longer reach the task
            closing = true;
            try {
                if (started) {
                    closeAndStopTask();
                }
            } finally {
                closeQuietly();
            }
        }
    }

    private void closeAndStopTask() {
        try {
            task.close(new ArrayList<>(consumer.assignment()));
        } catch (RuntimeException e) {
            LOG.warnf(e, "Task %s: close() failed", id);
        }
        task.stop();
    }

    private Map<String, Object> consumerConfig() {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "connect-" + id.connector());
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "connector-consumer-" + id);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.putAll(Converters.withPrefix(connectorConfig, "consumer.override."));
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, worker.bootstrapServers());
        return props;
    }

    private void subscribe() {
        Listener listener = new Listener();
        String regex =
                connectorConfig.getOrDefault(ConnectorConfigs.TOPICS_REGEX, "").trim();
        if (!regex.isEmpty()) {
            consumer.subscribe(Pattern.compile(regex), listener);
        } else {
            consumer.subscribe(
                    List.of(connectorConfig.get(ConnectorConfigs.TOPICS).trim().split("\\s*,\\s*")), listener);
        }
    }

    private void iteration() {
        long now = System.currentTimeMillis();
        if (commitRequested || now >= nextCommitMs) {
            commitOffsets(false);
            commitRequested = false;
            nextCommitMs = now + worker.settings().offsetFlushIntervalMs();
        }
        applyRequestedOffsets();
        Set<TopicPartition> assignment = consumer.assignment();
        if (paused()) {
            consumer.pause(assignment);
        } else {
            Set<TopicPartition> resume = new HashSet<>(assignment);
            resume.removeAll(pausedByTask);
            consumer.resume(resume);
            consumer.pause(intersect(assignment, pausedByTask));
        }
        // short polls instead of consumer.wakeup(): a wakeup would also break a commit or a
        // position lookup in progress; stop, pause and resume are noticed within a second
        ConsumerRecords<byte[], byte[]> polled =
                consumer.poll(Duration.ofMillis(Math.min(1000, Math.max(1, nextCommitMs - now))));
        List<SinkRecord> batch = new ArrayList<>(polled.count());
        Map<TopicPartition, OffsetAndMetadata> positions = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> consumed : polled) {
            SinkRecord record = convertAndTransform(consumed);
            if (record != null) {
                batch.add(record);
            }
            positions.put(
                    new TopicPartition(consumed.topic(), consumed.partition()),
                    new OffsetAndMetadata(consumed.offset() + 1));
        }
        deliver(batch);
        currentOffsets.putAll(positions);
    }

    private SinkRecord convertAndTransform(ConsumerRecord<byte[], byte[]> consumed) {
        ErrorHandler.Context context = new ErrorHandler.Context(consumed, null);
        SchemaAndValue key = errors.execute(
                ErrorHandler.Stage.KEY_CONVERTER,
                converters.key().getClass(),
                context,
                () -> converters.key().toConnectData(consumed.topic(), consumed.headers(), consumed.key()));
        if (key == null) {
            return null;
        }
        SchemaAndValue value = errors.execute(
                ErrorHandler.Stage.VALUE_CONVERTER,
                converters.value().getClass(),
                context,
                () -> converters.value().toConnectData(consumed.topic(), consumed.headers(), consumed.value()));
        if (value == null) {
            return null;
        }
        ConnectHeaders headers = errors.execute(
                ErrorHandler.Stage.HEADER_CONVERTER,
                converters.header().getClass(),
                context,
                () -> convertHeaders(consumed));
        if (headers == null) {
            return null;
        }
        SinkRecord record = new InternalSinkRecord(
                consumed,
                new SinkRecord(
                        consumed.topic(),
                        consumed.partition(),
                        key.schema(),
                        key.value(),
                        value.schema(),
                        value.value(),
                        consumed.offset(),
                        consumed.timestamp() < 0 ? null : consumed.timestamp(),
                        consumed.timestampType(),
                        headers));
        return transforms.apply(record, errors, context);
    }

    private ConnectHeaders convertHeaders(ConsumerRecord<byte[], byte[]> consumed) {
        ConnectHeaders headers = new ConnectHeaders();
        for (Header header : consumed.headers()) {
            SchemaAndValue converted =
                    converters.header().toConnectHeader(consumed.topic(), header.key(), header.value());
            headers.add(header.key(), converted);
        }
        return headers;
    }

    /**
     * put, retried on RetriableException with the batch kept and the consumer paused meanwhile (also
     * partitions assigned during the wait); records of partitions revoked meanwhile leave the batch.
     */
    private void deliver(List<SinkRecord> batch) {
        retrying = batch;
        try {
            while (true) {
                try {
                    task.put(new ArrayList<>(retrying));
                    return;
                } catch (RetriableException e) {
                    LOG.warnf(
                            "Task %s: retriable error from put, retrying in %d ms: %s",
                            id, retryTimeoutMs, e.getMessage());
                    consumer.pause(consumer.assignment());
                    long until = System.currentTimeMillis() + retryTimeoutMs;
                    while (!stopping && System.currentTimeMillis() < until) {
                        consumer.poll(
                                Duration.ofMillis(Math.max(1, Math.min(100, until - System.currentTimeMillis()))));
                    }
                    if (stopping) {
                        throw e;
                    }
                }
            }
        } finally {
            retrying = null;
        }
    }

    private void applyRequestedOffsets() {
        if (requestedOffsets.isEmpty()) {
            return;
        }
        Set<TopicPartition> assignment = consumer.assignment();
        for (Map.Entry<TopicPartition, Long> entry :
                Map.copyOf(requestedOffsets).entrySet()) {
            TopicPartition tp = entry.getKey();
            if (assignment.contains(tp)) {
                consumer.seek(tp, entry.getValue());
                currentOffsets.put(tp, new OffsetAndMetadata(entry.getValue()));
                requestedOffsets.remove(tp, entry.getValue());
                LOG.debugf("Task %s: rewound %s to %d as the task asked", id, tp, entry.getValue());
            }
        }
    }

    /** preCommit with what has been put, then a synchronous commit of what it returns. */
    private void commitOffsets(boolean closing) {
        if (deadLetterQueue != null) {
            deadLetterQueue.flush();
        }
        Map<TopicPartition, OffsetAndMetadata> assigned = new HashMap<>();
        Set<TopicPartition> assignment = consumer.assignment();
        currentOffsets.forEach((tp, offset) -> {
            if (assignment.contains(tp)) {
                assigned.put(tp, offset);
            }
        });
        Map<TopicPartition, OffsetAndMetadata> toCommit;
        try {
            toCommit = task.preCommit(new HashMap<>(assigned));
        } catch (RuntimeException e) {
            if (closing) {
                throw e;
            }
            LOG.errorf(e, "Task %s: preCommit failed; rewinding to the last committed offsets", id);
            rewindToCommitted(assignment);
            return;
        }
        if (toCommit == null || toCommit.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> filtered = new HashMap<>();
        toCommit.forEach((tp, offset) -> {
            if (assignment.contains(tp)) {
                filtered.put(tp, offset);
            }
        });
        if (!filtered.isEmpty()) {
            try {
                consumer.commitSync(filtered);
            } catch (KafkaException e) {
                if (closing) {
                    throw e;
                }
                // as Kafka Connect: a failed commit (a rebalance, a timeout) is retried by the next one
                LOG.warnf("Task %s: offset commit failed, the next one will retry: %s", id, e.getMessage());
            }
        }
    }

    private void rewindToCommitted(Set<TopicPartition> partitions) {
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(partitions);
        for (TopicPartition tp : partitions) {
            OffsetAndMetadata offset = committed.get(tp);
            if (offset != null) {
                consumer.seek(tp, offset.offset());
                currentOffsets.put(tp, offset);
            } else {
                consumer.seekToBeginning(List.of(tp));
                currentOffsets.remove(tp);
            }
        }
    }

    @Override
    protected void wake() {
        // the loop polls for at most a second and checks stopping and the target state each time
    }

    private void closeQuietly() {
        try {
            if (transforms != null) {
                transforms.close();
            }
            if (converters != null) {
                converters.close();
            }
            if (deadLetterQueue != null) {
                deadLetterQueue.close();
            }
        } finally {
            if (consumer != null) {
                consumer.close(Duration.ofSeconds(5));
            }
        }
    }

    private static Set<TopicPartition> intersect(Set<TopicPartition> a, Set<TopicPartition> b) {
        Set<TopicPartition> result = new HashSet<>(a);
        result.retainAll(b);
        return result;
    }

    /** Partition assignment: the task opens what it gets and closes what it loses, after a commit. */
    private final class Listener implements ConsumerRebalanceListener {

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty() || closing) {
                return;
            }
            commitOffsets(false);
            task.close(partitions);
            partitions.forEach(currentOffsets::remove);
            dropFromRetry(partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            if (closing) {
                return;
            }
            task.close(partitions);
            partitions.forEach(currentOffsets::remove);
            dropFromRetry(partitions);
        }

        private void dropFromRetry(Collection<TopicPartition> partitions) {
            if (retrying != null) {
                retrying.removeIf(
                        r -> partitions.contains(new TopicPartition(r.originalTopic(), r.originalKafkaPartition())));
            }
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            for (TopicPartition tp : partitions) {
                currentOffsets.put(tp, new OffsetAndMetadata(consumer.position(tp)));
            }
            task.open(partitions);
            applyRequestedOffsets();
            // new partitions stay paused while the connector is paused, put is being retried, or the
            // task paused them
            if (paused() || retrying != null) {
                consumer.pause(partitions);
            } else {
                consumer.pause(intersect(new java.util.HashSet<>(partitions), pausedByTask));
            }
        }
    }

    /** What the task sees of the runtime. */
    private final class Context implements SinkTaskContext {

        @Override
        public org.apache.kafka.common.metrics.PluginMetrics pluginMetrics() {
            return metrics();
        }

        @Override
        public Map<String, String> configs() {
            return taskConfig;
        }

        @Override
        public void offset(Map<TopicPartition, Long> offsets) {
            requestedOffsets.putAll(offsets);
        }

        @Override
        public void offset(TopicPartition tp, long offset) {
            requestedOffsets.put(tp, offset);
        }

        @Override
        public void timeout(long timeoutMs) {
            retryTimeoutMs = timeoutMs;
        }

        @Override
        public Set<TopicPartition> assignment() {
            return consumer.assignment();
        }

        @Override
        public void pause(TopicPartition... partitions) {
            pausedByTask.addAll(List.of(partitions));
        }

        @Override
        public void resume(TopicPartition... partitions) {
            List.of(partitions).forEach(pausedByTask::remove);
        }

        @Override
        public void requestCommit() {
            commitRequested = true;
        }

        @Override
        public ErrantRecordReporter errantRecordReporter() {
            if (deadLetterQueue == null && !errors.logEnabled()) {
                return null;
            }
            return (record, error) -> {
                if (!errors.tolerateAll()) {
                    throw new ConnectException("Tolerance exceeded in error handler", error);
                }
                ConsumerRecord<byte[], byte[]> consumed =
                        record instanceof InternalSinkRecord internal ? internal.consumed() : null;
                ErrorHandler.Context context = new ErrorHandler.Context(consumed, record);
                if (errors.logEnabled()) {
                    LOG.errorf(error, "Task %s reported an errant record %s", id, record);
                }
                if (deadLetterQueue != null) {
                    deadLetterQueue.report(context, ErrorHandler.Stage.TASK_PUT, task.getClass(), error);
                }
                Future<Void> done = CompletableFuture.completedFuture(null);
                return done;
            };
        }
    }
}
