package io.runnel.api;

import io.runnel.cluster.MetadataCache;
import io.runnel.cluster.MetadataImage;
import io.runnel.cluster.TopicImage;
import io.runnel.config.RunnelConfig;
import io.runnel.log.FetchedData;
import io.runnel.log.LogManager;
import io.runnel.log.PartitionLog;
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
 * Fetch: reads each requested partition from its fetch offset up to the high watermark, within the
 * per-partition and per-response byte limits (the first batch always whole, KIP-74), and answers
 * with file ranges that are sent with zero copy. When fewer than {@code fetch.min.bytes} are there,
 * the fetch waits (long polling) until enough is appended or {@code fetch.max.wait.ms} passes.
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
    LogManager logs;

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
        Result first = read(context, request);
        if (first.bytes >= request.minBytes() || request.maxWaitMs() <= 0 || first.errors || first.logs.isEmpty()) {
            return CompletableFuture.completedFuture(first.response);
        }
        return new DelayedFetch(context, request, first).start();
    }

    /** One pass over the requested partitions. */
    private record Result(FetchResponseData response, int bytes, boolean errors, List<PartitionLog> logs) {}

    private Result read(RequestContext context, FetchRequestData request) {
        boolean byId = context.apiVersion() >= 13;
        MetadataImage image = metadata.image();
        FetchResponseData response = new FetchResponseData().setSessionId(FetchMetadata.INVALID_SESSION_ID);
        int remaining = request.maxBytes();
        int bytes = 0;
        boolean errors = false;
        List<PartitionLog> watched = new ArrayList<>();
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
                        logs,
                        byId ? Errors.UNKNOWN_TOPIC_ID : Errors.UNKNOWN_TOPIC_OR_PARTITION);
                Errors error = target.error() == Errors.NONE
                        ? target.checkLeaderEpoch(partitionRequest.currentLeaderEpoch())
                        : target.error();
                if (error != Errors.NONE) {
                    data.setErrorCode(error.code());
                    errors = true;
                    continue;
                }
                PartitionLog log = target.log();
                watched.add(log);
                try {
                    int limit = Math.max(0, Math.min(partitionRequest.partitionMaxBytes(), remaining));
                    FetchedData fetched = log.read(partitionRequest.fetchOffset(), limit, bytes == 0);
                    data.setRecords(fetched.records())
                            .setHighWatermark(fetched.highWatermark())
                            .setLastStableOffset(fetched.highWatermark())
                            .setLogStartOffset(fetched.logStartOffset());
                    bytes += fetched.sizeInBytes();
                    remaining -= fetched.sizeInBytes();
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

    /**
     * A fetch waiting for data (Kafka's delayed fetch in its purgatory): completes when the bytes
     * appended to its partitions since it started reach {@code fetch.min.bytes}, or when
     * {@code fetch.max.wait.ms} is up; then it reads again and answers.
     */
    private final class DelayedFetch implements Consumer<PartitionLog> {

        private final RequestContext context;
        private final FetchRequestData request;
        private final List<PartitionLog> logs;
        private final long[] appendedAtStart;
        private final int bytesAtStart;
        private final Context eventLoop;
        private final CompletableFuture<ApiMessage> result = new CompletableFuture<>();
        private final AtomicBoolean done = new AtomicBoolean();
        private long timerId = -1;

        DelayedFetch(RequestContext context, FetchRequestData request, Result first) {
            this.context = context;
            this.request = request;
            this.logs = first.logs;
            this.bytesAtStart = first.bytes;
            this.appendedAtStart = new long[logs.size()];
            for (int i = 0; i < logs.size(); i++) {
                appendedAtStart[i] = logs.get(i).appendedBytes();
            }
            this.eventLoop = Vertx.currentContext();
        }

        CompletableFuture<ApiMessage> start() {
            for (PartitionLog log : logs) {
                log.onNewRecords(this);
            }
            timerId = vertx.setTimer(request.maxWaitMs(), id -> complete());
            accept(null); // data may have arrived between the first read and registering
            return result;
        }

        /** Called on the appending thread when a watched log has new records. */
        @Override
        public void accept(PartitionLog ignored) {
            long appended = bytesAtStart;
            for (int i = 0; i < logs.size(); i++) {
                appended += logs.get(i).appendedBytes() - appendedAtStart[i];
            }
            if (appended >= request.minBytes()) {
                if (eventLoop != null) {
                    eventLoop.runOnContext(v -> complete());
                } else {
                    complete();
                }
            }
        }

        private void complete() {
            if (!done.compareAndSet(false, true)) {
                return;
            }
            for (PartitionLog log : logs) {
                log.removeListener(this);
            }
            if (timerId >= 0) {
                vertx.cancelTimer(timerId);
            }
            try {
                result.complete(read(context, request).response);
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        }
    }
}
