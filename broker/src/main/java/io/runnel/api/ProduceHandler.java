package io.runnel.api;

import io.runnel.cluster.MetadataCache;
import io.runnel.cluster.MetadataImage;
import io.runnel.cluster.TopicImage;
import io.runnel.config.RunnelConfig;
import io.runnel.log.AppendResult;
import io.runnel.log.LogManager;
import io.runnel.log.PartitionLog;
import io.runnel.replication.ReplicaManager;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.message.ProduceResponseData.PartitionProduceResponse;
import org.apache.kafka.common.message.ProduceResponseData.TopicProduceResponse;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.MemoryRecords;
import org.jboss.logging.Logger;

/**
 * Produce: validates each partition's batches, appends them to the partition's log on the event
 * loop (a page-cache write), and answers with the base offset of each append. acks=0 gets no
 * response; acks=1 is answered once the append is done (and, with {@code flush.messages} due, once
 * it is flushed); acks=all once, in addition, every in-sync replica has it (the high watermark covers
 * it). acks=all refuses to append when the ISR is below {@code min.insync.replicas}.
 *
 * <p>A partition whose batches fail validation gets Kafka's error for it and nothing of its batches
 * is written; the other partitions of the request are not affected.
 */
@ApplicationScoped
public class ProduceHandler implements ApiHandler<ProduceRequestData> {

    private static final Logger LOG = Logger.getLogger(ProduceHandler.class);

    @Inject
    MetadataCache metadata;

    @Inject
    LogManager logs;

    @Inject
    ReplicaManager replicas;

    @Inject
    RunnelConfig config;

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.PRODUCE;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ProduceRequestData request) {
        short acks = request.acks();
        boolean byId = context.apiVersion() >= 13;
        MetadataImage image = metadata.image();
        ProduceResponseData response = new ProduceResponseData();
        List<CompletableFuture<Void>> flushes = new ArrayList<>(0);
        long now = System.currentTimeMillis();
        for (ProduceRequestData.TopicProduceData topicData : request.topicData()) {
            TopicImage topic = byId ? image.topic(topicData.topicId()) : image.topic(topicData.name());
            TopicProduceResponse topicResponse =
                    new TopicProduceResponse().setName(topicData.name()).setTopicId(topicData.topicId());
            response.responses().add(topicResponse);
            for (ProduceRequestData.PartitionProduceData partitionData : topicData.partitionData()) {
                PartitionProduceResponse partitionResponse = new PartitionProduceResponse()
                        .setIndex(partitionData.index())
                        .setBaseOffset(-1)
                        .setLogAppendTimeMs(-1)
                        .setLogStartOffset(-1);
                topicResponse.partitionResponses().add(partitionResponse);
                if (acks != 0 && acks != 1 && acks != -1) {
                    partitionResponse.setErrorCode(Errors.INVALID_REQUIRED_ACKS.code());
                    continue;
                }
                LeaderLookup target = LeaderLookup.of(
                        topic,
                        partitionData.index(),
                        config.nodeId(),
                        replicas,
                        byId ? Errors.UNKNOWN_TOPIC_ID : Errors.UNKNOWN_TOPIC_OR_PARTITION);
                if (target.error() != Errors.NONE) {
                    partitionResponse.setErrorCode(target.error().code());
                    if (target.error() == Errors.NOT_LEADER_OR_FOLLOWER && context.apiVersion() >= 10) {
                        LeaderHint.of(image, target.state(), context.listenerName())
                                .ifPresent(hint -> redirect(response, partitionResponse, hint));
                    }
                    continue;
                }
                try {
                    AppendResult result = appendAsLeader(target, (MemoryRecords) partitionData.records(), acks, now);
                    partitionResponse
                            .setBaseOffset(result.firstOffset())
                            .setLogAppendTimeMs(result.logAppendTime())
                            .setLogStartOffset(result.logStartOffset());
                    PartitionLog log = target.log();
                    if (!result.duplicate() && log.flushDue()) {
                        flushes.add(logs.flushAsync(log));
                    }
                    if (acks == -1) {
                        CompletableFuture<Void> replicated =
                                awaitReplication(target, result, request.timeoutMs(), partitionResponse);
                        if (!replicated.isDone()) {
                            flushes.add(replicated);
                        }
                    }
                } catch (ApiException e) {
                    Errors error = Errors.forException(e);
                    partitionResponse.setErrorCode(error.code()).setErrorMessage(e.getMessage());
                    LOG.debugf("Produce to %s-%d refused: %s", topicData.name(), partitionData.index(), e.getMessage());
                }
            }
        }
        if (acks == 0) {
            return CompletableFuture.completedFuture(null);
        }
        if (flushes.isEmpty()) {
            return CompletableFuture.completedFuture(response);
        }
        return CompletableFuture.allOf(flushes.toArray(CompletableFuture[]::new))
                .thenApply(done -> (ApiMessage) response);
    }

    /** KIP-951: the current leader with the NOT_LEADER_OR_FOLLOWER, and its endpoint once per response. */
    private static void redirect(
            ProduceResponseData response, PartitionProduceResponse partitionResponse, LeaderHint hint) {
        partitionResponse.currentLeader().setLeaderId(hint.leaderId()).setLeaderEpoch(hint.leaderEpoch());
        if (response.nodeEndpoints().find(hint.leaderId()) == null) {
            response.nodeEndpoints()
                    .add(new ProduceResponseData.NodeEndpoint()
                            .setNodeId(hint.leaderId())
                            .setHost(hint.endpoint().host())
                            .setPort(hint.endpoint().port())
                            .setRack(hint.broker().rack().orElse(null)));
        }
    }

    /**
     * An acks=all append is answered once the high watermark covers it (a retried duplicate too), with
     * NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank below min.insync.replicas meanwhile, or
     * REQUEST_TIMED_OUT after the request's timeout; all three are retriable for the producer.
     */
    private static CompletableFuture<Void> awaitReplication(
            LeaderLookup target, AppendResult result, int timeoutMs, PartitionProduceResponse response) {
        CompletableFuture<Errors> replicated = target.partition().awaitReplication(result.lastOffset() + 1);
        if (!replicated.isDone()) { // an ISR of one (or a retried duplicate) is done at once, without a timer
            replicated = replicated.completeOnTimeout(
                    Errors.REQUEST_TIMED_OUT, Math.max(0, timeoutMs), TimeUnit.MILLISECONDS);
        }
        return replicated.thenAccept(error -> {
            if (error != Errors.NONE) {
                response.setErrorCode(error.code())
                        .setErrorMessage(error.message() + " (" + target.log().topicPartition() + ", ISR "
                                + target.partition().isr() + ")");
            }
        });
    }

    /**
     * Appends to a partition this broker leads: min.insync.replicas for acks=all, batch validation,
     * idempotence checks, and the high watermark where the ISR allows. Also used by the connector
     * runtime's source tasks, which write to local leaders directly.
     */
    public static AppendResult appendAsLeader(LeaderLookup target, MemoryRecords records, short acks, long now) {
        return target.partition().appendRecordsToLeader(records, acks, now);
    }
}
