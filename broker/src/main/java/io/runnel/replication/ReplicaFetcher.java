package io.runnel.replication;

import io.runnel.config.Endpoint;
import io.runnel.log.OffsetAndEpoch;
import io.runnel.log.PartitionLog;
import io.runnel.log.UnexpectedAppendOffsetException;
import io.runnel.protocol.InterBrokerClient;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.MutableRecordBatch;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.requests.FetchMetadata;
import org.jboss.logging.Logger;

/**
 * Fetches the partitions this broker follows from one leader, on its own thread over one blocking
 * connection (Kafka's {@code ReplicaFetcherThread}): a Fetch with this broker's id and epoch in
 * {@code ReplicaState}, from each log's end with the epoch of its last batch; the answer's records are
 * appended as they are, the high watermark and log start follow the leader's, and a
 * {@code DivergingEpoch} truncates what the leader never had (KIP-101, KIP-279, KIP-320).
 */
final class ReplicaFetcher {

    private static final Logger LOG = Logger.getLogger(ReplicaFetcher.class);

    /** Settings of the fetch requests. */
    record Settings(int nodeId, int maxWaitMs, int partitionMaxBytes, int responseMaxBytes, long backoffMs) {}

    private final int leaderId;
    private final Settings settings;
    private final LongSupplier brokerEpoch;
    private final Map<Partition, Integer> partitions = new ConcurrentHashMap<>();
    private final Object changed = new Object();
    private volatile InterBrokerClient client;
    private volatile boolean running = true;
    private final Thread thread;

    ReplicaFetcher(int leaderId, Endpoint endpoint, Settings settings, LongSupplier brokerEpoch) {
        this.leaderId = leaderId;
        this.settings = settings;
        this.brokerEpoch = brokerEpoch;
        this.client = newClient(endpoint);
        this.thread = Thread.ofPlatform()
                .name("runnel-replica-fetcher-" + leaderId)
                .daemon()
                .unstarted(this::run);
    }

    private InterBrokerClient newClient(Endpoint endpoint) {
        return new InterBrokerClient(
                endpoint, "runnel-replica-fetcher-" + settings.nodeId(), settings.maxWaitMs() + 30_000);
    }

    void start() {
        thread.start();
    }

    int leaderId() {
        return leaderId;
    }

    /** Points the fetcher at the leader's endpoint, when it re-registered with another. */
    void updateEndpoint(Endpoint endpoint) {
        if (!client.target().equals(endpoint)) {
            InterBrokerClient previous = client;
            client = newClient(endpoint);
            previous.close();
        }
    }

    void add(Partition partition, int leaderEpoch) {
        partitions.put(partition, leaderEpoch);
        synchronized (changed) {
            changed.notifyAll();
        }
    }

    void remove(Partition partition) {
        partitions.remove(partition);
    }

    boolean isEmpty() {
        return partitions.isEmpty();
    }

    void shutdown() {
        running = false;
        thread.interrupt();
        client.close();
    }

    void awaitShutdown(long timeoutMs) throws InterruptedException {
        thread.join(timeoutMs);
    }

    private void run() {
        while (running) {
            try {
                if (partitions.isEmpty()) {
                    synchronized (changed) {
                        changed.wait(settings.backoffMs());
                    }
                    continue;
                }
                if (!fetchOnce()) {
                    Thread.sleep(settings.backoffMs());
                }
            } catch (InterruptedException e) {
                return;
            } catch (IOException e) {
                if (running) {
                    LOG.debugf("Fetch from broker %d failed: %s", leaderId, e.toString());
                    sleepQuietly(settings.backoffMs());
                }
            } catch (RuntimeException e) {
                if (running) {
                    LOG.warnf(e, "Fetch from broker %d failed", leaderId);
                    sleepQuietly(settings.backoffMs());
                }
            }
        }
        client.close();
    }

    private void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /** One fetch round trip; false when every partition had an error, so the caller backs off. */
    private boolean fetchOnce() throws IOException {
        Map<Uuid, Map<Integer, Fetching>> byTopic = new LinkedHashMap<>();
        FetchRequestData request = new FetchRequestData()
                .setReplicaState(new FetchRequestData.ReplicaState()
                        .setReplicaId(settings.nodeId())
                        .setReplicaEpoch(brokerEpoch.getAsLong()))
                .setMaxWaitMs(settings.maxWaitMs())
                .setMinBytes(1)
                .setMaxBytes(settings.responseMaxBytes())
                .setIsolationLevel((byte) 0)
                .setSessionId(FetchMetadata.INVALID_SESSION_ID)
                .setSessionEpoch(FetchMetadata.FINAL_EPOCH);
        Map<Uuid, FetchRequestData.FetchTopic> topics = new HashMap<>();
        partitions.forEach((partition, leaderEpoch) -> {
            PartitionLog log = partition.log();
            OptionalInt lastEpoch = log.latestEpoch();
            FetchRequestData.FetchTopic topic = topics.computeIfAbsent(partition.topicId(), id -> {
                FetchRequestData.FetchTopic t = new FetchRequestData.FetchTopic()
                        .setTopicId(id)
                        .setTopic(partition.topicPartition().topic());
                request.topics().add(t);
                return t;
            });
            long fetchOffset = log.logEndOffset();
            topic.partitions()
                    .add(new FetchRequestData.FetchPartition()
                            .setPartition(partition.topicPartition().partition())
                            .setCurrentLeaderEpoch(leaderEpoch)
                            .setFetchOffset(fetchOffset)
                            .setLastFetchedEpoch(lastEpoch.orElse(RecordBatch.NO_PARTITION_LEADER_EPOCH))
                            .setLogStartOffset(log.logStartOffset())
                            .setPartitionMaxBytes(settings.partitionMaxBytes()));
            byTopic.computeIfAbsent(partition.topicId(), id -> new HashMap<>())
                    .put(partition.topicPartition().partition(), new Fetching(partition, leaderEpoch, fetchOffset));
        });
        FetchResponseData response = (FetchResponseData) client.send(request, ApiKeys.FETCH.latestVersion());
        if (response.errorCode() != Errors.NONE.code()) {
            LOG.debugf("Fetch from broker %d: %s", leaderId, Errors.forCode(response.errorCode()));
            return false;
        }
        boolean progress = false;
        for (FetchResponseData.FetchableTopicResponse topic : response.responses()) {
            Map<Integer, Fetching> fetching = byTopic.getOrDefault(topic.topicId(), Map.of());
            for (FetchResponseData.PartitionData data : topic.partitions()) {
                Fetching f = fetching.get(data.partitionIndex());
                if (f != null && Integer.valueOf(f.leaderEpoch).equals(partitions.get(f.partition))) {
                    progress |= handle(f, data);
                }
            }
        }
        return progress;
    }

    private record Fetching(Partition partition, int leaderEpoch, long fetchOffset) {}

    private boolean handle(Fetching f, FetchResponseData.PartitionData data) {
        return handleResponse(f.partition, f.leaderEpoch, f.fetchOffset, data, leaderId);
    }

    /**
     * Applies the leader's answer for one partition fetched at {@code leaderEpoch} from
     * {@code fetchOffset}: truncation on divergence or an offset out of range, else the records
     * appended and the leader's high watermark and log start followed. False on an error that calls
     * for a back-off (the metadata will say more).
     */
    static boolean handleResponse(
            Partition partition,
            int leaderEpoch,
            long fetchOffset,
            FetchResponseData.PartitionData data,
            int leaderId) {
        Fetching f = new Fetching(partition, leaderEpoch, fetchOffset);
        PartitionLog log = partition.log();
        Errors error = Errors.forCode(data.errorCode());
        switch (error) {
            case NONE -> {
                FetchResponseData.EpochEndOffset diverging = data.divergingEpoch();
                if (diverging.epoch() >= 0) {
                    OffsetAndEpoch own = log.endOffsetForEpoch(diverging.epoch());
                    long truncateTo = divergenceTruncationOffset(
                            diverging.epoch(), diverging.endOffset(), own, log.logEndOffset());
                    LOG.infof(
                            "%s: the leader's log diverges at epoch %d (ends at %d there, %s here); truncating to %d",
                            partition.topicPartition(), diverging.epoch(), diverging.endOffset(), own, truncateTo);
                    partition.truncateAsFollower(f.leaderEpoch, truncateTo);
                    return true;
                }
                MemoryRecords records = completeBatches((MemoryRecords) data.records());
                if (records.sizeInBytes() > 0 && log.logEndOffset() == f.fetchOffset) {
                    try {
                        partition.appendAsFollower(f.leaderEpoch, records);
                    } catch (UnexpectedAppendOffsetException e) {
                        if (log.logEndOffset() != log.logStartOffset()) {
                            throw e;
                        }
                        // an empty log and a leader log start inside a batch (DeleteRecords): start at the batch
                        partition.truncateFullyAsFollower(f.leaderEpoch, e.firstOffset());
                        partition.appendAsFollower(f.leaderEpoch, records);
                    }
                }
                if (partition.followsAt(f.leaderEpoch)) {
                    log.updateHighWatermarkAsFollower(data.highWatermark());
                    log.maybeIncrementLogStartOffset(data.logStartOffset());
                }
                return true;
            }
            case OFFSET_OUT_OF_RANGE -> {
                if (f.fetchOffset < data.logStartOffset()) {
                    LOG.infof(
                            "%s: fetch offset %d is below the leader's log start %d; starting over from there",
                            partition.topicPartition(), f.fetchOffset, data.logStartOffset());
                    partition.truncateFullyAsFollower(f.leaderEpoch, data.logStartOffset());
                } else {
                    LOG.infof(
                            "%s: fetch offset %d is beyond the leader's log; truncating to its high watermark %d",
                            partition.topicPartition(), f.fetchOffset, data.highWatermark());
                    partition.truncateAsFollower(f.leaderEpoch, data.highWatermark());
                }
                return true;
            }
            default -> {
                LOG.debugf("%s: fetch from broker %d: %s", partition.topicPartition(), leaderId, error);
                return false;
            }
        }
    }

    /**
     * Where a follower truncates when the leader reports {@code DivergingEpoch(epoch, endOffset)}: to
     * the smaller of the leader's end of that epoch and its own end of the largest epoch up to it; when
     * it has no such epoch, to the leader's end (Kafka's {@code AbstractFetcherThread}, KIP-279). The
     * next fetch repeats the check from there.
     */
    static long divergenceTruncationOffset(
            int leaderEpoch, long leaderEndOffset, OffsetAndEpoch own, long logEndOffset) {
        if (own.leaderEpoch() < 0 || own.offset() < 0) {
            return Math.min(leaderEndOffset, logEndOffset);
        }
        return Math.min(Math.min(own.offset(), leaderEndOffset), logEndOffset);
    }

    /** The whole batches of a fetched region; a batch cut off by the byte limit is fetched next time. */
    static MemoryRecords completeBatches(MemoryRecords records) {
        int whole = 0;
        for (MutableRecordBatch batch : records.batches()) {
            whole += batch.sizeInBytes();
        }
        if (whole == records.sizeInBytes()) {
            return records;
        }
        ByteBuffer buffer = records.buffer().duplicate();
        buffer.limit(buffer.position() + whole);
        return MemoryRecords.readableRecords(buffer.slice());
    }
}
