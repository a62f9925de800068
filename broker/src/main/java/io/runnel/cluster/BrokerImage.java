package io.runnel.cluster;

import io.runnel.config.Endpoint;
import java.util.List;
import java.util.Optional;

/** A live broker: its id, rack and the endpoints it advertises. */
public record BrokerImage(int nodeId, Optional<String> rack, List<Endpoint> endpoints) {

    public BrokerImage {
        endpoints = List.copyOf(endpoints);
    }

    /** The endpoint for a listener name; Kafka answers a client with the listener it connected through. */
    public Optional<Endpoint> endpoint(String listenerName) {
        return endpoints.stream()
                .filter(e -> e.listenerName().equals(listenerName))
                .findFirst();
    }
}
