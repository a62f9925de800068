package io.runnel.api;

import io.runnel.cluster.TopicImage;
import io.runnel.cluster.TopicManager;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableReplicaAssignment;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableTopic;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableTopicConfig;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.CreateTopicsResponseData.CreatableTopicConfigs;
import org.apache.kafka.common.message.CreateTopicsResponseData.CreatableTopicResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiError;

/** CreateTopics, also validate-only; one result per topic with Kafka's error codes and messages. */
@ApplicationScoped
public class CreateTopicsHandler implements ApiHandler<CreateTopicsRequestData> {

    @Inject
    TopicManager topicManager;

    @Inject
    ConfigDescriber describer;

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.CREATE_TOPICS;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, CreateTopicsRequestData request) {
        Set<String> seen = new HashSet<>();
        Set<String> duplicates = new HashSet<>();
        for (CreatableTopic topic : request.topics()) {
            if (!seen.add(topic.name())) {
                duplicates.add(topic.name());
            }
        }
        List<CompletableFuture<CreatableTopicResult>> results = new ArrayList<>();
        for (CreatableTopic topic : request.topics()) {
            if (duplicates.contains(topic.name())) {
                if (seen.remove(topic.name())) { // answer a duplicated name once
                    results.add(CompletableFuture.completedFuture(
                            error(topic.name(), new ApiError(Errors.INVALID_REQUEST, "Duplicate topic name."))));
                }
                continue;
            }
            results.add(create(topic, request.validateOnly(), context.apiVersion()));
        }
        return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
                .thenApply(v -> {
                    CreateTopicsResponseData response = new CreateTopicsResponseData();
                    results.forEach(r -> response.topics().add(r.join()));
                    return response;
                });
    }

    private CompletableFuture<CreatableTopicResult> create(CreatableTopic topic, boolean validateOnly, short version) {
        TopicManager.NewTopic newTopic;
        try {
            newTopic = new TopicManager.NewTopic(
                    topic.name(), topic.numPartitions(), topic.replicationFactor(), assignments(topic), configs(topic));
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(error(topic.name(), ApiError.fromThrowable(e)));
        }
        return topicManager
                .createTopic(newTopic, validateOnly)
                .thenApply(created -> success(created, version))
                .exceptionally(e -> error(topic.name(), ApiError.fromThrowable(unwrap(e))));
    }

    private CreatableTopicResult success(TopicImage topic, short version) {
        CreatableTopicResult result = new CreatableTopicResult()
                .setName(topic.name())
                .setTopicId(topic.topicId())
                .setNumPartitions(topic.partitions().size())
                .setReplicationFactor(
                        (short) topic.partitions().getFirst().replicas().size());
        if (version >= 5) {
            List<CreatableTopicConfigs> configs = new ArrayList<>();
            for (ConfigDescriber.DescribedConfig config : describer.topic(topic)) {
                configs.add(new CreatableTopicConfigs()
                        .setName(config.name())
                        .setValue(config.value())
                        .setReadOnly(config.readOnly())
                        .setConfigSource(config.source().id())
                        .setIsSensitive(false));
            }
            result.setConfigs(configs);
        }
        return result;
    }

    private static CreatableTopicResult error(String name, ApiError error) {
        return new CreatableTopicResult()
                .setName(name)
                .setErrorCode(error.error().code())
                .setErrorMessage(error.message())
                .setNumPartitions(-1)
                .setReplicationFactor((short) -1);
    }

    private static Map<Integer, List<Integer>> assignments(CreatableTopic topic) {
        Map<Integer, List<Integer>> assignments = new HashMap<>();
        for (CreatableReplicaAssignment assignment : topic.assignments()) {
            if (assignments.put(assignment.partitionIndex(), assignment.brokerIds()) != null) {
                throw new InvalidRequestException("Duplicate partition " + assignment.partitionIndex()
                        + " in the replica assignment of topic " + topic.name());
            }
        }
        return assignments;
    }

    private static Map<String, String> configs(CreatableTopic topic) {
        Map<String, String> configs = new HashMap<>();
        for (CreatableTopicConfig config : topic.configs()) {
            configs.put(config.name(), config.value());
        }
        return configs;
    }

    static Throwable unwrap(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }
}
