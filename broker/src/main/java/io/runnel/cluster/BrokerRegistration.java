package io.runnel.cluster;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.runnel.config.Endpoint;
import io.runnel.config.RunnelConfig;
import io.runnel.metadata.MetadataStore;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.common.Uuid;
import org.jboss.logging.Logger;

/**
 * Joins this broker to the cluster on start-up: makes sure the cluster has an id, registers the
 * broker with a lease, loads the first metadata image; then renews the lease and refreshes the image
 * periodically, and gives the lease up on a clean shutdown.
 */
@ApplicationScoped
public class BrokerRegistration {

    private static final Logger LOG = Logger.getLogger(BrokerRegistration.class);
    static final Duration LEASE = Duration.ofSeconds(10);
    static final long RENEW_INTERVAL_MS = 2_000;

    @Inject
    RunnelConfig config;

    @Inject
    MetadataStore store;

    @Inject
    MetadataCache cache;

    @Inject
    MetadataThread metadataThread;

    private final UUID incarnation = UUID.randomUUID();

    void onStart(@Observes @Priority(10) StartupEvent event) {
        metadataThread.submit(this::register).join();
        metadataThread.schedule("Broker lease renewal and metadata refresh", RENEW_INTERVAL_MS, this::renewAndRefresh);
    }

    private Void register() {
        String clusterId = store.ensureClusterId(Uuid.randomUuid().toString());
        store.registerBroker(config.nodeId(), config.rack(), advertisedListeners(), incarnation, LEASE);
        MetadataImage image = refresh();
        LOG.infof(
                "Broker %d registered in cluster %s (%d topics) advertising %s",
                config.nodeId(), clusterId, image.topics().size(), advertisedListeners());
        return null;
    }

    private void renewAndRefresh() {
        if (!store.renewBrokerLease(config.nodeId(), incarnation, LEASE)) {
            LOG.warnf("Broker %d lost its registration; registering again", config.nodeId());
            store.registerBroker(config.nodeId(), config.rack(), advertisedListeners(), incarnation, LEASE);
        }
        refresh();
    }

    /** Reloads the image from PostgreSQL; runs on the metadata thread. */
    MetadataImage refresh() {
        MetadataImage loaded = MetadataLoader.toImage(store.snapshot());
        return cache.update(current -> loaded.equals(current) ? current : loaded);
    }

    void onStop(@Observes ShutdownEvent event) {
        metadataThread.cancelScheduled();
        try {
            metadataThread
                    .submit(() -> {
                        store.expireBrokerLease(config.nodeId(), incarnation);
                        return null;
                    })
                    .get(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.debugf("Could not give up the broker lease on shutdown: %s", e);
        }
    }

    /** The advertised listeners as stored in the brokers table. */
    public String advertisedListeners() {
        return advertisedEndpoints().stream().map(Endpoint::toString).collect(Collectors.joining(","));
    }

    public List<Endpoint> advertisedEndpoints() {
        return config.advertisedListeners()
                .map(Endpoint::parseAll)
                .orElseGet(() -> Endpoint.parseAll(config.listeners()).stream()
                        .map(Endpoint::advertisable)
                        .toList());
    }
}
