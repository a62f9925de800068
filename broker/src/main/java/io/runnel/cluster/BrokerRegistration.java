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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.apache.kafka.common.Uuid;
import org.jboss.logging.Logger;

/**
 * Joins this broker to the cluster on start-up, before the logs (15) and the listeners (20): makes
 * sure the cluster has an id, registers the broker (fenced, under a new broker epoch), loads the
 * first metadata image, starts the heartbeat, the change listener and the controller, and then waits
 * until the controller has unfenced this registration and elected it wherever it is the only active
 * ISR member — so a broker that restarts opens its listeners as the leader of its partitions. On a
 * clean shutdown it resigns the controller lease and lets its own lease lapse at once.
 */
@ApplicationScoped
public class BrokerRegistration {

    private static final Logger LOG = Logger.getLogger(BrokerRegistration.class);
    static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);

    @Inject
    RunnelConfig config;

    @Inject
    MetadataStore store;

    @Inject
    MetadataCache cache;

    @Inject
    MetadataThread metadataThread;

    @Inject
    MetadataRefresher refresher;

    @Inject
    BrokerHeartbeat heartbeat;

    @Inject
    MetadataChangeListener changeListener;

    @Inject
    Controller controller;

    void onStart(@Observes @Priority(10) StartupEvent event) {
        String clusterId = metadataThread
                .submit(() -> store.ensureClusterId(Uuid.randomUuid().toString()))
                .join();
        heartbeat.start(advertisedListeners());
        MetadataImage image = metadataThread.submit(refresher::refresh).join();
        changeListener.start();
        controller.start(heartbeat.incarnation());
        metadataThread.schedule(
                "Metadata reload", config.cluster().metadataPollIntervalMs(), () -> refresher.refresh());
        LOG.infof(
                "Broker %d joined cluster %s (%d topics) advertising %s",
                config.nodeId(), clusterId, image.topics().size(), advertisedListeners());
        image = awaitReady();
        LOG.infof("Broker %d is unfenced (controller: broker %d)", config.nodeId(), image.controllerId());
    }

    /** Waits until the image shows this registration unfenced and every partition it can lead led. */
    private MetadataImage awaitReady() {
        CompletableFuture<MetadataImage> ready = new CompletableFuture<>();
        Consumer<MetadataImage> check = image -> {
            if (isReady(image)) {
                ready.complete(image);
            }
        };
        cache.onUpdate(check);
        try {
            check.accept(cache.image());
            return ready.get(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException("Broker " + config.nodeId() + " was not unfenced and given its"
                    + " partitions within " + READY_TIMEOUT.toSeconds() + " s (controller: broker "
                    + cache.image().controllerId() + "). The controller does this within a second of a"
                    + " registration: check that PostgreSQL is reachable, and the controller's log.");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting to be unfenced", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } finally {
            cache.removeListener(check);
        }
    }

    private boolean isReady(MetadataImage image) {
        int me = config.nodeId();
        BrokerImage registration = image.brokers().get(me);
        if (registration == null || registration.brokerEpoch() != heartbeat.brokerEpoch()) {
            return false;
        }
        for (TopicImage topic : image.topics().values()) {
            for (PartitionState p : topic.partitions()) {
                if (p.leader() == PartitionState.NO_LEADER && p.isr().contains(me)) {
                    return false;
                }
            }
        }
        return true;
    }

    void onStop(@Observes ShutdownEvent event) {
        metadataThread.cancelScheduled();
        changeListener.stop();
        long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
        try {
            controller.resign().get(remainingMs(deadline), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.debugf("Could not resign the controller lease on shutdown: %s", e);
        }
        try {
            heartbeat.expire().get(remainingMs(deadline), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.debugf("Could not give up the broker lease on shutdown: %s", e);
        }
    }

    private static long remainingMs(long deadlineNanos) {
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
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
