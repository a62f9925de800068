package io.runnel.replication;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.runnel.cluster.BrokerImage;
import io.runnel.cluster.MetadataCache;
import io.runnel.cluster.MetadataImage;
import io.runnel.cluster.PartitionState;
import io.runnel.cluster.TopicImage;
import io.runnel.config.Endpoint;
import io.runnel.config.RunnelConfig;
import io.runnel.log.LogManager;
import io.runnel.log.PartitionLog;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.Uuid;
import org.jboss.logging.Logger;

/**
 * The replicas this broker hosts and their roles. Every metadata image is turned into transitions:
 * a partition this broker now leads becomes a leader (its epoch starts at the log end, fetching
 * stops); one led elsewhere is fetched from its leader; one without a leader waits. It also runs the
 * ISR expiry check every half {@code replica.lag.time.max.ms}.
 */
@ApplicationScoped
public class ReplicaManager {

    private static final Logger LOG = Logger.getLogger(ReplicaManager.class);

    @Inject
    RunnelConfig config;

    @Inject
    MetadataCache metadata;

    @Inject
    LogManager logs;

    @Inject
    AlterIsrManager alterIsr;

    private final Map<LogManager.LogKey, Partition> partitions = new ConcurrentHashMap<>();
    private ReplicaFetcherManager fetchers;
    private ScheduledExecutorService isrExpiry;
    private volatile boolean started;

    void onStart(@Observes @Priority(17) StartupEvent event) {
        RunnelConfig.ReplicationSettings settings = config.replication();
        fetchers = new ReplicaFetcherManager(
                new ReplicaFetcher.Settings(
                        config.nodeId(),
                        settings.replicaFetchWaitMaxMs(),
                        settings.replicaFetchMaxBytes(),
                        settings.replicaFetchResponseMaxBytes(),
                        settings.replicaFetchBackoffMs()),
                () -> brokerEpoch(metadata.image(), config.nodeId()));
        alterIsr.start();
        started = true;
        apply(metadata.image());
        metadata.onUpdate(this::apply);
        long lag = settings.replicaLagTimeMaxMs();
        isrExpiry = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("runnel-isr-expiry").daemon().factory());
        isrExpiry.scheduleWithFixedDelay(this::maybeShrinkIsrs, lag / 2, lag / 2, TimeUnit.MILLISECONDS);
    }

    /** The replica of a partition hosted here, or null. */
    public Partition partition(Uuid topicId, int partition) {
        return partitions.get(new LogManager.LogKey(topicId, partition));
    }

    public Iterable<Partition> all() {
        return partitions.values();
    }

    /** Applies an image: runs on the metadata thread, after the log manager opened the logs it needs. */
    synchronized void apply(MetadataImage image) {
        if (!started) {
            return;
        }
        int nodeId = config.nodeId();
        long now = System.currentTimeMillis();
        Set<LogManager.LogKey> hosted = new HashSet<>();
        for (TopicImage topic : image.topics().values()) {
            for (PartitionState state : topic.partitions()) {
                if (!state.replicas().contains(nodeId)) {
                    continue;
                }
                LogManager.LogKey key = new LogManager.LogKey(topic.topicId(), state.partition());
                PartitionLog log = logs.log(topic.topicId(), state.partition());
                if (log == null) {
                    continue;
                }
                hosted.add(key);
                Partition partition = partitions.get(key);
                if (partition == null || partition.log() != log) {
                    if (partition != null) {
                        retire(partition);
                    }
                    partition = new Partition(log, topic.topicId(), nodeId, alterIsr, this::isrEligible);
                    partitions.put(key, partition);
                }
                switch (partition.applyState(state, now)) {
                    case BECAME_LEADER, OFFLINE -> fetchers.stop(partition);
                    case BECAME_FOLLOWER -> {
                        Endpoint endpoint = endpointOf(image, state.leader());
                        if (endpoint == null) {
                            LOG.warnf(
                                    "%s: leader %d has no %s endpoint; not fetching",
                                    partition.topicPartition(), state.leader(), interBrokerListener());
                            fetchers.stop(partition);
                        } else {
                            fetchers.follow(partition, state.leader(), state.leaderEpoch(), endpoint);
                        }
                    }
                    case UNCHANGED -> {}
                }
            }
        }
        partitions.entrySet().removeIf(entry -> {
            if (hosted.contains(entry.getKey())) {
                return false;
            }
            retire(entry.getValue());
            return true;
        });
        fetchers.updateEndpoints(id -> endpointOf(image, id));
    }

    private void retire(Partition partition) {
        fetchers.stop(partition);
        partition.close();
    }

    private void maybeShrinkIsrs() {
        long now = System.currentTimeMillis();
        long lag = config.replication().replicaLagTimeMaxMs();
        for (Partition partition : partitions.values()) {
            try {
                partition.maybeShrinkIsr(now, lag);
            } catch (RuntimeException e) {
                LOG.warnf(e, "%s: ISR expiry check failed", partition.topicPartition());
            }
        }
    }

    private String interBrokerListener() {
        return config.replication()
                .interBrokerListenerName()
                .orElseGet(
                        () -> Endpoint.parseAll(config.listeners()).getFirst().listenerName());
    }

    private Endpoint endpointOf(MetadataImage image, int brokerId) {
        BrokerImage broker = image.allBrokers().get(brokerId);
        return broker == null ? null : broker.endpoint(interBrokerListener()).orElse(null);
    }

    /** KIP-841/903: only an active broker fetching with the epoch of its current registration joins an ISR. */
    private boolean isrEligible(int brokerId, long brokerEpoch) {
        BrokerImage broker = metadata.image().allBrokers().get(brokerId);
        return broker != null && broker.isActive() && broker.brokerEpoch() == brokerEpoch;
    }

    private static long brokerEpoch(MetadataImage image, int brokerId) {
        BrokerImage broker = image.allBrokers().get(brokerId);
        return broker == null ? -1 : broker.brokerEpoch();
    }

    void onStop(@Observes @Priority(4) ShutdownEvent event) {
        if (isrExpiry != null) {
            isrExpiry.shutdownNow();
        }
        synchronized (this) {
            started = false;
            if (fetchers != null) {
                fetchers.shutdown();
            }
        }
        alterIsr.stop();
    }
}
