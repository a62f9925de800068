package io.runnel.cluster;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.kafka.common.Uuid;

/**
 * An immutable snapshot of cluster metadata: brokers and topics. Requests read one snapshot from
 * start to end; changes publish a new snapshot.
 */
public record MetadataImage(
        String clusterId,
        int controllerId,
        SortedMap<Integer, BrokerImage> brokers,
        Map<String, TopicImage> topics,
        Map<Uuid, TopicImage> topicsById) {

    public static final MetadataImage EMPTY =
            new MetadataImage("", -1, Collections.emptySortedMap(), Map.of(), Map.of());

    public MetadataImage {
        brokers = Collections.unmodifiableSortedMap(new TreeMap<>(brokers));
        topics = Collections.unmodifiableMap(topics);
        topicsById = Collections.unmodifiableMap(topicsById);
    }

    public static MetadataImage of(
            String clusterId, int controllerId, Map<Integer, BrokerImage> brokers, Iterable<TopicImage> topics) {
        Map<String, TopicImage> byName = new HashMap<>();
        Map<Uuid, TopicImage> byId = new HashMap<>();
        for (TopicImage topic : topics) {
            byName.put(topic.name(), topic);
            byId.put(topic.topicId(), topic);
        }
        return new MetadataImage(clusterId, controllerId, new TreeMap<>(brokers), byName, byId);
    }

    public TopicImage topic(String name) {
        return topics.get(name);
    }

    public TopicImage topic(Uuid topicId) {
        return topicsById.get(topicId);
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
        return new MetadataImage(clusterId, controllerId, brokers, byName, byId);
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
        return new MetadataImage(clusterId, controllerId, brokers, byName, byId);
    }

    public MetadataImage withBrokers(Map<Integer, BrokerImage> brokers, int controllerId) {
        return new MetadataImage(clusterId, controllerId, new TreeMap<>(brokers), topics, topicsById);
    }
}
