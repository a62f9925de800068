package io.runnel.api;

import io.runnel.cluster.MetadataCache;
import io.runnel.cluster.MetadataImage;
import io.runnel.config.RunnelConfig;
import io.runnel.log.LogManager;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.message.DeleteRecordsRequestData;
import org.apache.kafka.common.message.DeleteRecordsResponseData;
import org.apache.kafka.common.message.DeleteRecordsResponseData.DeleteRecordsPartitionResult;
import org.apache.kafka.common.message.DeleteRecordsResponseData.DeleteRecordsTopicResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

/**
 * DeleteRecords: moves each partition's log start offset up to the given offset (-1: the high
 * watermark) and removes the segments wholly below it. Answers with the new low watermark, or
 * OFFSET_OUT_OF_RANGE for an offset beyond the high watermark. Runs off the event loop, as it renames
 * files.
 */
@ApplicationScoped
public class DeleteRecordsHandler implements ApiHandler<DeleteRecordsRequestData> {

    @Inject
    MetadataCache metadata;

    @Inject
    LogManager logs;

    @Inject
    RunnelConfig config;

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.DELETE_RECORDS;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, DeleteRecordsRequestData request) {
        return logs.runOffEventLoop(() -> delete(request));
    }

    private ApiMessage delete(DeleteRecordsRequestData request) {
        MetadataImage image = metadata.image();
        DeleteRecordsResponseData response = new DeleteRecordsResponseData();
        long now = System.currentTimeMillis();
        for (DeleteRecordsRequestData.DeleteRecordsTopic topicRequest : request.topics()) {
            DeleteRecordsTopicResult topicResult = new DeleteRecordsTopicResult().setName(topicRequest.name());
            response.topics().add(topicResult);
            for (DeleteRecordsRequestData.DeleteRecordsPartition partitionRequest : topicRequest.partitions()) {
                DeleteRecordsPartitionResult result = new DeleteRecordsPartitionResult()
                        .setPartitionIndex(partitionRequest.partitionIndex())
                        .setLowWatermark(-1);
                topicResult.partitions().add(result);
                LeaderLookup target = LeaderLookup.of(
                        image.topic(topicRequest.name()),
                        partitionRequest.partitionIndex(),
                        config.nodeId(),
                        logs,
                        Errors.UNKNOWN_TOPIC_OR_PARTITION);
                if (target.error() != Errors.NONE) {
                    result.setErrorCode(target.error().code());
                    continue;
                }
                if (target.log().config().compact() && !target.log().config().delete()) {
                    result.setErrorCode(Errors.POLICY_VIOLATION.code());
                    continue;
                }
                try {
                    result.setLowWatermark(target.log().deleteRecordsBefore(partitionRequest.offset(), now));
                } catch (ApiException e) {
                    result.setErrorCode(Errors.forException(e).code());
                }
            }
        }
        return response;
    }
}
