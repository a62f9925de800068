package io.runnel.cluster;

import io.runnel.config.RunnelConfig;
import io.runnel.metadata.ClusterStore;
import io.runnel.metadata.ClusterStore.LeaseRenewal;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * This broker's registration and lease. Registering takes a new broker epoch and leaves the broker
 * fenced until the controller unfences it. The lease is renewed every heartbeat interval on a thread
 * of its own ({@code runnel-broker-heartbeat}), so slow admin work on the metadata thread never costs
 * it. A renewal that finds the registration gone or replaced registers again. When PostgreSQL cannot
 * be reached the broker carries on as it is: it never fences itself; the controller judges leases.
 *
 * <p>Each renewal also reads the metadata version, so a broker whose LISTEN connection misses a
 * change reloads its image within a heartbeat.
 */
@ApplicationScoped
public class BrokerHeartbeat {

    private static final Logger LOG = Logger.getLogger(BrokerHeartbeat.class);

    @Inject
    RunnelConfig config;

    @Inject
    ClusterStore store;

    @Inject
    LeaseTrust trust;

    @Inject
    MetadataRefresher refresher;

    private final UUID incarnation = UUID.randomUUID();
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "runnel-broker-heartbeat");
        thread.setDaemon(true);
        return thread;
    });

    // state owned by the heartbeat thread
    private String listeners;
    private boolean failing;

    private volatile ScheduledFuture<?> renewals;

    private volatile long brokerEpoch = -1;

    /** This run of the broker process. */
    public UUID incarnation() {
        return incarnation;
    }

    /** The broker epoch of this broker's current registration, -1 before it registered. */
    public long brokerEpoch() {
        return brokerEpoch;
    }

    /** Registers with these advertised listeners, then renews the lease every heartbeat interval. */
    void start(String advertisedListeners) {
        CompletableFuture.runAsync(
                        () -> {
                            listeners = advertisedListeners;
                            register();
                        },
                        executor)
                .join();
        long interval = config.cluster().brokerHeartbeatIntervalMs();
        renewals = executor.scheduleWithFixedDelay(this::heartbeat, interval, interval, TimeUnit.MILLISECONDS);
    }

    private void register() {
        brokerEpoch = store.registerBroker(config.nodeId(), config.rack(), listeners, incarnation, lease());
        LOG.infof("Broker %d registered with broker epoch %d", config.nodeId(), brokerEpoch);
    }

    private void heartbeat() {
        try {
            Optional<LeaseRenewal> renewal = store.renewBrokerLease(config.nodeId(), incarnation, lease());
            if (renewal.isEmpty()) {
                LOG.warnf("Broker %d lost its registration; registering again", config.nodeId());
                register();
                return;
            }
            trust.succeeded(renewal.get().now());
            if (failing) {
                failing = false;
                LOG.infof("Broker %d renewed its lease again", config.nodeId());
            }
            refresher.maybeRefresh(renewal.get().metadataVersion());
        } catch (Throwable e) { // a periodic task that throws is never run again
            trust.failed(e);
            if (!failing) {
                failing = true;
                LOG.warnf("Broker %d cannot renew its lease: %s", config.nodeId(), e.toString());
            }
        }
    }

    /** Stops renewing and lets the lease lapse at once, so the controller fences this broker now. */
    CompletableFuture<Void> expire() {
        return CompletableFuture.runAsync(
                () -> {
                    if (renewals != null) {
                        renewals.cancel(false);
                    }
                    store.expireBrokerLease(config.nodeId(), incarnation);
                },
                executor);
    }

    private Duration lease() {
        return Duration.ofMillis(config.cluster().brokerSessionTimeoutMs());
    }

    @PreDestroy
    void stop() {
        executor.shutdownNow();
    }
}
