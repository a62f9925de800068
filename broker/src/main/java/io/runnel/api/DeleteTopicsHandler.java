package io.runnel.api;

import io.runnel.cluster.TopicManager;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.DeleteTopicsRequestData;
import org.apache.kafka.common.message.DeleteTopicsRequestData.DeleteTopicState;
import org.apache.kafka.common.message.DeleteTopicsResponseData;
import org.apache.kafka.common.message.DeleteTopicsResponseData.DeletableTopicResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiError;

/** DeleteTopics, by name (all versions) or by topic id (v6+). */
@ApplicationScoped
public class DeleteTopicsHandler implements ApiHandler<DeleteTopicsRequestData> {

    @Inject
    TopicManager topicManager;

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.DELETE_TOPICS;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, DeleteTopicsRequestData request) {
        List<DeleteTopicState> topics = new ArrayList<>(request.topics());
        for (String name : request.topicNames()) {
            topics.add(new DeleteTopicState().setName(name).setTopicId(Uuid.ZERO_UUID));
        }
        List<CompletableFuture<DeletableTopicResult>> results = new ArrayList<>();
        for (DeleteTopicState topic : topics) {
            Optional<String> name = Optional.ofNullable(topic.name());
            Optional<Uuid> id = Optional.ofNullable(topic.topicId()).filter(i -> !Uuid.ZERO_UUID.equals(i));
            results.add(topicManager
                    .deleteTopic(name, id)
                    .thenApply(deleted -> new DeletableTopicResult()
                            .setName(deleted.name())
                            .setTopicId(deleted.topicId())
                            .setErrorCode(Errors.NONE.code()))
                    .exceptionally(e -> {
                        ApiError error = ApiError.fromThrowable(CreateTopicsHandler.unwrap(e));
                        return new DeletableTopicResult()
                                .setName(topic.name())
                                .setTopicId(id.orElse(Uuid.ZERO_UUID))
                                .setErrorCode(error.error().code())
                                .setErrorMessage(error.message());
                    }));
        }
        return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
                .thenApply(v -> {
                    DeleteTopicsResponseData response = new DeleteTopicsResponseData();
                    results.forEach(r -> response.responses().add(r.join()));
                    return response;
                });
    }
}
