package io.runnel.cluster;

import io.runnel.log.LogConfig;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.Uuid;

/** A topic as the broker currently knows it: id, partitions and its config overrides, parsed. */
public record TopicImage(
        String name, Uuid topicId, List<PartitionState> partitions, Map<String, String> configs, LogConfig logConfig) {

    public TopicImage {
        partitions = List.copyOf(partitions);
        configs = Map.copyOf(configs);
    }

    public static TopicImage of(
            String name, Uuid topicId, List<PartitionState> partitions, Map<String, String> configs) {
        return new TopicImage(name, topicId, partitions, configs, new LogConfig(configs));
    }

    public TopicImage withPartitions(List<PartitionState> partitions) {
        return new TopicImage(name, topicId, partitions, configs, logConfig);
    }

    public TopicImage withConfigs(Map<String, String> configs) {
        return of(name, topicId, partitions, configs);
    }

    public PartitionState partition(int index) {
        return index >= 0 && index < partitions.size() ? partitions.get(index) : null;
    }
}
