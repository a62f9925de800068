package io.runnel.api;

import io.runnel.cluster.MetadataCache;
import io.runnel.cluster.MetadataImage;
import io.runnel.cluster.TopicImage;
import io.runnel.config.RunnelConfig;
import io.runnel.log.AppendResult;
import io.runnel.log.BatchValidator;
import io.runnel.log.LogManager;
import io.runnel.log.PartitionLog;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
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
 * response; acks=1 and acks=all are answered once the append is done (and, with
 * {@code flush.messages} due, once it is flushed). With one replica, the leader is the whole ISR;
 * acks=all still refuses to append when the ISR is below {@code min.insync.replicas}.
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
                        logs,
                        byId ? Errors.UNKNOWN_TOPIC_ID : Errors.UNKNOWN_TOPIC_OR_PARTITION);
                if (target.error() != Errors.NONE) {
                    partitionResponse.setErrorCode(target.error().code());
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

    /**
     * Appends to a partition this broker leads: min.insync.replicas for acks=all, batch validation,
     * idempotence checks, and the high watermark where there are no followers. Also used by the
     * connector runtime's source tasks, which write to local leaders directly.
     */
    public static AppendResult appendAsLeader(LeaderLookup target, MemoryRecords records, short acks, long now) {
        PartitionLog log = target.log();
        if (acks == -1 && target.state().isr().size() < log.config().minInsyncReplicas) {
            throw new NotEnoughReplicasException("The in-sync replicas of " + log.topicPartition() + " ("
                    + target.state().isr() + ") are fewer than min.insync.replicas ("
                    + log.config().minInsyncReplicas + ")");
        }
        BatchValidator.Validated validated = BatchValidator.validate(records, log.config(), now);
        AppendResult result = log.appendAsLeader(validated, target.state().leaderEpoch(), now);
        if (target.state().replicas().size() == 1) {
            log.updateHighWatermarkToLogEnd();
        }
        return result;
    }
}
