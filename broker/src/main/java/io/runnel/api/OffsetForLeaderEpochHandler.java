package io.runnel.api;

import io.runnel.cluster.MetadataCache;
import io.runnel.cluster.MetadataImage;
import io.runnel.config.RunnelConfig;
import io.runnel.log.LogManager;
import io.runnel.log.OffsetAndEpoch;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderPartition;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderTopic;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.EpochEndOffset;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.OffsetForLeaderTopicResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

/**
 * OffsetForLeaderEpoch (KIP-101): for each partition, where a leader epoch ended in the leader's
 * log, from its leader epoch history: the largest epoch at or below the requested one and the
 * offset where it ended (KIP-279). Followers find where their log diverged from the leader's;
 * consumers check their position after a leader change (KIP-320) and see truncation when the
 * epoch ended before it.
 *
 * <p>As in Kafka ({@code Partition.lastOffsetForLeaderEpoch}): only the leader answers, so
 * another broker says NOT_LEADER_OR_FOLLOWER and an unknown partition UNKNOWN_TOPIC_OR_PARTITION;
 * a {@code CurrentLeaderEpoch} older than the leader's gets FENCED_LEADER_EPOCH and a newer one
 * UNKNOWN_LEADER_EPOCH (-1 skips the check); an epoch the log does not know gets epoch and end
 * offset -1 with no error. {@code ReplicaId} (v3+; -1 for consumers) changes nothing: followers and
 * consumers get the same answer. Versions 2-4, those kafka-clients still defines. Answered on the
 * event loop: the history is in memory.
 */
@ApplicationScoped
public class OffsetForLeaderEpochHandler implements ApiHandler<OffsetForLeaderEpochRequestData> {

    @Inject
    MetadataCache metadata;

    @Inject
    LogManager logs;

    @Inject
    RunnelConfig config;

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.OFFSET_FOR_LEADER_EPOCH;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, OffsetForLeaderEpochRequestData request) {
        MetadataImage image = metadata.image();
        OffsetForLeaderEpochResponseData response = new OffsetForLeaderEpochResponseData();
        for (OffsetForLeaderTopic topicRequest : request.topics()) {
            OffsetForLeaderTopicResult topicResult = new OffsetForLeaderTopicResult().setTopic(topicRequest.topic());
            response.topics().add(topicResult);
            for (OffsetForLeaderPartition partitionRequest : topicRequest.partitions()) {
                topicResult.partitions().add(answer(image, topicRequest.topic(), partitionRequest));
            }
        }
        return CompletableFuture.completedFuture(response);
    }

    private EpochEndOffset answer(MetadataImage image, String topic, OffsetForLeaderPartition request) {
        EpochEndOffset answer = new EpochEndOffset()
                .setPartition(request.partition())
                .setLeaderEpoch(OffsetAndEpoch.UNDEFINED.leaderEpoch())
                .setEndOffset(OffsetAndEpoch.UNDEFINED.offset());
        LeaderLookup target = LeaderLookup.of(
                image.topic(topic), request.partition(), config.nodeId(), logs, Errors.UNKNOWN_TOPIC_OR_PARTITION);
        Errors error =
                target.error() == Errors.NONE ? target.checkLeaderEpoch(request.currentLeaderEpoch()) : target.error();
        if (error != Errors.NONE) {
            return answer.setErrorCode(error.code());
        }
        OffsetAndEpoch end = target.log().endOffsetForEpoch(request.leaderEpoch());
        return answer.setLeaderEpoch(end.leaderEpoch()).setEndOffset(end.offset());
    }
}
