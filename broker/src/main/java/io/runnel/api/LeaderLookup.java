package io.runnel.api;

import io.runnel.cluster.PartitionState;
import io.runnel.cluster.TopicImage;
import io.runnel.log.LogManager;
import io.runnel.log.PartitionLog;
import org.apache.kafka.common.protocol.Errors;

/**
 * Finds the log a produce, fetch or list-offsets request addresses on this broker, or the error Kafka
 * answers with: an unknown topic or partition, or NOT_LEADER_OR_FOLLOWER when another broker leads it.
 */
public record LeaderLookup(PartitionState state, PartitionLog log, Errors error) {

    public static LeaderLookup of(TopicImage topic, int partition, int nodeId, LogManager logs, Errors unknownTopic) {
        if (topic == null) {
            return new LeaderLookup(null, null, unknownTopic);
        }
        PartitionState state = topic.partition(partition);
        if (state == null) {
            return new LeaderLookup(null, null, Errors.UNKNOWN_TOPIC_OR_PARTITION);
        }
        if (state.leader() != nodeId) {
            return new LeaderLookup(state, null, Errors.NOT_LEADER_OR_FOLLOWER);
        }
        PartitionLog log = logs.log(topic.topicId(), partition);
        if (log == null) {
            return new LeaderLookup(state, null, Errors.NOT_LEADER_OR_FOLLOWER);
        }
        return new LeaderLookup(state, log, Errors.NONE);
    }

    /** Checks a client's idea of the leader epoch against ours (-1: the client does not say). */
    Errors checkLeaderEpoch(int clientEpoch) {
        if (clientEpoch < 0 || clientEpoch == state.leaderEpoch()) {
            return Errors.NONE;
        }
        return clientEpoch > state.leaderEpoch() ? Errors.UNKNOWN_LEADER_EPOCH : Errors.FENCED_LEADER_EPOCH;
    }
}
