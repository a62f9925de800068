package io.runnel.api;

import io.runnel.cluster.TopicImage;
import io.runnel.cluster.TopicManager;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiError;

/** What AlterConfigs and IncrementalAlterConfigs share: resource checks and the write of a topic's new overrides. */
@ApplicationScoped
public class TopicConfigAlterer {

    @Inject
    TopicManager topicManager;

    /**
     * Computes a topic's new overrides from its current ones and stores them.
     *
     * @return the outcome for this resource; never fails
     */
    CompletableFuture<ApiError> alter(
            byte resourceType,
            String resourceName,
            UnaryOperator<Map<String, String>> change,
            boolean validateOnly,
            java.util.function.Function<String, TopicImage> currentTopic) {
        ConfigResource.Type type = ConfigResource.Type.forId(resourceType);
        if (type == ConfigResource.Type.BROKER) {
            return CompletableFuture.completedFuture(
                    new ApiError(
                            Errors.INVALID_REQUEST,
                            "Runnel takes broker configs at start-up (runnel.* settings); they cannot be altered at run time."));
        }
        if (type != ConfigResource.Type.TOPIC) {
            return CompletableFuture.completedFuture(new ApiError(
                    Errors.INVALID_REQUEST, "Runnel does not alter configs of resource type " + type + "."));
        }
        if (!Topic.isValid(resourceName)) {
            return CompletableFuture.completedFuture(
                    new ApiError(Errors.INVALID_TOPIC_EXCEPTION, "Topic name '" + resourceName + "' is illegal."));
        }
        TopicImage topic = currentTopic.apply(resourceName);
        if (topic == null) {
            return CompletableFuture.completedFuture(ApiError.fromThrowable(
                    new UnknownTopicOrPartitionException("The topic '" + resourceName + "' does not exist.")));
        }
        Map<String, String> updated;
        try {
            updated = change.apply(topic.configs());
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(ApiError.fromThrowable(e));
        }
        return topicManager
                .replaceConfigs(resourceName, updated, validateOnly)
                .thenApply(changed -> ApiError.NONE)
                .exceptionally(e -> ApiError.fromThrowable(CreateTopicsHandler.unwrap(e)));
    }

    static InvalidRequestException duplicate(String name) {
        return new InvalidRequestException("Error due to duplicate config keys: " + name);
    }
}
