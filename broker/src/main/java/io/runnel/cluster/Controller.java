package io.runnel.cluster;

import io.runnel.config.RunnelConfig;
import io.runnel.log.LogConfig;
import io.runnel.metadata.ClusterStore;
import io.runnel.metadata.ClusterStore.ApplyResult;
import io.runnel.metadata.ClusterStore.BrokerFencing;
import io.runnel.metadata.ClusterStore.BrokerLeases;
import io.runnel.metadata.ClusterStore.Changes;
import io.runnel.metadata.ClusterStore.PartitionChange;
import io.runnel.metadata.ClusterStore.PartitionRow;
import io.runnel.metadata.ClusterStore.Partitions;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * The controller: every broker runs one, and the one holding the controller lease acts. On its own
 * thread ({@code runnel-controller}) it ticks every {@value #TICK_MS} ms and whenever metadata
 * changes: takes or renews the lease, reads the brokers (and partitions, when the metadata version
 * moved), asks {@link ControllerLogic} for changes and writes them with {@link ClusterStore#apply},
 * which refuses them unless this broker still holds the lease at its epoch and nothing it decided from
 * changed meanwhile. A refused plan is made again from fresh state.
 */
@ApplicationScoped
public class Controller {

    private static final Logger LOG = Logger.getLogger(Controller.class);
    static final long TICK_MS = 500;
    private static final int NOT_CONTROLLER = -1;
    private static final int PARTITION_CHANGES_LOGGED = 20;

    @Inject
    RunnelConfig config;

    @Inject
    ClusterStore store;

    @Inject
    LeaseTrust trust;

    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "runnel-controller");
        thread.setDaemon(true);
        return thread;
    });
    private final AtomicBoolean tickQueued = new AtomicBoolean();

    // state owned by the runnel-controller thread
    private UUID incarnation;
    private int epoch = NOT_CONTROLLER;
    private boolean stopped;
    private boolean failing;
    private Partitions partitions;
    private Set<UUID> uncleanTopics = Set.of();
    private long nextPreferredLeaderCheckNanos;

    // for other threads
    private volatile int activeEpoch = NOT_CONTROLLER;

    /** Starts ticking for this incarnation of the broker, which must be registered. */
    void start(UUID incarnation) {
        executor.execute(() -> this.incarnation = incarnation);
        executor.scheduleWithFixedDelay(this::tick, 0, TICK_MS, TimeUnit.MILLISECONDS);
    }

    /** Runs a tick soon, e.g. because metadata changed; ticks asked for meanwhile run once. */
    public void wakeUp() {
        if (tickQueued.compareAndSet(false, true)) {
            executor.execute(() -> {
                tickQueued.set(false);
                tick();
            });
        }
    }

    /** Whether this broker holds the controller lease, as far as it knows. */
    public boolean isActive() {
        return activeEpoch != NOT_CONTROLLER;
    }

    /** Stops acting and gives the lease up, so another broker takes over at once. */
    CompletableFuture<Void> resign() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        executor.execute(() -> {
            stopped = true;
            try {
                if (epoch != NOT_CONTROLLER) {
                    store.resignControllerLease(config.nodeId(), epoch);
                    LOG.infof("Broker %d resigned as controller (controller epoch %d)", config.nodeId(), epoch);
                    stepDown();
                }
                done.complete(null);
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            }
        });
        return done;
    }

    @PreDestroy
    void stop() {
        executor.shutdownNow();
    }

    private void tick() {
        if (stopped || incarnation == null) {
            return;
        }
        try {
            if (maybeHoldLease()) {
                act();
            }
            if (failing) {
                failing = false;
                LOG.infof("Controller on broker %d works again", config.nodeId());
            }
        } catch (Throwable e) { // a periodic task that throws is never run again
            trust.failed(e);
            if (!failing) {
                failing = true;
                LOG.warnf(e, "Controller on broker %d failed; retrying every %d ms", config.nodeId(), TICK_MS);
            }
        }
    }

    /** Takes the lease if free, or renews it; whether this broker holds it now. */
    private boolean maybeHoldLease() {
        if (epoch == NOT_CONTROLLER) {
            OptionalInt acquired = store.acquireControllerLease(config.nodeId(), incarnation, sessionTimeout());
            if (acquired.isEmpty()) {
                return false;
            }
            epoch = acquired.getAsInt();
            activeEpoch = epoch;
            partitions = null;
            nextPreferredLeaderCheckNanos = System.nanoTime() + preferredLeaderCheckIntervalNanos();
            LOG.infof("Broker %d is the controller (controller epoch %d)", config.nodeId(), epoch);
            return true;
        }
        if (!store.renewControllerLease(config.nodeId(), epoch, sessionTimeout())) {
            LOG.warnf("Broker %d lost the controller lease (controller epoch %d)", config.nodeId(), epoch);
            stepDown();
            return false;
        }
        return true;
    }

    private void stepDown() {
        epoch = NOT_CONTROLLER;
        activeEpoch = NOT_CONTROLLER;
        partitions = null;
    }

    private void act() {
        BrokerLeases leases = store.readBrokers();
        trust.succeeded(leases.now());
        if (partitions == null || partitions.metadataVersion() != leases.metadataVersion()) {
            partitions = store.readPartitions();
            uncleanTopics = uncleanLeaderElectionTopics(partitions);
        }
        boolean preferredDue =
                config.cluster().autoLeaderRebalanceEnable() && System.nanoTime() - nextPreferredLeaderCheckNanos >= 0;
        ClusterView view =
                new ClusterView(leases.brokers(), partitions.partitions(), uncleanTopics, partitions.slots());
        Changes changes = ControllerLogic.plan(
                view,
                leases.now(),
                trust.trustedSince(leases.storeStartTime()),
                new ControllerLogic.Settings(sessionTimeout(), preferredDue));
        ApplyResult result =
                changes.isEmpty() ? ApplyResult.APPLIED : store.apply(config.nodeId(), epoch, view.brokers(), changes);
        switch (result) {
            case APPLIED -> {
                if (!changes.isEmpty()) {
                    partitions = null;
                    log(changes, view);
                }
                if (preferredDue) {
                    nextPreferredLeaderCheckNanos = System.nanoTime() + preferredLeaderCheckIntervalNanos();
                }
            }
            case STALE -> {
                partitions = null;
                wakeUp();
            }
            case NOT_CONTROLLER -> {
                LOG.warnf("Broker %d is no longer the controller (controller epoch %d)", config.nodeId(), epoch);
                stepDown();
            }
        }
    }

    private static Set<UUID> uncleanLeaderElectionTopics(Partitions partitions) {
        Set<UUID> topics = new HashSet<>();
        Set<UUID> seen = new HashSet<>();
        for (PartitionRow p : partitions.partitions()) {
            if (seen.add(p.topicId())
                    && new LogConfig(partitions.topicConfigs().getOrDefault(p.topicId(), Map.of()))
                            .uncleanLeaderElectionEnable) {
                topics.add(p.topicId());
            }
        }
        return topics;
    }

    private void log(Changes changes, ClusterView view) {
        for (BrokerFencing fencing : changes.fencings()) {
            LOG.infof(
                    "Controller %s broker %d (broker epoch %d)",
                    fencing.fenced() ? "fenced" : "unfenced", fencing.nodeId(), fencing.brokerEpoch());
        }
        Map<String, PartitionRow> before = new HashMap<>();
        view.partitions().forEach(p -> before.put(p.topicId() + "/" + p.partition(), p));
        // one line per partition, unless a broker with many partitions came or went
        Logger.Level level =
                changes.partitions().size() <= PARTITION_CHANGES_LOGGED ? Logger.Level.INFO : Logger.Level.DEBUG;
        if (level == Logger.Level.DEBUG) {
            LOG.infof("Controller changed %d partitions", changes.partitions().size());
        }
        for (PartitionChange change : changes.partitions()) {
            PartitionRow was = before.get(change.topicId() + "/" + change.partition());
            if (!change.leaderChanged()) {
                LOG.logf(
                        level,
                        "Controller changed the ISR of %s-%d from %s to %s",
                        was.topic(),
                        was.partition(),
                        was.isr(),
                        change.isr());
            } else if (change.leader() == PartitionState.NO_LEADER) {
                LOG.logf(
                        level,
                        "Controller left %s-%d without a leader (was %d): no ISR member is active; leader epoch %d, ISR %s",
                        was.topic(),
                        was.partition(),
                        was.leader(),
                        was.leaderEpoch() + 1,
                        change.isr());
            } else {
                LOG.logf(
                        level,
                        "Controller elected %d leader of %s-%d (was %d), leader epoch %d, ISR %s",
                        change.leader(),
                        was.topic(),
                        was.partition(),
                        was.leader(),
                        was.leaderEpoch() + 1,
                        change.isr());
            }
        }
        if (!changes.slotMoves().isEmpty()) {
            LOG.infof(
                    "Controller moved %d group coordinator slots",
                    changes.slotMoves().size());
        }
    }

    private Duration sessionTimeout() {
        return Duration.ofMillis(config.cluster().brokerSessionTimeoutMs());
    }

    private long preferredLeaderCheckIntervalNanos() {
        return TimeUnit.MILLISECONDS.toNanos(config.cluster().leaderImbalanceCheckIntervalMs());
    }
}
