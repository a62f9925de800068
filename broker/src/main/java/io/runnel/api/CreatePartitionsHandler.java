package io.runnel.api;

import io.runnel.cluster.TopicManager;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.CreatePartitionsRequestData;
import org.apache.kafka.common.message.CreatePartitionsRequestData.CreatePartitionsAssignment;
import org.apache.kafka.common.message.CreatePartitionsRequestData.CreatePartitionsTopic;
import org.apache.kafka.common.message.CreatePartitionsResponseData;
import org.apache.kafka.common.message.CreatePartitionsResponseData.CreatePartitionsTopicResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.requests.ApiError;

/** CreatePartitions: grows topics, also validate-only. */
@ApplicationScoped
public class CreatePartitionsHandler implements ApiHandler<CreatePartitionsRequestData> {

    @Inject
    TopicManager topicManager;

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.CREATE_PARTITIONS;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, CreatePartitionsRequestData request) {
        List<CompletableFuture<CreatePartitionsTopicResult>> results = new ArrayList<>();
        for (CreatePartitionsTopic topic : request.topics()) {
            List<List<Integer>> assignments = topic.assignments() == null
                    ? null
                    : topic.assignments().stream()
                            .map(CreatePartitionsAssignment::brokerIds)
                            .toList();
            results.add(topicManager
                    .createPartitions(topic.name(), topic.count(), assignments, request.validateOnly())
                    .thenApply(grown -> new CreatePartitionsTopicResult().setName(topic.name()))
                    .exceptionally(e -> {
                        ApiError error = ApiError.fromThrowable(CreateTopicsHandler.unwrap(e));
                        return new CreatePartitionsTopicResult()
                                .setName(topic.name())
                                .setErrorCode(error.error().code())
                                .setErrorMessage(error.message());
                    }));
        }
        return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
                .thenApply(v -> {
                    CreatePartitionsResponseData response = new CreatePartitionsResponseData();
                    results.forEach(r -> response.results().add(r.join()));
                    return response;
                });
    }
}
