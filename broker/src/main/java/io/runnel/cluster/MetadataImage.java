package io.runnel.cluster;

import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.kafka.common.Uuid;

/**
 * An immutable snapshot of cluster metadata: brokers, the controller, topics and group coordinator
 * slots. Requests read one snapshot from start to end; changes publish a new snapshot.
 *
 * @param controllerId the holder of the controller lease while it is unfenced, else -1
 * @param brokers the active brokers (neither fenced nor shutting down): what Metadata lists and what
 *     placement and connectors use; a subset of {@code allBrokers}
 * @param allBrokers every registered broker, fenced or not
 * @param coordinatorSlots the group coordinator slots, indexed by slot (empty before the first load)
 * @param metadataVersion {@code cluster.metadata_version} when this image was loaded from PostgreSQL
 */
public record MetadataImage(
        String clusterId,
        int controllerId,
        SortedMap<Integer, BrokerImage> brokers,
        SortedMap<Integer, BrokerImage> allBrokers,
        Map<String, TopicImage> topics,
        Map<Uuid, TopicImage> topicsById,
        List<CoordinatorSlot> coordinatorSlots,
        long metadataVersion) {

    public static final MetadataImage EMPTY = of("", -1, Map.of(), List.of(), List.of(), 0);

    public MetadataImage {
        brokers = Collections.unmodifiableSortedMap(new TreeMap<>(brokers));
        allBrokers = Collections.unmodifiableSortedMap(new TreeMap<>(allBrokers));
        topics = Collections.unmodifiableMap(topics);
        topicsById = Collections.unmodifiableMap(topicsById);
        coordinatorSlots = List.copyOf(coordinatorSlots);
    }

    public static MetadataImage of(
            String clusterId, int controllerId, Map<Integer, BrokerImage> brokers, Iterable<TopicImage> topics) {
        return of(clusterId, controllerId, brokers, topics, List.of(), 0);
    }

    /** An image of these brokers (all registered ones; the active ones are picked out) and topics. */
    public static MetadataImage of(
            String clusterId,
            int controllerId,
            Map<Integer, BrokerImage> allBrokers,
            Iterable<TopicImage> topics,
            List<CoordinatorSlot> coordinatorSlots,
            long metadataVersion) {
        Map<String, TopicImage> byName = new HashMap<>();
        Map<Uuid, TopicImage> byId = new HashMap<>();
        for (TopicImage topic : topics) {
            byName.put(topic.name(), topic);
            byId.put(topic.topicId(), topic);
        }
        return new MetadataImage(
                clusterId,
                controllerId,
                active(allBrokers),
                new TreeMap<>(allBrokers),
                byName,
                byId,
                coordinatorSlots,
                metadataVersion);
    }

    private static SortedMap<Integer, BrokerImage> active(Map<Integer, BrokerImage> brokers) {
        SortedMap<Integer, BrokerImage> active = new TreeMap<>();
        brokers.forEach((id, broker) -> {
            if (broker.isActive()) {
                active.put(id, broker);
            }
        });
        return active;
    }

    public TopicImage topic(String name) {
        return topics.get(name);
    }

    public TopicImage topic(Uuid topicId) {
        return topicsById.get(topicId);
    }

    /** The coordinator slot with this number, or null before slots are loaded. */
    public CoordinatorSlot coordinatorSlot(int slot) {
        return slot >= 0 && slot < coordinatorSlots.size() ? coordinatorSlots.get(slot) : null;
    }

    /** This image with one topic added or replaced. */
    public MetadataImage withTopic(TopicImage topic) {
        Map<String, TopicImage> byName = new HashMap<>(topics);
        Map<Uuid, TopicImage> byId = new HashMap<>(topicsById);
        TopicImage previous = byName.put(topic.name(), topic);
        if (previous != null) {
            byId.remove(previous.topicId());
        }
        byId.put(topic.topicId(), topic);
        return new MetadataImage(
                clusterId, controllerId, brokers, allBrokers, byName, byId, coordinatorSlots, metadataVersion);
    }

    /** This image without a topic. */
    public MetadataImage withoutTopic(String name) {
        TopicImage removed = topics.get(name);
        if (removed == null) {
            return this;
        }
        Map<String, TopicImage> byName = new HashMap<>(topics);
        Map<Uuid, TopicImage> byId = new HashMap<>(topicsById);
        byName.remove(name);
        byId.remove(removed.topicId());
        return new MetadataImage(
                clusterId, controllerId, brokers, allBrokers, byName, byId, coordinatorSlots, metadataVersion);
    }

    /** This image with these registered brokers (the active ones are picked out) and controller. */
    public MetadataImage withBrokers(Map<Integer, BrokerImage> allBrokers, int controllerId) {
        return new MetadataImage(
                clusterId,
                controllerId,
                active(allBrokers),
                new TreeMap<>(allBrokers),
                topics,
                topicsById,
                coordinatorSlots,
                metadataVersion);
    }
}
