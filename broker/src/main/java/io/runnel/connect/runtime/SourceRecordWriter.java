package io.runnel.connect.runtime;

import io.runnel.api.LeaderLookup;
import io.runnel.api.ProduceHandler;
import io.runnel.cluster.TopicImage;
import io.runnel.connect.storage.ConnectStore;
import io.runnel.connect.storage.Json;
import io.runnel.log.AppendResult;
import io.runnel.log.FetchedData;
import io.runnel.log.PartitionLog;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.DefaultRecordBatch;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.MemoryRecordsBuilder;
import org.apache.kafka.common.record.Record;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.jboss.logging.Logger;

/**
 * Writes a source task's records to the partition logs this broker leads, exactly once across
 * crashes, without transactions (ADR 0006).
 *
 * <p>Each source partition (a file, a table, ...) writes with an idempotent producer id of its own,
 * kept in PostgreSQL with its source offset. An offset commit stores, per topic partition, the next
 * sequence number and the log end offset. After a crash the task re-polls from the committed
 * offset; the records the log already holds past that point (same producer id and epoch, sequence at
 * or after the committed one) are read back, and each re-polled record that equals the next of them
 * (key, value and headers) is dropped instead of written again. A re-polled record that differs
 * ends the matching for that partition: it is written, nothing is skipped on a guess.
 *
 * <p>Records without a source partition are written with a producer id of this run only
 * (idempotent while it lasts, at least once across crashes). Partitions another broker leads get
 * their records through a producer, at least once.
 */
final class SourceRecordWriter {

    private static final Logger LOG = Logger.getLogger(SourceRecordWriter.class);
    private static final String NO_SOURCE_PARTITION = "";
    /** Below the default max.message.bytes (1 MiB), so a batch of small records is never refused. */
    private static final int BATCH_BYTES = 512 * 1024;

    private static final long REPLICATION_TIMEOUT_MS = 30_000;

    /** A converted record, ready to be written. */
    record Prepared(
            String topic,
            Integer partition,
            byte[] key,
            byte[] value,
            Header[] headers,
            Long timestamp,
            Map<String, ?> sourcePartition,
            Map<String, ?> sourceOffset,
            Object original,
            boolean dropped) {

        /** A polled record that is not written (a transform dropped it, or its error was tolerated). */
        static Prepared dropped(Map<String, ?> sourcePartition, Map<String, ?> sourceOffset, Object original) {
            return new Prepared(null, null, null, null, null, null, sourcePartition, sourceOffset, original, true);
        }
    }

    /** What was written for a prepared record (or found already written). */
    record Written(Prepared record, RecordMetadata metadata) {}

    /**
     * A record the log holds, to compare a re-polled one with: a SHA-256 digest of its key, value and
     * headers (not the bytes, so matching after a crash needs little memory).
     */
    private record Identity(byte[] digest, long offset, long timestamp) {

        boolean matches(Prepared record) {
            return Arrays.equals(digest, SourceRecordWriter.digest(record.key(), record.value(), record.headers()));
        }
    }

    /** One topic partition as a source partition's producer sees it. */
    private static final class Sequence {
        int next;
        final ArrayDeque<Identity> alreadyWritten = new ArrayDeque<>();
    }

    /** A source partition: its producer, committed state and progress since. */
    private static final class SourceState {
        final String key;
        final long producerId;
        final short epoch;
        final Map<String, long[]> committedSequences;
        final Map<TopicPartition, Sequence> sequences = new HashMap<>();
        Map<String, ?> latestOffset;
        boolean dirty;

        SourceState(String key, long producerId, short epoch, Map<String, long[]> committedSequences) {
            this.key = key;
            this.producerId = producerId;
            this.epoch = epoch;
            this.committedSequences = committedSequences;
        }

        boolean matching() {
            return sequences.values().stream().anyMatch(s -> !s.alreadyWritten.isEmpty());
        }
    }

    private final Worker worker;
    private final TaskId task;
    private final String connector;
    private final Map<String, Object> producerOverrides;
    private final Map<String, SourceState> states = new HashMap<>();
    private KafkaProducer<byte[], byte[]> remoteProducer;
    private int roundRobin;

    SourceRecordWriter(Worker worker, TaskId task, Map<String, Object> producerOverrides) {
        this.worker = worker;
        this.task = task;
        this.connector = task.connector();
        this.producerOverrides = producerOverrides;
    }

    /**
     * Writes one poll's records (in order per source partition), returning what each written one
     * became. Source offsets move only once all of them are written, to the last one polled of each
     * source partition: a commit never claims an offset whose records are not all in the log.
     */
    List<Written> write(List<Prepared> records) {
        List<Written> written = new ArrayList<>(records.size());
        Map<SourceState, Map<TopicPartition, List<Prepared>>> toAppend = new LinkedHashMap<>();
        Map<TopicPartition, List<Prepared>> toSend = new LinkedHashMap<>();
        List<SourceState> recordStates = new ArrayList<>(records.size());
        for (Prepared record : records) {
            SourceState state = state(record.sourcePartition());
            recordStates.add(state);
            if (record.dropped()) {
                continue;
            }
            TopicPartition tp = topicPartition(record, state);
            if (!leadsLocally(tp)) {
                toSend.computeIfAbsent(tp, t -> new ArrayList<>()).add(record);
                continue;
            }
            Sequence sequence = sequence(state, tp);
            Identity first = sequence.alreadyWritten.peekFirst();
            if (first != null) {
                if (first.matches(record)) {
                    sequence.alreadyWritten.removeFirst();
                    written.add(new Written(record, metadata(tp, first.offset(), first.timestamp())));
                    continue;
                }
                LOG.warnf(
                        "Connector %s: the record re-polled for %s differs from what the log holds at offset %d;"
                                + " writing it, and %d earlier records stay in %s",
                        connector, state.key, first.offset(), sequence.alreadyWritten.size(), tp);
                sequence.alreadyWritten.clear();
            }
            toAppend.computeIfAbsent(state, s -> new LinkedHashMap<>())
                    .computeIfAbsent(tp, t -> new ArrayList<>())
                    .add(record);
        }
        for (Map.Entry<SourceState, Map<TopicPartition, List<Prepared>>> bySource : toAppend.entrySet()) {
            SourceState state = bySource.getKey();
            for (Map.Entry<TopicPartition, List<Prepared>> byPartition :
                    bySource.getValue().entrySet()) {
                written.addAll(append(state, byPartition.getKey(), byPartition.getValue()));
            }
        }
        if (!toSend.isEmpty()) {
            written.addAll(send(toSend));
        }
        for (int i = 0; i < records.size(); i++) {
            Prepared record = records.get(i);
            SourceState state = recordStates.get(i);
            if (record.sourceOffset() != null) {
                state.latestOffset = record.sourceOffset();
            }
            state.dirty = true;
        }
        return written;
    }

    private boolean leadsLocally(TopicPartition tp) {
        TopicImage topic = worker.metadata().image().topic(tp.topic());
        return LeaderLookup.of(
                                topic,
                                tp.partition(),
                                worker.config().nodeId(),
                                worker.replicas(),
                                Errors.UNKNOWN_TOPIC_OR_PARTITION)
                        .error()
                == Errors.NONE;
    }

    /**
     * Partitions another broker leads get the records through an idempotent producer, and the call
     * returns once they are acknowledged: at least once across crashes, as in Kafka Connect without
     * exactly-once support (ADR 0006).
     */
    private List<Written> send(Map<TopicPartition, List<Prepared>> byPartition) {
        KafkaProducer<byte[], byte[]> producer = remoteProducer();
        List<Prepared> sent = new ArrayList<>();
        List<Future<RecordMetadata>> futures = new ArrayList<>();
        byPartition.forEach((tp, records) -> {
            for (Prepared record : records) {
                sent.add(record);
                futures.add(producer.send(new ProducerRecord<>(
                        tp.topic(),
                        tp.partition(),
                        record.timestamp(),
                        record.key(),
                        record.value(),
                        List.of(record.headers()))));
            }
        });
        producer.flush();
        List<Written> written = new ArrayList<>(sent.size());
        for (int i = 0; i < sent.size(); i++) {
            try {
                written.add(new Written(sent.get(i), futures.get(i).get()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ConnectException("Interrupted sending records", e);
            } catch (ExecutionException e) {
                throw new ConnectException(
                        "Could not send a record to " + sent.get(i).topic() + ": "
                                + e.getCause().getMessage(),
                        e.getCause());
            }
        }
        return written;
    }

    private KafkaProducer<byte[], byte[]> remoteProducer() {
        if (remoteProducer == null) {
            Map<String, Object> props = new HashMap<>(producerOverrides);
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, worker.bootstrapServers());
            props.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "connector-producer-" + task);
            props.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
            props.putIfAbsent(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
            props.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "5");
            remoteProducer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
            LOG.infof("Task %s writes to partitions led by other brokers through a producer (at least once)", task);
        }
        return remoteProducer;
    }

    void close() {
        if (remoteProducer != null) {
            remoteProducer.close(java.time.Duration.ofSeconds(5));
        }
    }

    /** Appends in batches of at most about {@link #BATCH_BYTES}, each one idempotent producer batch. */
    private List<Written> append(SourceState state, TopicPartition tp, List<Prepared> records) {
        List<Written> written = new ArrayList<>(records.size());
        int from = 0;
        int size = 0;
        for (int i = 0; i < records.size(); i++) {
            int recordSize = estimate(records.get(i));
            if (i > from && size + recordSize > BATCH_BYTES) {
                written.addAll(appendBatch(state, tp, records.subList(from, i), size));
                from = i;
                size = 0;
            }
            size += recordSize;
        }
        written.addAll(appendBatch(state, tp, records.subList(from, records.size()), size));
        return written;
    }

    private static int estimate(Prepared record) {
        int size = 32 + length(record.key()) + length(record.value());
        for (Header header : record.headers()) {
            size += 16 + header.key().length() + length(header.value());
        }
        return size;
    }

    private List<Written> appendBatch(SourceState state, TopicPartition tp, List<Prepared> records, int size) {
        Sequence sequence = sequence(state, tp);
        long now = System.currentTimeMillis();
        MemoryRecordsBuilder builder = MemoryRecords.builder(
                ByteBuffer.allocate(size + 128),
                RecordBatch.CURRENT_MAGIC_VALUE,
                Compression.NONE,
                TimestampType.CREATE_TIME,
                0L,
                now,
                state.producerId,
                state.epoch,
                sequence.next,
                false,
                RecordBatch.NO_PARTITION_LEADER_EPOCH);
        for (Prepared record : records) {
            builder.append(
                    record.timestamp() == null ? now : record.timestamp(),
                    record.key(),
                    record.value(),
                    record.headers());
        }
        MemoryRecords batch = builder.build();
        TopicImage topic = worker.metadata().image().topic(tp.topic());
        LeaderLookup target = LeaderLookup.of(
                topic, tp.partition(), worker.config().nodeId(), worker.replicas(), Errors.UNKNOWN_TOPIC_OR_PARTITION);
        if (target.error() != Errors.NONE) {
            throw new RetriableException(
                    "Cannot write to " + tp + " on broker " + worker.config().nodeId() + ": "
                            + target.error().message()
                            + " (source tasks write to partitions their broker leads)");
        }
        AppendResult result = ProduceHandler.appendAsLeader(target, batch, (short) -1, now);
        if (result.duplicate()) {
            // only another writer with this producer id and these sequences gets here: a second copy
            // of the task; stop rather than report records as written that this copy did not write
            throw new ConnectException("The log already holds batch " + state.producerId + "/" + sequence.next + " of "
                    + state.key + " in " + tp + ": another copy of this task is writing");
        }
        if (target.log().flushDue()) {
            flush(target.log(), tp);
        }
        sequence.next = DefaultRecordBatch.incrementSequence(sequence.next, records.size());
        awaitReplication(target, result, tp);
        List<Written> written = new ArrayList<>(records.size());
        for (int i = 0; i < records.size(); i++) {
            Prepared record = records.get(i);
            long timestamp = record.timestamp() == null ? now : record.timestamp();
            written.add(new Written(record, metadata(tp, result.firstOffset() + i, timestamp)));
        }
        return written;
    }

    /**
     * Waits until every in-sync replica has the batch, as an acks=all producer would; a failure is
     * retriable for the task.
     */
    private void awaitReplication(LeaderLookup target, AppendResult result, TopicPartition tp) {
        Errors error;
        try {
            error = target.partition()
                    .awaitReplication(result.lastOffset() + 1)
                    .completeOnTimeout(Errors.REQUEST_TIMED_OUT, REPLICATION_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                    .get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RetriableException("Interrupted while " + tp + " replicates", e);
        } catch (ExecutionException e) {
            throw new ConnectException("Replication of " + tp + " failed", e.getCause());
        }
        if (error != Errors.NONE) {
            throw new RetriableException("Records written to " + tp + " are not replicated: " + error.message());
        }
    }

    /**
     * The committed state of every source partition written to since the last commit, for one
     * transaction. A source partition still matching re-polled records against the log is left out:
     * its offset may only move once the records the log holds past it have all been seen again.
     */
    List<ConnectStore.SourceOffsetRow> commitRows() {
        List<ConnectStore.SourceOffsetRow> rows = new ArrayList<>();
        for (SourceState state : states.values()) {
            if (!state.dirty || state.key.equals(NO_SOURCE_PARTITION) || state.matching()) {
                continue;
            }
            Map<String, long[]> sequences = new HashMap<>(state.committedSequences);
            state.sequences.forEach((tp, sequence) -> {
                PartitionLog log = log(tp);
                long logEnd = log == null ? 0 : log.highWatermark(); // what survives a failover
                sequences.put(tp.topic() + "/" + tp.partition(), new long[] {sequence.next, logEnd});
            });
            rows.add(new ConnectStore.SourceOffsetRow(
                    state.key,
                    state.latestOffset == null ? null : Json.write(state.latestOffset),
                    state.producerId,
                    state.epoch,
                    Json.write(sequences)));
        }
        return rows;
    }

    /** After the rows of {@link #commitRows} are in PostgreSQL. */
    void committed(List<ConnectStore.SourceOffsetRow> rows) {
        for (ConnectStore.SourceOffsetRow row : rows) {
            SourceState state = states.get(row.sourcePartition());
            state.dirty = false;
            state.committedSequences.clear();
            state.committedSequences.putAll(parseSequences(row.sequences()));
        }
    }

    private SourceState state(Map<String, ?> sourcePartition) {
        String key = sourcePartition == null ? NO_SOURCE_PARTITION : Json.write(sourcePartition);
        SourceState state = states.get(key);
        if (state != null) {
            return state;
        }
        if (key.equals(NO_SOURCE_PARTITION)) {
            state = new SourceState(key, newProducerId(), (short) 0, new HashMap<>());
        } else {
            ConnectStore.SourceOffsetRow row = worker.store()
                    .sourceOffset(connector, key)
                    .orElseGet(() -> worker.store().registerSourcePartition(connector, key, newProducerId()));
            state = new SourceState(key, row.producerId(), row.producerEpoch(), parseSequences(row.sequences()));
        }
        states.put(key, state);
        return state;
    }

    private long newProducerId() {
        try {
            return worker.producerIds().nextProducerId().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectException("Interrupted allocating a producer id", e);
        } catch (ExecutionException e) {
            throw new RetriableException(
                    "Could not allocate a producer id: " + e.getCause().getMessage(), e.getCause());
        }
    }

    /**
     * The topic partition of a record: the one it names; else by the murmur2 hash of its key, as
     * Kafka's producer does; else by the hash of its source partition, so the records of one source
     * partition stay in order in one topic partition (and go to the same one when re-polled).
     */
    private TopicPartition topicPartition(Prepared record, SourceState state) {
        if (record.partition() != null) {
            return new TopicPartition(record.topic(), record.partition());
        }
        TopicImage topic = worker.ensureTopic(record.topic(), (short) -1);
        int count = topic.partitions().size();
        int partition;
        if (record.key() != null) {
            partition = Utils.toPositive(Utils.murmur2(record.key())) % count;
        } else if (!state.key.equals(NO_SOURCE_PARTITION)) {
            partition = Utils.toPositive(Utils.murmur2(state.key.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                    % count;
        } else {
            partition = Utils.toPositive(roundRobin++) % count;
        }
        return new TopicPartition(record.topic(), partition);
    }

    /**
     * A source partition's sequence state in a topic partition this broker leads. The first write
     * there records (in PostgreSQL, before it happens) the log end offset it starts at; after a
     * crash, the log is read back from the last committed (or that first) position for batches of
     * this producer, whatever the broker's producer state still says.
     */
    private Sequence sequence(SourceState state, TopicPartition tp) {
        Sequence sequence = state.sequences.get(tp);
        if (sequence != null) {
            return sequence;
        }
        sequence = new Sequence();
        String key = tp.topic() + "/" + tp.partition();
        long[] committed = state.committedSequences.get(key);
        PartitionLog log = log(tp);
        if (committed == null) {
            state.committedSequences.put(key, new long[] {0, log.highWatermark()});
            worker.store().recordSequences(connector, state.key, state.epoch, Json.write(state.committedSequences));
        } else {
            sequence.next = (int) committed[0];
            long from = Math.max(committed[1], log.logStartOffset());
            int last = readAlreadyWritten(log, state, from, sequence.next, sequence.alreadyWritten);
            if (!sequence.alreadyWritten.isEmpty()) {
                LOG.infof(
                        "Connector %s: %d records of %s are in %s past the last offset commit; re-polled records"
                                + " equal to them will not be written again",
                        connector, sequence.alreadyWritten.size(), state.key, tp);
                sequence.next = DefaultRecordBatch.incrementSequence(last, 1);
            }
        }
        state.sequences.put(tp, sequence);
        return sequence;
    }

    /** Collects this producer's records from {@code from} on with sequence at or after {@code firstSeq}; returns the last sequence. */
    private static int readAlreadyWritten(
            PartitionLog log, SourceState state, long from, int firstSeq, ArrayDeque<Identity> into) {
        long offset = from;
        int last = -1;
        while (offset < log.logEndOffset()) {
            FetchedData data = log.read(offset, Integer.MAX_VALUE, true);
            if (data.sizeInBytes() == 0) {
                break;
            }
            for (RecordBatch batch : data.records().batches()) {
                offset = batch.nextOffset();
                if (batch.producerId() != state.producerId || batch.producerEpoch() != state.epoch) {
                    continue;
                }
                for (Record record : batch) {
                    int seq = batch.baseSequence() + (int) (record.offset() - batch.baseOffset());
                    if (seq >= firstSeq) {
                        into.add(new Identity(
                                digest(bytes(record.key()), bytes(record.value()), record.headers()),
                                record.offset(),
                                record.timestamp()));
                        last = seq;
                    }
                }
            }
        }
        return last;
    }

    static byte[] digest(byte[] key, byte[] value, Header[] headers) {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
        update(digest, key);
        update(digest, value);
        for (Header header : headers) {
            update(digest, header.key().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            update(digest, header.value());
        }
        return digest.digest();
    }

    private static void update(MessageDigest digest, byte[] bytes) {
        if (bytes == null) {
            digest.update(ByteBuffer.allocate(4).putInt(-1).flip());
            return;
        }
        digest.update(ByteBuffer.allocate(4).putInt(bytes.length).flip());
        digest.update(bytes);
    }

    /** Forces what this task wrote to disk, so a committed offset never claims records a power loss took. */
    void flushWritten() {
        for (SourceState state : states.values()) {
            if (!state.dirty) {
                continue;
            }
            for (TopicPartition tp : state.sequences.keySet()) {
                PartitionLog log = log(tp);
                if (log != null) {
                    flush(log, tp);
                }
            }
        }
    }

    private void flush(PartitionLog log, TopicPartition tp) {
        try {
            worker.logs().flushAsync(log).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectException("Interrupted flushing " + tp, e);
        } catch (ExecutionException e) {
            throw new ConnectException("Could not flush " + tp, e.getCause());
        }
    }

    private PartitionLog log(TopicPartition tp) {
        TopicImage topic = worker.metadata().image().topic(tp.topic());
        return topic == null ? null : worker.logs().log(topic.topicId(), tp.partition());
    }

    private static Map<String, long[]> parseSequences(String json) {
        Map<String, long[]> result = new HashMap<>();
        Map<String, Object> parsed = Json.readMap(json);
        if (parsed != null) {
            parsed.forEach((k, v) -> {
                List<?> pair = (List<?>) v;
                result.put(k, new long[] {((Number) pair.get(0)).longValue(), ((Number) pair.get(1)).longValue()});
            });
        }
        return result;
    }

    private static RecordMetadata metadata(TopicPartition tp, long offset, long timestamp) {
        return new RecordMetadata(tp, offset, 0, timestamp, -1, -1);
    }

    private static byte[] bytes(ByteBuffer buffer) {
        if (buffer == null) {
            return null;
        }
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    private static int length(byte[] bytes) {
        return bytes == null ? 0 : bytes.length;
    }
}
