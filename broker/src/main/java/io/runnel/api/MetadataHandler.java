package io.runnel.api;

import io.runnel.cluster.BrokerImage;
import io.runnel.cluster.MetadataCache;
import io.runnel.cluster.MetadataImage;
import io.runnel.cluster.PartitionState;
import io.runnel.cluster.TopicImage;
import io.runnel.cluster.TopicManager;
import io.runnel.config.RunnelConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataRequestData.MetadataRequestTopic;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseBroker;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponsePartition;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseTopic;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

/**
 * Metadata: brokers (as reachable through the listener the client used), the cluster id and
 * controller, and the requested topics with their partitions. Unknown topics are created when the
 * client allows it and {@code runnel.auto-create-topics} is on.
 */
@ApplicationScoped
public class MetadataHandler implements ApiHandler<MetadataRequestData> {

    @Inject
    MetadataCache cache;

    @Inject
    TopicManager topicManager;

    @Inject
    RunnelConfig config;

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.METADATA;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, MetadataRequestData request) {
        short version = context.apiVersion();
        boolean allTopics =
                request.topics() == null || (version == 0 && request.topics().isEmpty());
        if (allTopics) {
            return CompletableFuture.completedFuture(respond(context, request, cache.image(), null));
        }
        boolean autoCreate = config.autoCreateTopics() && (version < 4 || request.allowAutoTopicCreation());
        MetadataImage image = cache.image();
        List<CompletableFuture<?>> creations = new ArrayList<>();
        for (MetadataRequestTopic topic : request.topics()) {
            String name = topic.name();
            boolean byId = topic.topicId() != null && !Uuid.ZERO_UUID.equals(topic.topicId());
            if (!byId && name != null && image.topic(name) == null && autoCreate && Topic.isValid(name)) {
                creations.add(topicManager
                        .createTopic(new TopicManager.NewTopic(name, -1, (short) -1, Map.of(), Map.of()), false)
                        .exceptionally(e -> null)); // created concurrently, or failed: answered from the image
            }
        }
        if (creations.isEmpty()) {
            return CompletableFuture.completedFuture(respond(context, request, image, request.topics()));
        }
        return CompletableFuture.allOf(creations.toArray(CompletableFuture[]::new))
                .thenApply(v -> respond(context, request, cache.image(), request.topics()));
    }

    private MetadataResponseData respond(
            RequestContext context,
            MetadataRequestData request,
            MetadataImage image,
            List<MetadataRequestTopic> wanted) {
        MetadataResponseData response =
                new MetadataResponseData().setClusterId(image.clusterId()).setControllerId(image.controllerId());
        for (BrokerImage broker : image.brokers().values()) {
            broker.endpoint(context.listenerName())
                    .ifPresent(endpoint -> response.brokers()
                            .add(new MetadataResponseBroker()
                                    .setNodeId(broker.nodeId())
                                    .setHost(endpoint.host())
                                    .setPort(endpoint.port())
                                    .setRack(broker.rack().orElse(null))));
        }
        boolean includeOperations = request.includeTopicAuthorizedOperations();
        if (wanted == null) {
            image.topics().values().stream()
                    .sorted(java.util.Comparator.comparing(TopicImage::name))
                    .forEach(topic -> response.topics().add(describe(image, topic, includeOperations)));
        } else {
            for (MetadataRequestTopic topic : wanted) {
                response.topics().add(describe(image, topic, includeOperations));
            }
        }
        if (context.apiVersion() >= 8 && context.apiVersion() <= 10 && request.includeClusterAuthorizedOperations()) {
            response.setClusterAuthorizedOperations(AuthorizedOperations.CLUSTER);
        }
        return response;
    }

    private static MetadataResponseTopic describe(MetadataImage image, MetadataRequestTopic requested, boolean ops) {
        Uuid id = requested.topicId();
        if (id != null && !Uuid.ZERO_UUID.equals(id) || requested.name() == null) {
            TopicImage topic = id == null ? null : image.topic(id);
            if (topic == null) {
                return new MetadataResponseTopic()
                        .setTopicId(id == null ? Uuid.ZERO_UUID : id)
                        .setErrorCode(Errors.UNKNOWN_TOPIC_ID.code());
            }
            return describe(image, topic, ops);
        }
        String name = requested.name();
        if (!Topic.isValid(name)) {
            return new MetadataResponseTopic().setName(name).setErrorCode(Errors.INVALID_TOPIC_EXCEPTION.code());
        }
        TopicImage topic = image.topic(name);
        if (topic == null) {
            return new MetadataResponseTopic().setName(name).setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
        }
        return describe(image, topic, ops);
    }

    static MetadataResponseTopic describe(MetadataImage image, TopicImage topic, boolean ops) {
        MetadataResponseTopic result = new MetadataResponseTopic()
                .setName(topic.name())
                .setTopicId(topic.topicId())
                .setIsInternal(Topic.isInternal(topic.name()))
                .setTopicAuthorizedOperations(ops ? AuthorizedOperations.TOPIC : AuthorizedOperations.NOT_REQUESTED);
        for (PartitionState p : topic.partitions()) {
            List<Integer> offline = p.replicas().stream()
                    .filter(r -> !image.brokers().containsKey(r))
                    .toList();
            boolean leaderAvailable =
                    p.leader() != PartitionState.NO_LEADER && image.brokers().containsKey(p.leader());
            result.partitions()
                    .add(new MetadataResponsePartition()
                            .setErrorCode(leaderAvailable ? Errors.NONE.code() : Errors.LEADER_NOT_AVAILABLE.code())
                            .setPartitionIndex(p.partition())
                            .setLeaderId(leaderAvailable ? p.leader() : PartitionState.NO_LEADER)
                            .setLeaderEpoch(p.leaderEpoch())
                            .setReplicaNodes(new ArrayList<>(p.replicas()))
                            .setIsrNodes(new ArrayList<>(p.isr()))
                            .setOfflineReplicas(new ArrayList<>(offline)));
        }
        return result;
    }
}
