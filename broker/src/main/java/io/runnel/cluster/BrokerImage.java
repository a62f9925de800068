package io.runnel.cluster;

import io.runnel.config.Endpoint;
import java.util.List;
import java.util.Optional;

/**
 * A registered broker: its id, rack, the endpoints it advertises, the epoch of its current
 * registration, and whether the controller has fenced it or it is shutting down. Only an active
 * broker (neither) may lead partitions, join ISRs, get new replicas or coordinate groups (KIP-841).
 */
public record BrokerImage(
        int nodeId,
        Optional<String> rack,
        List<Endpoint> endpoints,
        long brokerEpoch,
        boolean fenced,
        boolean controlledShutdown) {

    public BrokerImage {
        endpoints = List.copyOf(endpoints);
    }

    /** An active broker. */
    public BrokerImage(int nodeId, Optional<String> rack, List<Endpoint> endpoints) {
        this(nodeId, rack, endpoints, 0, false, false);
    }

    public boolean isActive() {
        return !fenced && !controlledShutdown;
    }

    /** The endpoint for a listener name; Kafka answers a client with the listener it connected through. */
    public Optional<Endpoint> endpoint(String listenerName) {
        return endpoints.stream()
                .filter(e -> e.listenerName().equals(listenerName))
                .findFirst();
    }
}
