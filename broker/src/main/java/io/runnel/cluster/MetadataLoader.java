package io.runnel.cluster;

import io.runnel.config.Endpoint;
import io.runnel.metadata.BrokerEntity;
import io.runnel.metadata.MetadataStore;
import io.runnel.metadata.PartitionEntity;
import io.runnel.metadata.TopicConfigEntity;
import io.runnel.metadata.TopicEntity;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.common.Uuid;

/** Turns what PostgreSQL holds into a {@link MetadataImage}. */
final class MetadataLoader {

    private MetadataLoader() {}

    static MetadataImage toImage(MetadataStore.Snapshot snapshot) {
        Map<Integer, BrokerImage> brokers = new TreeMap<>();
        for (BrokerEntity broker : snapshot.brokers()) {
            brokers.put(broker.nodeId, toBroker(broker));
        }
        Map<UUID, List<PartitionState>> partitions = new HashMap<>();
        for (PartitionEntity p : snapshot.partitions()) {
            partitions.computeIfAbsent(p.topicId, id -> new ArrayList<>()).add(toPartition(p));
        }
        Map<UUID, Map<String, String>> configs = new HashMap<>();
        for (TopicConfigEntity c : snapshot.configs()) {
            configs.computeIfAbsent(c.topicId, id -> new HashMap<>()).put(c.name, c.value);
        }
        List<TopicImage> topics = new ArrayList<>();
        for (TopicEntity topic : snapshot.topics()) {
            List<PartitionState> ps = partitions.getOrDefault(topic.topicId, new ArrayList<>());
            ps.sort(Comparator.comparingInt(PartitionState::partition));
            topics.add(TopicImage.of(
                    topic.name, toUuid(topic.topicId), ps, configs.getOrDefault(topic.topicId, Map.of())));
        }
        // The lease holder, unless it is fenced: clients send admin requests to the controller id.
        BrokerImage holder = brokers.get(snapshot.controller());
        int controller = holder == null || holder.fenced() ? -1 : holder.nodeId();
        List<CoordinatorSlot> slots = snapshot.slots().stream()
                .map(s -> new CoordinatorSlot(s.slot(), s.coordinator(), s.coordinatorEpoch()))
                .toList();
        return MetadataImage.of(snapshot.clusterId(), controller, brokers, topics, slots, snapshot.metadataVersion());
    }

    static BrokerImage toBroker(BrokerEntity broker) {
        return new BrokerImage(
                broker.nodeId,
                Optional.ofNullable(broker.rack),
                Endpoint.parseAll(Arrays.asList(broker.listeners.split(","))),
                broker.brokerEpoch,
                broker.fenced,
                broker.controlledShutdown);
    }

    static PartitionState toPartition(PartitionEntity p) {
        return new PartitionState(
                p.partitionIndex,
                Arrays.stream(p.replicas).boxed().toList(),
                Arrays.stream(p.isr).boxed().toList(),
                p.leader,
                p.leaderEpoch,
                p.partitionEpoch);
    }

    static PartitionEntity toEntity(UUID topicId, PartitionState state) {
        PartitionEntity entity = new PartitionEntity();
        entity.topicId = topicId;
        entity.partitionIndex = state.partition();
        entity.replicas = state.replicas().stream().mapToInt(Integer::intValue).toArray();
        entity.isr = state.isr().stream().mapToInt(Integer::intValue).toArray();
        entity.leader = state.leader();
        entity.leaderEpoch = state.leaderEpoch();
        entity.partitionEpoch = state.partitionEpoch();
        return entity;
    }

    static Uuid toUuid(UUID uuid) {
        return new Uuid(uuid.getMostSignificantBits(), uuid.getLeastSignificantBits());
    }

    public static UUID toUUID(Uuid uuid) {
        return new UUID(uuid.getMostSignificantBits(), uuid.getLeastSignificantBits());
    }
}
