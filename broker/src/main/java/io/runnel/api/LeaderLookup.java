package io.runnel.api;

import io.runnel.cluster.PartitionState;
import io.runnel.cluster.TopicImage;
import io.runnel.log.LogManager;
import io.runnel.log.PartitionLog;
import io.runnel.replication.Partition;
import io.runnel.replication.ReplicaManager;
import org.apache.kafka.common.protocol.Errors;

/**
 * Finds the log a produce, fetch or list-offsets request addresses on this broker, or the error Kafka
 * answers with: an unknown topic or partition, or NOT_LEADER_OR_FOLLOWER when another broker leads it.
 */
public record LeaderLookup(PartitionState state, Partition partition, PartitionLog log, Errors error) {

    /**
     * The replica of a partition this broker leads, in its leader role at the image's leader epoch;
     * NOT_LEADER_OR_FOLLOWER while the image and the replica disagree (a change being applied).
     */
    public static LeaderLookup of(
            TopicImage topic, int partition, int nodeId, ReplicaManager replicas, Errors unknownTopic) {
        if (topic == null) {
            return new LeaderLookup(null, null, null, unknownTopic);
        }
        PartitionState state = topic.partition(partition);
        if (state == null) {
            return new LeaderLookup(null, null, null, Errors.UNKNOWN_TOPIC_OR_PARTITION);
        }
        Partition replica = replicas.partition(topic.topicId(), partition);
        if (state.leader() != nodeId || replica == null || replica.leaderEpochIfLeader() != state.leaderEpoch()) {
            return new LeaderLookup(state, null, null, Errors.NOT_LEADER_OR_FOLLOWER);
        }
        return new LeaderLookup(state, replica, replica.log(), Errors.NONE);
    }

    /** The log of a partition the image says this broker leads (for requests that only read it). */
    public static LeaderLookup of(TopicImage topic, int partition, int nodeId, LogManager logs, Errors unknownTopic) {
        if (topic == null) {
            return new LeaderLookup(null, null, null, unknownTopic);
        }
        PartitionState state = topic.partition(partition);
        if (state == null) {
            return new LeaderLookup(null, null, null, Errors.UNKNOWN_TOPIC_OR_PARTITION);
        }
        if (state.leader() != nodeId) {
            return new LeaderLookup(state, null, null, Errors.NOT_LEADER_OR_FOLLOWER);
        }
        PartitionLog log = logs.log(topic.topicId(), partition);
        if (log == null) {
            return new LeaderLookup(state, null, null, Errors.NOT_LEADER_OR_FOLLOWER);
        }
        return new LeaderLookup(state, null, log, Errors.NONE);
    }

    /** Checks a client's idea of the leader epoch against ours (-1: the client does not say). */
    Errors checkLeaderEpoch(int clientEpoch) {
        if (clientEpoch < 0 || clientEpoch == state.leaderEpoch()) {
            return Errors.NONE;
        }
        return clientEpoch > state.leaderEpoch() ? Errors.UNKNOWN_LEADER_EPOCH : Errors.FENCED_LEADER_EPOCH;
    }
}
