package io.runnel.cluster;

import io.quarkus.runtime.ShutdownEvent;
import io.runnel.config.RunnelConfig;
import io.runnel.metadata.ClusterStore;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Moves leadership away before the broker stops ({@code controlled.shutdown.enable}): on SIGTERM,
 * before the listeners close, the broker marks itself as shutting down; the controller then elects
 * other ISR members for the partitions it leads and drops it from every ISR; the broker waits for
 * that (at most {@code controlled-shutdown-timeout-ms}) so producers move to the new leaders with a
 * retriable NOT_LEADER_OR_FOLLOWER rather than a dead connection. Without PostgreSQL it gives up after
 * a few seconds and stops anyway; the controller then fences it when its lease lapses.
 */
@ApplicationScoped
public class ControlledShutdown {

    private static final Logger LOG = Logger.getLogger(ControlledShutdown.class);
    private static final long MARK_TIMEOUT_MS = 5_000;

    @Inject
    RunnelConfig config;

    @Inject
    ClusterStore store;

    @Inject
    BrokerHeartbeat heartbeat;

    @Inject
    MetadataCache metadata;

    @Inject
    MetadataRefresher refresher;

    @Inject
    Controller controller;

    void onStop(@Observes @Priority(1) ShutdownEvent event) {
        int me = config.nodeId();
        if (heartbeat.brokerEpoch() < 0 || leadsNothingMovable(metadata.image(), me)) {
            return;
        }
        long started = System.nanoTime();
        try {
            CompletableFuture.runAsync(() -> store.beginControlledShutdown(me, heartbeat.incarnation()))
                    .get(MARK_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.warnf("Could not start a controlled shutdown (stopping anyway): %s", e.toString());
            return;
        }
        controller.wakeUp();
        refresher.requestRefresh();
        CompletableFuture<Void> moved = new CompletableFuture<>();
        Consumer<MetadataImage> check = image -> {
            if (leadsNothingMovable(image, me)) {
                moved.complete(null);
            }
        };
        metadata.onUpdate(check);
        try {
            check.accept(metadata.image());
            moved.get(config.cluster().controlledShutdownTimeoutMs(), TimeUnit.MILLISECONDS);
            LOG.infof(
                    "Controlled shutdown: leadership moved to other brokers in %d ms",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        } catch (Exception e) {
            LOG.warnf(
                    "Controlled shutdown: leadership did not move within %d ms; stopping anyway",
                    config.cluster().controlledShutdownTimeoutMs());
        } finally {
            metadata.removeListener(check);
        }
    }

    /**
     * Whether this broker leads no partition that has another active member in its ISR and holds no
     * group coordinator slot another active broker could take, i.e. nothing the controller could
     * still move.
     */
    static boolean leadsNothingMovable(MetadataImage image, int me) {
        boolean othersActive = image.brokers().keySet().stream().anyMatch(id -> id != me);
        for (CoordinatorSlot slot : image.coordinatorSlots()) {
            if (slot.coordinator() == me && othersActive) {
                return false; // group coordinators move too
            }
        }
        for (TopicImage topic : image.topics().values()) {
            for (PartitionState partition : topic.partitions()) {
                if (partition.leader() != me) {
                    continue;
                }
                for (int member : partition.isr()) {
                    if (member != me && image.brokers().containsKey(member)) {
                        return false;
                    }
                }
            }
        }
        return true;
    }
}
