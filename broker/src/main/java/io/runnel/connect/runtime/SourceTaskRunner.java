package io.runnel.connect.runtime;

import io.runnel.connect.storage.ConnectStore;
import io.runnel.connect.storage.ConnectStore.TargetState;
import io.runnel.connect.storage.Json;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;
import org.apache.kafka.connect.source.SourceTaskContext;
import org.apache.kafka.connect.storage.OffsetStorageReader;
import org.jboss.logging.Logger;

/**
 * Runs a {@link SourceTask} as Kafka Connect's WorkerSourceTask does: {@code poll}, transforms,
 * converters, then the records go to the log, each followed by {@code commitRecord}; every {@code
 * offset.flush.interval.ms} and on stop the source offsets are committed to PostgreSQL and {@code
 * commit} is called. A paused task is not polled.
 */
final class SourceTaskRunner extends TaskRunner {

    private static final Logger LOG = Logger.getLogger(SourceTaskRunner.class);

    private final SourceTask task;
    private final Object pauseMonitor = new Object();
    private Converters converters;
    private TransformationChain<SourceRecord> transforms;
    private ErrorHandler errors;
    private SourceRecordWriter writer;

    SourceTaskRunner(
            Worker worker,
            TaskId id,
            Map<String, String> connectorConfig,
            Map<String, String> taskConfig,
            Class<?> taskClass,
            TargetState target) {
        super(worker, id, connectorConfig, taskConfig, taskClass, target);
        this.task = worker.plugins().newInstance(taskClass, SourceTask.class);
    }

    @Override
    protected void execute() throws InterruptedException {
        boolean started = false;
        try {
            converters = Converters.create(worker.plugins(), connectorConfig, worker.settings());
            transforms = TransformationChain.create(worker.plugins(), connectorConfig);
            errors = new ErrorHandler(id, connectorConfig, null);
            writer = new SourceRecordWriter(worker, id, Converters.withPrefix(connectorConfig, "producer.override."));
            task.initialize(new Context());
            task.start(taskConfig);
            started = true;
            long nextCommitMs = System.currentTimeMillis() + worker.settings().offsetFlushIntervalMs();
            while (!stopping) {
                if (System.currentTimeMillis() >= nextCommitMs) {
                    commitOffsets();
                    nextCommitMs =
                            System.currentTimeMillis() + worker.settings().offsetFlushIntervalMs();
                }
                if (paused()) {
                    synchronized (pauseMonitor) {
                        if (paused() && !stopping) {
                            pauseMonitor.wait(Math.max(1, Math.min(1000, nextCommitMs - System.currentTimeMillis())));
                        }
                    }
                    continue;
                }
                List<SourceRecord> polled = poll();
                if (polled != null && !polled.isEmpty()) {
                    send(polled);
                }
            }
            commitOffsets();
        } finally {
            if (errors != null) {
                errors.stop();
            }
            try {
                if (started) {
                    task.stop(); // on the task thread, after the final commit, as Kafka Connect 4.1 does
                }
            } finally {
                closeQuietly();
            }
        }
    }

    /** poll; a RetriableException is logged and the next poll tries again, as in Kafka Connect. */
    private List<SourceRecord> poll() throws InterruptedException {
        try {
            return task.poll();
        } catch (RetriableException e) {
            LOG.warnf("Task %s: retriable error from poll, polling again: %s", id, e.getMessage());
            sleepQuietly(Math.min(1000, worker.settings().offsetFlushIntervalMs()));
            return null;
        }
    }

    private void closeQuietly() {
        if (writer != null) {
            writer.close();
        }
        if (transforms != null) {
            transforms.close();
        }
        if (converters != null) {
            converters.close();
        }
    }

    private void send(List<SourceRecord> polled) throws InterruptedException {
        List<SourceRecordWriter.Prepared> prepared = new ArrayList<>(polled.size());
        for (SourceRecord record : polled) {
            SourceRecord transformed = transforms.apply(record, errors, new ErrorHandler.Context(null, record));
            SourceRecordWriter.Prepared converted = transformed == null ? null : convert(record, transformed);
            prepared.add(
                    converted != null
                            ? converted
                            : SourceRecordWriter.Prepared.dropped(
                                    record.sourcePartition(), record.sourceOffset(), record));
        }
        for (SourceRecordWriter.Written written : writer.write(prepared)) {
            task.commitRecord((SourceRecord) written.record().original(), written.metadata());
        }
        for (SourceRecordWriter.Prepared record : prepared) {
            if (record.dropped()) {
                task.commitRecord((SourceRecord) record.original(), null);
            }
        }
    }

    private SourceRecordWriter.Prepared convert(SourceRecord original, SourceRecord record) {
        ErrorHandler.Context context = new ErrorHandler.Context(null, record);
        Optional<Header[]> headers = errors.execute(
                ErrorHandler.Stage.HEADER_CONVERTER,
                converters.header().getClass(),
                context,
                () -> Optional.of(convertHeaders(record)));
        if (headers == null) {
            return null;
        }
        // the converters see (and may add to) the record's headers, as Kafka Connect's do
        RecordHeaders kafkaHeaders = new RecordHeaders(headers.get());
        Optional<byte[]> key = errors.execute(
                ErrorHandler.Stage.KEY_CONVERTER,
                converters.key().getClass(),
                context,
                () -> Optional.ofNullable(converters
                        .key()
                        .fromConnectData(record.topic(), kafkaHeaders, record.keySchema(), record.key())));
        if (key == null) {
            return null;
        }
        Optional<byte[]> value = errors.execute(
                ErrorHandler.Stage.VALUE_CONVERTER,
                converters.value().getClass(),
                context,
                () -> Optional.ofNullable(converters
                        .value()
                        .fromConnectData(record.topic(), kafkaHeaders, record.valueSchema(), record.value())));
        if (value == null) {
            return null;
        }
        return new SourceRecordWriter.Prepared(
                record.topic(),
                record.kafkaPartition(),
                key.orElse(null),
                value.orElse(null),
                kafkaHeaders.toArray(),
                record.timestamp(),
                original.sourcePartition(),
                original.sourceOffset(),
                original,
                false);
    }

    private Header[] convertHeaders(SourceRecord record) {
        List<Header> headers = new ArrayList<>();
        for (org.apache.kafka.connect.header.Header header : record.headers()) {
            byte[] bytes = converters
                    .header()
                    .fromConnectHeader(record.topic(), header.key(), header.schema(), header.value());
            headers.add(new RecordHeader(header.key(), bytes));
        }
        return headers.toArray(Header[]::new);
    }

    /** Source offsets and producer sequences to PostgreSQL in one transaction, then {@code commit}. */
    private void commitOffsets() {
        List<ConnectStore.SourceOffsetRow> rows;
        try {
            rows = writer.commitRows();
            if (!rows.isEmpty()) {
                writer.flushWritten();
                int written = worker.store().commitSourceOffsets(id.connector(), rows);
                if (written < rows.size()) {
                    LOG.warnf(
                            "Task %s: %d source partitions had their offsets altered meanwhile; kept those",
                            id, rows.size() - written);
                }
                writer.committed(rows);
                LOG.debugf("Task %s committed offsets of %d source partitions", id, rows.size());
            }
        } catch (RuntimeException e) {
            // as Kafka Connect: a failed offset commit is logged and retried by the next one; what
            // was written meanwhile is matched again after a crash (ADR 0006)
            LOG.warnf("Task %s: source offset commit failed, the next one will retry: %s", id, e.toString());
            return;
        }
        try {
            task.commit();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warnf(e, "Task %s: commit() failed", id);
        }
    }

    @Override
    protected void wake() {
        synchronized (pauseMonitor) {
            pauseMonitor.notifyAll();
        }
    }

    /** The committed offsets in PostgreSQL, as the task's offset storage reader. */
    private final class Reader implements OffsetStorageReader {

        @Override
        public <T> Map<String, Object> offset(Map<String, T> partition) {
            return worker.store()
                    .sourceOffset(id.connector(), Json.write(partition))
                    .map(row -> Json.readMap(row.sourceOffset()))
                    .orElse(null);
        }

        @Override
        public <T> Map<Map<String, T>, Map<String, Object>> offsets(Collection<Map<String, T>> partitions) {
            Map<Map<String, T>, Map<String, Object>> result = new HashMap<>();
            for (Map<String, T> partition : partitions) {
                result.put(partition, offset(partition));
            }
            return result;
        }
    }

    private final class Context implements SourceTaskContext {

        @Override
        public org.apache.kafka.common.metrics.PluginMetrics pluginMetrics() {
            return metrics();
        }

        @Override
        public Map<String, String> configs() {
            return taskConfig;
        }

        @Override
        public OffsetStorageReader offsetStorageReader() {
            return new Reader();
        }
    }
}
