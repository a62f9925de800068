package io.runnel.api;

import io.runnel.cluster.MetadataCache;
import io.runnel.cluster.MetadataImage;
import io.runnel.config.RunnelConfig;
import io.runnel.log.FetchIsolation;
import io.runnel.log.LogManager;
import io.runnel.log.PartitionLog;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Optional;
import java.util.OptionalInt;
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
 * ListOffsets: earliest (the log start offset), latest (the high watermark for consumers, the log
 * end offset for replicas), the record with the largest timestamp, and the first offset at or after
 * a timestamp (through the time indexes). There is no tiered storage: earliest-local is the log
 * start offset and latest-tiered is -1, as Kafka answers without remote storage. Timestamp lookups
 * read segment files, so they run off the event loop.
 *
 * <p>Leader epochs (v4+) come from the log's epoch history: the epoch of the batch holding the
 * offset, or the latest epoch for latest, so a consumer that validates its position with
 * OffsetForLeaderEpoch asks about an epoch the history knows (KIP-320).
 *
 * <p>KIP-207 ({@code Partition.fetchOffsetForTimestamp}): while a new leader's high watermark is
 * below the start offset of its leader epoch, it cannot tell consumers (replica id -1, either
 * isolation level) where the committed end is, so latest, and any lookup that finds nothing or
 * finds an offset at or past the high watermark, answer OFFSET_NOT_AVAILABLE (LEADER_NOT_AVAILABLE
 * before v5). "Latest" so never goes back across a leader change. Otherwise an offset found at or
 * past the high watermark is not answered (-1), as Kafka.
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
            return logs.runOffEventLoop(() -> answer(context.apiVersion(), request));
        }
        return CompletableFuture.completedFuture(answer(context.apiVersion(), request));
    }

    private ApiMessage answer(short version, ListOffsetsRequestData request) {
        MetadataImage image = metadata.image();
        boolean fromConsumer = request.replicaId() == ListOffsetsRequest.CONSUMER_REPLICA_ID;
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
                answer(target, partitionRequest.timestamp(), fromConsumer, version, partitionResponse);
            }
        }
        return response;
    }

    private static void answer(
            LeaderLookup target,
            long timestamp,
            boolean fromConsumer,
            short version,
            ListOffsetsPartitionResponse response) {
        PartitionLog log = target.log();
        long highWatermark = log.highWatermark();
        long lastFetchable = fromConsumer ? highWatermark : log.logEndOffset();
        boolean highWatermarkBehindEpochStart = fromConsumer
                && log.epochStartOffset(target.state().leaderEpoch()).orElse(-1) > highWatermark;
        Errors notAvailable = version >= 5 ? Errors.OFFSET_NOT_AVAILABLE : Errors.LEADER_NOT_AVAILABLE;
        TimestampAndOffset found;
        if (timestamp == ListOffsetsRequest.LATEST_TIMESTAMP) {
            if (highWatermarkBehindEpochStart) {
                response.setErrorCode(notAvailable.code());
                return;
            }
            found = new TimestampAndOffset(RecordBatch.NO_TIMESTAMP, lastFetchable, epochOf(log.latestEpoch()));
        } else if (timestamp == ListOffsetsRequest.EARLIEST_TIMESTAMP
                || timestamp == ListOffsetsRequest.EARLIEST_LOCAL_TIMESTAMP) {
            long start = log.logStartOffset();
            found = new TimestampAndOffset(RecordBatch.NO_TIMESTAMP, start, epochOf(log.epochForOffset(start)));
        } else if (timestamp == ListOffsetsRequest.MAX_TIMESTAMP || timestamp >= 0) {
            found = timestamp == ListOffsetsRequest.MAX_TIMESTAMP
                    ? log.maxTimestampAndOffset()
                    : log.offsetForTimestamp(
                            timestamp, fromConsumer ? FetchIsolation.HIGH_WATERMARK : FetchIsolation.LOG_END);
            if (found == null || found.offset >= lastFetchable) {
                if (highWatermarkBehindEpochStart) {
                    response.setErrorCode(notAvailable.code());
                }
                return;
            }
        } else {
            return; // latest-tiered and anything newer: no remote storage here
        }
        response.setTimestamp(found.timestamp).setOffset(found.offset);
        if (version >= 4) {
            Optional<Integer> epoch =
                    found.leaderEpoch.isPresent() ? found.leaderEpoch : epochOf(log.epochForOffset(found.offset));
            response.setLeaderEpoch(epoch.orElse(RecordBatch.NO_PARTITION_LEADER_EPOCH));
        }
    }

    private static Optional<Integer> epochOf(OptionalInt epoch) {
        return epoch.isPresent() ? Optional.of(epoch.getAsInt()) : Optional.empty();
    }
}
