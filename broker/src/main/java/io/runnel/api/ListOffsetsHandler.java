package io.runnel.api;

import io.runnel.cluster.MetadataCache;
import io.runnel.cluster.MetadataImage;
import io.runnel.config.RunnelConfig;
import io.runnel.log.LogManager;
import io.runnel.log.PartitionLog;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsPartitionResponse;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsTopicResponse;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.FileRecords.TimestampAndOffset;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.requests.ListOffsetsRequest;

/**
 * ListOffsets: earliest (the log start offset), latest (the high watermark), the record with the
 * largest timestamp, and the first offset at or after a timestamp (through the time indexes). There
 * is no tiered storage: earliest-local is the log start offset and latest-tiered is -1, as Kafka
 * answers without remote storage. Timestamp lookups read segment files, so they run off the event
 * loop.
 */
@ApplicationScoped
public class ListOffsetsHandler implements ApiHandler<ListOffsetsRequestData> {

    @Inject
    MetadataCache metadata;

    @Inject
    LogManager logs;

    @Inject
    RunnelConfig config;

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.LIST_OFFSETS;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ListOffsetsRequestData request) {
        boolean readsFiles = request.topics().stream()
                .flatMap(t -> t.partitions().stream())
                .anyMatch(p -> p.timestamp() >= 0 || p.timestamp() == ListOffsetsRequest.MAX_TIMESTAMP);
        if (readsFiles) {
            return logs.runOffEventLoop(() -> answer(request));
        }
        return CompletableFuture.completedFuture(answer(request));
    }

    private ApiMessage answer(ListOffsetsRequestData request) {
        MetadataImage image = metadata.image();
        ListOffsetsResponseData response = new ListOffsetsResponseData();
        for (ListOffsetsRequestData.ListOffsetsTopic topicRequest : request.topics()) {
            ListOffsetsTopicResponse topicResponse = new ListOffsetsTopicResponse().setName(topicRequest.name());
            response.topics().add(topicResponse);
            for (ListOffsetsRequestData.ListOffsetsPartition partitionRequest : topicRequest.partitions()) {
                ListOffsetsPartitionResponse partitionResponse = new ListOffsetsPartitionResponse()
                        .setPartitionIndex(partitionRequest.partitionIndex())
                        .setTimestamp(RecordBatch.NO_TIMESTAMP)
                        .setOffset(-1)
                        .setLeaderEpoch(-1);
                topicResponse.partitions().add(partitionResponse);
                LeaderLookup target = LeaderLookup.of(
                        image.topic(topicRequest.name()),
                        partitionRequest.partitionIndex(),
                        config.nodeId(),
                        logs,
                        Errors.UNKNOWN_TOPIC_OR_PARTITION);
                Errors error = target.error() == Errors.NONE
                        ? target.checkLeaderEpoch(partitionRequest.currentLeaderEpoch())
                        : target.error();
                if (error != Errors.NONE) {
                    partitionResponse.setErrorCode(error.code());
                    continue;
                }
                TimestampAndOffset found = lookup(target.log(), partitionRequest.timestamp());
                if (found != null) {
                    partitionResponse
                            .setTimestamp(found.timestamp)
                            .setOffset(found.offset)
                            .setLeaderEpoch(
                                    found.leaderEpoch.orElse(target.state().leaderEpoch()));
                }
            }
        }
        return response;
    }

    private static TimestampAndOffset lookup(PartitionLog log, long timestamp) {
        java.util.Optional<Integer> noEpoch = java.util.Optional.empty();
        if (timestamp == ListOffsetsRequest.LATEST_TIMESTAMP) {
            return new TimestampAndOffset(RecordBatch.NO_TIMESTAMP, log.highWatermark(), noEpoch);
        }
        if (timestamp == ListOffsetsRequest.EARLIEST_TIMESTAMP
                || timestamp == ListOffsetsRequest.EARLIEST_LOCAL_TIMESTAMP) {
            return new TimestampAndOffset(RecordBatch.NO_TIMESTAMP, log.logStartOffset(), noEpoch);
        }
        if (timestamp == ListOffsetsRequest.MAX_TIMESTAMP) {
            return log.maxTimestampAndOffset();
        }
        if (timestamp < 0) {
            return null; // latest-tiered and anything newer: no remote storage here
        }
        return log.offsetForTimestamp(timestamp);
    }
}
