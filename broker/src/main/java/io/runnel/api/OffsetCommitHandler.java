package io.runnel.api;

import io.runnel.cluster.MetadataCache;
import io.runnel.cluster.MetadataImage;
import io.runnel.cluster.TopicImage;
import io.runnel.group.GroupCoordinator;
import io.runnel.group.GroupCoordinator.OffsetToCommit;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetCommitResponseData.OffsetCommitResponsePartition;
import org.apache.kafka.common.message.OffsetCommitResponseData.OffsetCommitResponseTopic;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

/**
 * OffsetCommit: from group members (validated against generation and membership) or, with
 * generation -1, from consumers that assign partitions themselves. Answered once the offsets are
 * stored in PostgreSQL. Topics are named, or identified by id from v10.
 */
@ApplicationScoped
public class OffsetCommitHandler implements ApiHandler<OffsetCommitRequestData> {

    @Inject
    GroupCoordinator coordinator;

    @Inject
    MetadataCache metadata;

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.OFFSET_COMMIT;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, OffsetCommitRequestData request) {
        boolean byId = context.apiVersion() >= 10;
        MetadataImage image = metadata.image();
        OffsetCommitResponseData response = new OffsetCommitResponseData();
        List<OffsetCommitResponsePartition> pending = new ArrayList<>();
        List<OffsetToCommit> commits = new ArrayList<>();
        for (OffsetCommitRequestData.OffsetCommitRequestTopic topic : request.topics()) {
            OffsetCommitResponseTopic topicResponse =
                    new OffsetCommitResponseTopic().setName(topic.name()).setTopicId(topic.topicId());
            response.topics().add(topicResponse);
            TopicImage known = byId ? image.topic(topic.topicId()) : null;
            String name = byId ? (known == null ? null : known.name()) : topic.name();
            for (OffsetCommitRequestData.OffsetCommitRequestPartition partition : topic.partitions()) {
                OffsetCommitResponsePartition partitionResponse =
                        new OffsetCommitResponsePartition().setPartitionIndex(partition.partitionIndex());
                topicResponse.partitions().add(partitionResponse);
                if (name == null) {
                    partitionResponse.setErrorCode(Errors.UNKNOWN_TOPIC_ID.code());
                } else {
                    pending.add(partitionResponse);
                    commits.add(new OffsetToCommit(
                            name,
                            partition.partitionIndex(),
                            partition.committedOffset(),
                            partition.committedLeaderEpoch(),
                            partition.committedMetadata()));
                }
            }
        }
        if (commits.isEmpty()) {
            return CompletableFuture.completedFuture(response);
        }
        return coordinator
                .commitOffsets(
                        request.groupId(),
                        request.generationIdOrMemberEpoch(),
                        request.memberId(),
                        request.groupInstanceId(),
                        commits)
                .thenApply(errors -> {
                    for (int i = 0; i < pending.size(); i++) {
                        pending.get(i).setErrorCode(errors.get(i).code());
                    }
                    return response;
                });
    }
}
