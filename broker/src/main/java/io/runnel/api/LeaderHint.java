package io.runnel.api;

import io.runnel.cluster.BrokerImage;
import io.runnel.cluster.MetadataImage;
import io.runnel.cluster.PartitionState;
import io.runnel.config.Endpoint;
import java.util.Optional;

/**
 * Where a misdirected produce or fetch should go instead (KIP-951): the partition's current leader
 * and epoch, and its endpoint on the listener the client used, so the client redirects without a
 * Metadata round trip. Empty while the partition has no active leader.
 */
record LeaderHint(int leaderId, int leaderEpoch, BrokerImage broker, Endpoint endpoint) {

    static Optional<LeaderHint> of(MetadataImage image, PartitionState state, String listenerName) {
        if (state == null || state.leader() == PartitionState.NO_LEADER) {
            return Optional.empty();
        }
        BrokerImage broker = image.brokers().get(state.leader());
        if (broker == null) {
            return Optional.empty();
        }
        return broker.endpoint(listenerName)
                .map(endpoint -> new LeaderHint(state.leader(), state.leaderEpoch(), broker, endpoint));
    }
}
