package io.runnel.cluster;

import io.runnel.config.RunnelConfig;
import io.runnel.log.LogConfig;
import io.runnel.metadata.MetadataStore;
import io.runnel.metadata.PartitionEntity;
import io.runnel.metadata.PostgresErrors;
import io.runnel.metadata.TopicEntity;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicaAssignmentException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.internals.Topic;

/**
 * Creates and deletes topics, adds partitions and changes topic configs: validates each change as
 * Kafka does (same error codes and messages), writes it to PostgreSQL, then publishes it in the
 * metadata image. All work runs on the {@link MetadataThread}.
 */
@ApplicationScoped
public class TopicManager {

    @Inject
    RunnelConfig config;

    @Inject
    MetadataStore store;

    @Inject
    MetadataCache cache;

    @Inject
    MetadataThread metadataThread;

    /** A topic to create; -1 partitions or replication factor means the broker default. */
    public record NewTopic(
            String name,
            int numPartitions,
            short replicationFactor,
            Map<Integer, List<Integer>> assignments,
            Map<String, String> configs) {}

    /** Creates a topic (or, with {@code validateOnly}, checks that it could be created). */
    public CompletableFuture<TopicImage> createTopic(NewTopic topic, boolean validateOnly) {
        return metadataThread.submit(() -> doCreateTopic(topic, validateOnly));
    }

    private TopicImage doCreateTopic(NewTopic request, boolean validateOnly) {
        MetadataImage image = cache.image();
        String name = request.name();
        validateName(name);
        if (image.topic(name) != null) {
            throw new TopicExistsException("Topic '" + name + "' already exists.");
        }
        for (TopicImage existing : image.topics().values()) {
            if (Topic.hasCollision(name, existing.name())) {
                throw new InvalidTopicException(
                        "Topic '" + name + "' collides with existing topic: " + existing.name());
            }
        }
        List<List<Integer>> replicas =
                request.assignments().isEmpty() ? placeReplicas(image, request) : manualAssignment(image, request);
        validateConfigs(request.configs());

        Uuid topicId = Uuid.randomUuid();
        List<PartitionState> partitions = new ArrayList<>();
        for (int p = 0; p < replicas.size(); p++) {
            List<Integer> r = replicas.get(p);
            partitions.add(new PartitionState(p, r, r, r.getFirst(), 0, 0));
        }
        TopicImage topic = TopicImage.of(name, topicId, partitions, request.configs());
        if (validateOnly) {
            return topic;
        }
        TopicEntity entity = new TopicEntity();
        entity.topicId = MetadataLoader.toUUID(topicId);
        entity.name = name;
        List<PartitionEntity> rows = partitions.stream()
                .map(p -> MetadataLoader.toEntity(entity.topicId, p))
                .toList();
        try {
            write(() -> store.createTopic(entity, rows, request.configs()));
        } catch (RuntimeException e) {
            // Another broker created the same name between our check and our insert; the violation
            // surfaces at the insert or, wrapped by the transaction manager, at commit.
            if (isUniqueViolation(e)) {
                throw new TopicExistsException("Topic '" + name + "' already exists.");
            }
            throw e;
        }
        cache.update(current -> current.withTopic(topic));
        return topic;
    }

    private List<List<Integer>> placeReplicas(MetadataImage image, NewTopic request) {
        int numPartitions = request.numPartitions() == -1 ? config.numPartitions() : request.numPartitions();
        short replicationFactor =
                request.replicationFactor() == -1 ? config.defaultReplicationFactor() : request.replicationFactor();
        if (numPartitions <= 0) {
            throw new InvalidPartitionsException("Number of partitions was set to an invalid non-positive value.");
        }
        if (replicationFactor <= 0) {
            throw new InvalidReplicationFactorException(
                    "Replication factor must be larger than 0, or -1 to use the default value.");
        }
        List<BrokerImage> brokers = List.copyOf(image.brokers().values());
        int start = brokers.isEmpty() ? 0 : ThreadLocalRandom.current().nextInt(brokers.size());
        return ReplicaPlacer.place(brokers, 0, numPartitions, replicationFactor, start);
    }

    private List<List<Integer>> manualAssignment(MetadataImage image, NewTopic request) {
        if (request.numPartitions() != -1) {
            throw new InvalidRequestException(
                    "A manual partition assignment was specified, but numPartitions was not set to -1.");
        }
        if (request.replicationFactor() != -1) {
            throw new InvalidRequestException(
                    "A manual partition assignment was specified, but replicationFactor was not set to -1.");
        }
        List<List<Integer>> replicas = new ArrayList<>();
        for (int p = 0; p < request.assignments().size(); p++) {
            List<Integer> r = request.assignments().get(p);
            if (r == null) {
                throw new InvalidReplicaAssignmentException(
                        "Partitions must be numbered consecutively from 0; partition " + p + " is missing.");
            }
            validateReplicas(
                    image,
                    p,
                    r,
                    replicas.isEmpty() ? r.size() : replicas.getFirst().size());
            replicas.add(List.copyOf(r));
        }
        return replicas;
    }

    private static void validateReplicas(MetadataImage image, int partition, List<Integer> replicas, int expected) {
        if (replicas.isEmpty()) {
            throw new InvalidReplicaAssignmentException(
                    "The manual partition assignment includes an empty replica list.");
        }
        if (new HashSet<>(replicas).size() != replicas.size()) {
            throw new InvalidReplicaAssignmentException("The manual partition assignment includes the broker "
                    + "more than once for partition " + partition + ": " + replicas);
        }
        if (replicas.size() != expected) {
            throw new InvalidReplicaAssignmentException("The manual partition assignment includes a partition with "
                    + replicas.size() + " replica(s), but this is not consistent with previous partitions, which have "
                    + expected + " replica(s).");
        }
        for (int broker : replicas) {
            if (!image.brokers().containsKey(broker)) {
                throw new InvalidReplicaAssignmentException("The manual partition assignment includes broker " + broker
                        + ", but no such broker is registered.");
            }
        }
    }

    /** Deletes a topic by name or id. */
    public CompletableFuture<TopicImage> deleteTopic(Optional<String> name, Optional<Uuid> topicId) {
        return metadataThread.submit(() -> {
            MetadataImage image = cache.image();
            TopicImage topic = name.map(image::topic)
                    .orElseGet(() -> topicId.map(image::topic).orElse(null));
            if (topic == null) {
                if (name.isPresent()) {
                    throw new UnknownTopicOrPartitionException("This server does not host this topic-partition.");
                }
                throw new org.apache.kafka.common.errors.UnknownTopicIdException(
                        "This server does not host this topic ID.");
            }
            write(() -> store.deleteTopic(MetadataLoader.toUUID(topic.topicId())));
            cache.update(current -> current.withoutTopic(topic.name()));
            return topic;
        });
    }

    /** Grows a topic to {@code count} partitions, placed automatically or as assigned. */
    public CompletableFuture<TopicImage> createPartitions(
            String name, int count, List<List<Integer>> assignments, boolean validateOnly) {
        return metadataThread.submit(() -> {
            MetadataImage image = cache.image();
            TopicImage topic = image.topic(name);
            if (topic == null) {
                throw new UnknownTopicOrPartitionException("The topic '" + name + "' does not exist.");
            }
            int current = topic.partitions().size();
            if (count < current) {
                throw new InvalidPartitionsException("Topic currently has " + current
                        + " partitions, which is higher than the requested " + count + ".");
            }
            if (count == current) {
                throw new InvalidPartitionsException("Topic already has " + current + " partitions.");
            }
            int added = count - current;
            short replicationFactor =
                    (short) topic.partitions().getFirst().replicas().size();
            List<List<Integer>> replicas;
            if (assignments == null) {
                List<BrokerImage> brokers = List.copyOf(image.brokers().values());
                int start = brokers.isEmpty()
                        ? 0
                        : brokers.indexOf(image.brokers()
                                .get(topic.partitions().getFirst().replicas().getFirst()));
                replicas = ReplicaPlacer.place(brokers, current, added, replicationFactor, Math.max(0, start));
            } else {
                if (assignments.size() != added) {
                    throw new InvalidReplicaAssignmentException(
                            "Attempted to add " + added + " additional partition(s), but only " + assignments.size()
                                    + " assignment(s) were specified.");
                }
                for (int i = 0; i < added; i++) {
                    validateReplicas(image, current + i, assignments.get(i), replicationFactor);
                }
                replicas = assignments;
            }
            List<PartitionState> partitions = new ArrayList<>(topic.partitions());
            for (int i = 0; i < added; i++) {
                List<Integer> r = replicas.get(i);
                partitions.add(new PartitionState(current + i, r, r, r.getFirst(), 0, 0));
            }
            TopicImage grown = topic.withPartitions(partitions);
            if (validateOnly) {
                return grown;
            }
            write(() -> store.addPartitions(partitions.subList(current, count).stream()
                    .map(p -> MetadataLoader.toEntity(MetadataLoader.toUUID(topic.topicId()), p))
                    .toList()));
            cache.update(img -> img.withTopic(grown));
            return grown;
        });
    }

    /** Replaces the config overrides of a topic with {@code configs}. */
    public CompletableFuture<TopicImage> replaceConfigs(
            String name, Map<String, String> configs, boolean validateOnly) {
        return metadataThread.submit(() -> {
            TopicImage topic = cache.image().topic(name);
            if (topic == null) {
                throw new UnknownTopicOrPartitionException("The topic '" + name + "' does not exist.");
            }
            validateConfigs(configs);
            TopicImage changed = topic.withConfigs(configs);
            if (!validateOnly) {
                write(() -> store.replaceConfigs(MetadataLoader.toUUID(topic.topicId()), configs));
                cache.update(img -> img.withTopic(changed));
            }
            return changed;
        });
    }

    /**
     * Runs a write to PostgreSQL. When PostgreSQL cannot be reached the client may retry:
     * REQUEST_TIMED_OUT (retriable), as Kafka answers when its controller does not. (As there, a retry
     * may find that the first attempt did happen, e.g. TOPIC_ALREADY_EXISTS.)
     */
    private static void write(Runnable write) {
        try {
            write.run();
        } catch (RuntimeException e) {
            if (PostgresErrors.isUnavailable(e)) {
                throw new TimeoutException("PostgreSQL, which holds the cluster metadata, cannot be reached", e);
            }
            throw e;
        }
    }

    private static boolean isUniqueViolation(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof java.sql.SQLException sql && "23505".equals(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    public static void validateName(String name) {
        try {
            Topic.validate(name);
        } catch (InvalidTopicException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new InvalidTopicException(e.getMessage());
        }
    }

    private static void validateConfigs(Map<String, String> configs) {
        try {
            LogConfig.validate(configs);
        } catch (ConfigException e) {
            throw new InvalidConfigurationException(e.getMessage());
        }
    }
}
