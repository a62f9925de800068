package io.runnel.api;

import io.runnel.cluster.MetadataCache;
import io.runnel.cluster.MetadataImage;
import io.runnel.cluster.TopicImage;
import io.runnel.config.RunnelConfig;
import io.runnel.log.PartitionLog;
import io.runnel.replication.Partition;
import io.runnel.replication.ReplicaManager;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FetchResponseData.FetchableTopicResponse;
import org.apache.kafka.common.message.FetchResponseData.PartitionData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.requests.FetchMetadata;

/**
 * Fetch: reads each requested partition from its fetch offset, within the per-partition and
 * per-response byte limits (the first batch always whole, KIP-74), and answers with file ranges that
 * are sent with zero copy. Consumers read up to the high watermark; a follower (a replica id in the
 * request) reads up to the log end, and its fetch offset tells the leader how far it has come, which
 * moves the ISR and the high watermark. A fetch whose last fetched epoch the leader's log does not
 * have as such gets that epoch's end back as {@code DivergingEpoch} and no records (KIP-320).
 *
 * <p>When fewer than {@code fetch.min.bytes} are there, the fetch waits (long polling): a follower's
 * until enough is appended, a consumer's until the high watermark moves far enough, or until
 * {@code fetch.max.wait.ms} passes.
 *
 * <p>Fetch sessions (KIP-227) are not kept: a full fetch is answered with session id 0, which tells
 * the client that no session was created, so it keeps sending full fetches; an incremental fetch of
 * a session gets FETCH_SESSION_ID_NOT_FOUND.
 */
@ApplicationScoped
public class FetchHandler implements ApiHandler<FetchRequestData> {

    @Inject
    MetadataCache metadata;

    @Inject
    ReplicaManager replicas;

    @Inject
    RunnelConfig config;

    @Inject
    Vertx vertx;

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.FETCH;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, FetchRequestData request) {
        if (request.sessionId() != FetchMetadata.INVALID_SESSION_ID
                || request.sessionEpoch() > FetchMetadata.INITIAL_EPOCH) {
            return CompletableFuture.completedFuture(new FetchResponseData()
                    .setErrorCode(Errors.FETCH_SESSION_ID_NOT_FOUND.code())
                    .setSessionId(FetchMetadata.INVALID_SESSION_ID));
        }
        Fetcher fetcher = Fetcher.of(context, request);
        Result first = read(context, request, fetcher);
        if (first.bytes >= request.minBytes() || request.maxWaitMs() <= 0 || first.errors || first.logs.isEmpty()) {
            return CompletableFuture.completedFuture(first.response);
        }
        return new DelayedFetch(context, request, fetcher, first).start();
    }

    /** Who fetches: a consumer (replica id -1) or a follower with its broker epoch. */
    private record Fetcher(int replicaId, long brokerEpoch) {

        static Fetcher of(RequestContext context, FetchRequestData request) {
            if (context.apiVersion() >= 15) {
                return new Fetcher(
                        request.replicaState().replicaId(),
                        request.replicaState().replicaEpoch());
            }
            return new Fetcher(request.replicaId(), -1);
        }

        boolean isFollower() {
            return replicaId >= 0;
        }
    }

    /** One pass over the requested partitions. */
    private record Result(FetchResponseData response, int bytes, boolean errors, List<PartitionLog> logs) {}

    private Result read(RequestContext context, FetchRequestData request, Fetcher fetcher) {
        boolean byId = context.apiVersion() >= 13;
        MetadataImage image = metadata.image();
        FetchResponseData response = new FetchResponseData().setSessionId(FetchMetadata.INVALID_SESSION_ID);
        int remaining = request.maxBytes();
        int bytes = 0;
        boolean errors = false;
        List<PartitionLog> watched = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (FetchRequestData.FetchTopic topicRequest : request.topics()) {
            TopicImage topic = byId ? image.topic(topicRequest.topicId()) : image.topic(topicRequest.topic());
            FetchableTopicResponse topicResponse =
                    new FetchableTopicResponse().setTopic(topicRequest.topic()).setTopicId(topicRequest.topicId());
            response.responses().add(topicResponse);
            for (FetchRequestData.FetchPartition partitionRequest : topicRequest.partitions()) {
                PartitionData data = new PartitionData()
                        .setPartitionIndex(partitionRequest.partition())
                        .setHighWatermark(-1)
                        .setLastStableOffset(-1)
                        .setLogStartOffset(-1)
                        .setRecords(MemoryRecords.EMPTY);
                topicResponse.partitions().add(data);
                LeaderLookup target = LeaderLookup.of(
                        topic,
                        partitionRequest.partition(),
                        config.nodeId(),
                        replicas,
                        byId ? Errors.UNKNOWN_TOPIC_ID : Errors.UNKNOWN_TOPIC_OR_PARTITION);
                Errors error = target.error() == Errors.NONE
                        ? target.checkLeaderEpoch(partitionRequest.currentLeaderEpoch())
                        : target.error();
                if (error == Errors.NONE
                        && fetcher.isFollower()
                        && !target.state().replicas().contains(fetcher.replicaId())) {
                    error = Errors.NOT_LEADER_OR_FOLLOWER;
                }
                if (error != Errors.NONE) {
                    data.setErrorCode(error.code());
                    if (error == Errors.NOT_LEADER_OR_FOLLOWER && context.apiVersion() >= 16) {
                        LeaderHint.of(image, target.state(), context.listenerName())
                                .ifPresent(hint -> redirect(response, data, hint));
                    }
                    errors = true;
                    continue;
                }
                PartitionLog log = target.log();
                watched.add(log);
                try {
                    int limit = Math.max(0, Math.min(partitionRequest.partitionMaxBytes(), remaining));
                    Partition.FetchResult result = target.partition()
                            .fetch(
                                    fetcher.replicaId(),
                                    fetcher.brokerEpoch(),
                                    partitionRequest.fetchOffset(),
                                    partitionRequest.lastFetchedEpoch(),
                                    partitionRequest.logStartOffset(),
                                    limit,
                                    bytes == 0,
                                    now);
                    data.setHighWatermark(log.highWatermark())
                            .setLastStableOffset(log.highWatermark())
                            .setLogStartOffset(log.logStartOffset());
                    if (result.divergingEpoch() != null) {
                        data.divergingEpoch()
                                .setEpoch(result.divergingEpoch().leaderEpoch())
                                .setEndOffset(result.divergingEpoch().offset());
                        errors = true;
                        continue;
                    }
                    data.setRecords(result.data().records());
                    bytes += result.data().sizeInBytes();
                    remaining -= result.data().sizeInBytes();
                } catch (OffsetOutOfRangeException e) {
                    data.setErrorCode(Errors.OFFSET_OUT_OF_RANGE.code())
                            .setHighWatermark(log.highWatermark())
                            .setLastStableOffset(log.highWatermark())
                            .setLogStartOffset(log.logStartOffset());
                    errors = true;
                }
            }
        }
        return new Result(response, bytes, errors, watched);
    }

    /** KIP-951: the current leader with the NOT_LEADER_OR_FOLLOWER, and its endpoint once per response. */
    private static void redirect(FetchResponseData response, PartitionData data, LeaderHint hint) {
        data.currentLeader().setLeaderId(hint.leaderId()).setLeaderEpoch(hint.leaderEpoch());
        if (response.nodeEndpoints().find(hint.leaderId()) == null) {
            response.nodeEndpoints()
                    .add(new FetchResponseData.NodeEndpoint()
                            .setNodeId(hint.leaderId())
                            .setHost(hint.endpoint().host())
                            .setPort(hint.endpoint().port())
                            .setRack(hint.broker().rack().orElse(null)));
        }
    }

    /**
     * A fetch waiting for data (Kafka's delayed fetch in its purgatory). A follower's fetch is woken
     * by appends to its partitions, a consumer's by moves of their high watermarks; each wake-up reads
     * again on the connection's event loop and answers once {@code fetch.min.bytes} are there, or
     * when {@code fetch.max.wait.ms} is up.
     */
    private final class DelayedFetch implements Consumer<PartitionLog> {

        private final RequestContext context;
        private final FetchRequestData request;
        private final Fetcher fetcher;
        private final List<PartitionLog> logs;
        private final Context eventLoop;
        private final CompletableFuture<ApiMessage> result = new CompletableFuture<>();
        private final AtomicBoolean done = new AtomicBoolean();
        private final AtomicBoolean checkScheduled = new AtomicBoolean();
        private long timerId = -1;

        DelayedFetch(RequestContext context, FetchRequestData request, Fetcher fetcher, Result first) {
            this.context = context;
            this.request = request;
            this.fetcher = fetcher;
            this.logs = first.logs;
            this.eventLoop = Vertx.currentContext();
        }

        CompletableFuture<ApiMessage> start() {
            for (PartitionLog log : logs) {
                if (fetcher.isFollower()) {
                    log.onNewRecords(this);
                } else {
                    log.onHighWatermark(this);
                }
            }
            timerId = vertx.setTimer(request.maxWaitMs(), id -> complete(null));
            accept(null); // data may have arrived between the first read and registering
            return result;
        }

        /** Called on the appending (or high-watermark moving) thread. */
        @Override
        public void accept(PartitionLog ignored) {
            if (done.get() || !checkScheduled.compareAndSet(false, true)) {
                return;
            }
            if (eventLoop != null) {
                eventLoop.runOnContext(v -> check());
            } else {
                check();
            }
        }

        private void check() {
            checkScheduled.set(false);
            if (done.get()) {
                return;
            }
            try {
                Result again = read(context, request, fetcher);
                if (again.bytes >= request.minBytes() || again.errors) {
                    complete(again);
                }
            } catch (RuntimeException e) {
                if (done.compareAndSet(false, true)) {
                    stopWatching();
                    result.completeExceptionally(e);
                }
            }
        }

        private void complete(Result ready) {
            if (!done.compareAndSet(false, true)) {
                return;
            }
            stopWatching();
            try {
                result.complete((ready != null ? ready : read(context, request, fetcher)).response);
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        }

        private void stopWatching() {
            for (PartitionLog log : logs) {
                log.removeListener(this);
                log.removeHighWatermarkListener(this);
            }
            if (timerId >= 0) {
                vertx.cancelTimer(timerId);
            }
        }
    }
}
