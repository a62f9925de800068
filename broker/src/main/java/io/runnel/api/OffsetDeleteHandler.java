package io.runnel.api;

import io.runnel.group.GroupCoordinator;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.OffsetDeleteResponseData;
import org.apache.kafka.common.message.OffsetDeleteResponseData.OffsetDeleteResponsePartition;
import org.apache.kafka.common.message.OffsetDeleteResponseData.OffsetDeleteResponseTopic;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

/** OffsetDelete: removes a group's committed offsets for partitions of topics it does not subscribe to. */
@ApplicationScoped
public class OffsetDeleteHandler implements ApiHandler<OffsetDeleteRequestData> {

    @Inject
    GroupCoordinator coordinator;

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.OFFSET_DELETE;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, OffsetDeleteRequestData request) {
        List<TopicPartition> partitions = new ArrayList<>();
        request.topics()
                .forEach(t ->
                        t.partitions().forEach(p -> partitions.add(new TopicPartition(t.name(), p.partitionIndex()))));
        return coordinator.deleteOffsets(request.groupId(), partitions).thenApply(result -> {
            OffsetDeleteResponseData response =
                    new OffsetDeleteResponseData().setErrorCode(result.getKey().code());
            if (result.getKey() != Errors.NONE) {
                return response;
            }
            for (int i = 0; i < partitions.size(); i++) {
                TopicPartition tp = partitions.get(i);
                OffsetDeleteResponseTopic topic = response.topics().find(tp.topic());
                if (topic == null) {
                    topic = new OffsetDeleteResponseTopic().setName(tp.topic());
                    response.topics().add(topic);
                }
                topic.partitions()
                        .add(new OffsetDeleteResponsePartition()
                                .setPartitionIndex(tp.partition())
                                .setErrorCode(result.getValue().get(i).code()));
            }
            return response;
        });
    }
}
