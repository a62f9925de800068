package io.runnel.api;

import io.runnel.cluster.MetadataCache;
import io.runnel.cluster.MetadataImage;
import io.runnel.cluster.TopicImage;
import io.runnel.group.GroupCoordinator;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponseGroup;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponsePartition;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponsePartitions;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponseTopic;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponseTopics;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

/**
 * OffsetFetch: committed offsets of one group (v1-7) or several (v8+), for the asked partitions or
 * all the group has; -1 where nothing is committed. Served from memory, never from PostgreSQL:
 * NOT_COORDINATOR for a group of a slot this broker does not hold, COORDINATOR_LOAD_IN_PROGRESS while
 * it loads the slot.
 */
@ApplicationScoped
public class OffsetFetchHandler implements ApiHandler<OffsetFetchRequestData> {

    @Inject
    GroupCoordinator coordinator;

    @Inject
    MetadataCache metadata;

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.OFFSET_FETCH;
    }

    /** One partition's answer, in a form both response layouts are built from. */
    private record Answer(
            String topic, Uuid topicId, int partition, long offset, int epoch, String meta, Errors error) {}

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, OffsetFetchRequestData request) {
        OffsetFetchResponseData response = new OffsetFetchResponseData();
        MetadataImage image = metadata.image();
        if (context.apiVersion() < 8) {
            Errors groupError = coordinator.coordinatorError(request.groupId());
            List<Request> asked = request.topics() == null
                    ? null
                    : request.topics().stream()
                            .map(t -> new Request(t.name(), Uuid.ZERO_UUID, t.partitionIndexes()))
                            .toList();
            Map<String, OffsetFetchResponseTopic> topics = new LinkedHashMap<>();
            if (groupError == Errors.NONE) {
                for (Answer a : answers(request.groupId(), asked, image, false)) {
                    topics.computeIfAbsent(a.topic(), n -> new OffsetFetchResponseTopic().setName(n))
                            .partitions()
                            .add(new OffsetFetchResponsePartition()
                                    .setPartitionIndex(a.partition())
                                    .setCommittedOffset(a.offset())
                                    .setCommittedLeaderEpoch(a.epoch())
                                    .setMetadata(a.meta())
                                    .setErrorCode(a.error().code()));
                }
            }
            response.setTopics(new ArrayList<>(topics.values())).setErrorCode(groupError.code());
            return CompletableFuture.completedFuture(response);
        }
        boolean byId = context.apiVersion() >= 10;
        for (OffsetFetchRequestData.OffsetFetchRequestGroup group : request.groups()) {
            OffsetFetchResponseGroup groupResponse = new OffsetFetchResponseGroup().setGroupId(group.groupId());
            response.groups().add(groupResponse);
            Errors groupError = coordinator.coordinatorError(group.groupId());
            if (groupError != Errors.NONE) {
                groupResponse.setErrorCode(groupError.code());
                continue;
            }
            List<Request> asked = group.topics() == null
                    ? null
                    : group.topics().stream()
                            .map(t -> new Request(t.name(), t.topicId(), t.partitionIndexes()))
                            .toList();
            Map<String, OffsetFetchResponseTopics> topics = new LinkedHashMap<>();
            for (Answer a : answers(group.groupId(), asked, image, byId)) {
                topics.computeIfAbsent(
                                a.topic(),
                                n -> new OffsetFetchResponseTopics()
                                        .setName(byId ? "" : n)
                                        .setTopicId(a.topicId()))
                        .partitions()
                        .add(new OffsetFetchResponsePartitions()
                                .setPartitionIndex(a.partition())
                                .setCommittedOffset(a.offset())
                                .setCommittedLeaderEpoch(a.epoch())
                                .setMetadata(a.meta())
                                .setErrorCode(a.error().code()));
            }
            groupResponse.setTopics(new ArrayList<>(topics.values()));
        }
        return CompletableFuture.completedFuture(response);
    }

    private record Request(String name, Uuid topicId, List<Integer> partitions) {}

    private List<Answer> answers(String groupId, List<Request> asked, MetadataImage image, boolean byId) {
        Map<TopicPartition, io.runnel.group.OffsetStore.Committed> committed = coordinator.committedOffsets(groupId);
        List<Answer> answers = new ArrayList<>();
        if (asked == null) {
            committed.forEach((tp, c) -> {
                TopicImage topic = image.topic(tp.topic());
                if (!byId || topic != null) {
                    answers.add(new Answer(
                            tp.topic(),
                            topic == null ? Uuid.ZERO_UUID : topic.topicId(),
                            tp.partition(),
                            c.offset(),
                            c.leaderEpoch(),
                            c.metadata(),
                            Errors.NONE));
                }
            });
            return answers;
        }
        for (Request r : asked) {
            TopicImage topic = byId ? image.topic(r.topicId()) : image.topic(r.name());
            String name = byId ? (topic == null ? r.topicId().toString() : topic.name()) : r.name();
            Uuid id = topic == null ? r.topicId() : topic.topicId();
            for (int partition : r.partitions()) {
                if (byId && topic == null) {
                    answers.add(new Answer(name, id, partition, -1, -1, "", Errors.UNKNOWN_TOPIC_ID));
                    continue;
                }
                io.runnel.group.OffsetStore.Committed c = committed.get(new TopicPartition(name, partition));
                answers.add(
                        c == null
                                ? new Answer(name, id, partition, -1, -1, "", Errors.NONE)
                                : new Answer(
                                        name, id, partition, c.offset(), c.leaderEpoch(), c.metadata(), Errors.NONE));
            }
        }
        return answers;
    }
}
