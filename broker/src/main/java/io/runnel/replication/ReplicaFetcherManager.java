package io.runnel.replication;

import io.runnel.config.Endpoint;
import java.util.HashMap;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;
import org.jboss.logging.Logger;

/**
 * The replica fetchers of this broker, one per leader it follows partitions of. Called on the metadata
 * thread only.
 */
final class ReplicaFetcherManager {

    private static final Logger LOG = Logger.getLogger(ReplicaFetcherManager.class);

    private final ReplicaFetcher.Settings settings;
    private final LongSupplier brokerEpoch;
    private final Map<Integer, ReplicaFetcher> fetchers = new HashMap<>();
    private final Map<Partition, ReplicaFetcher> assigned = new HashMap<>();

    ReplicaFetcherManager(ReplicaFetcher.Settings settings, LongSupplier brokerEpoch) {
        this.settings = settings;
        this.brokerEpoch = brokerEpoch;
    }

    /** Fetches {@code partition} from {@code leaderId} (and from nobody else) at {@code leaderEpoch}. */
    void follow(Partition partition, int leaderId, int leaderEpoch, Endpoint leaderEndpoint) {
        stop(partition);
        ReplicaFetcher fetcher = fetchers.computeIfAbsent(leaderId, id -> {
            ReplicaFetcher created = new ReplicaFetcher(id, leaderEndpoint, settings, brokerEpoch);
            created.start();
            LOG.debugf("Started a replica fetcher for broker %d at %s", id, leaderEndpoint);
            return created;
        });
        fetcher.add(partition, leaderEpoch);
        assigned.put(partition, fetcher);
    }

    /** Stops fetching {@code partition}. */
    void stop(Partition partition) {
        ReplicaFetcher fetcher = assigned.remove(partition);
        if (fetcher != null) {
            fetcher.remove(partition);
            if (fetcher.isEmpty()) {
                fetchers.remove(fetcher.leaderId());
                fetcher.shutdown();
            }
        }
    }

    /** Follows leaders that re-registered with other endpoints. */
    void updateEndpoints(IntFunction<Endpoint> endpointOf) {
        fetchers.forEach((leaderId, fetcher) -> {
            Endpoint endpoint = endpointOf.apply(leaderId);
            if (endpoint != null) {
                fetcher.updateEndpoint(endpoint);
            }
        });
    }

    void shutdown() {
        fetchers.values().forEach(ReplicaFetcher::shutdown);
        for (ReplicaFetcher fetcher : fetchers.values()) {
            try {
                fetcher.awaitShutdown(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        fetchers.clear();
        assigned.clear();
    }
}
