package io.runnel.replication;

import io.runnel.cluster.BrokerHeartbeat;
import io.runnel.config.RunnelConfig;
import io.runnel.metadata.IsrStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Sends leaders' ISR changes to PostgreSQL, one conditional update each, on its own thread so that
 * neither the event loops nor the metadata thread ever wait for the database. While PostgreSQL is
 * unreachable a change is retried; the partition keeps its current ISR meanwhile (and its high
 * watermark still waits for every member of it), as a Kafka leader does while its AlterPartition is
 * unanswered.
 */
@ApplicationScoped
public class AlterIsrManager implements Partition.IsrChannel {

    private static final Logger LOG = Logger.getLogger(AlterIsrManager.class);
    private static final long RETRY_BACKOFF_MS = 1_000;

    @Inject
    IsrStore store;

    @Inject
    RunnelConfig config;

    @Inject
    BrokerHeartbeat heartbeat;

    private final LinkedBlockingQueue<Partition.AlterIsr> queue = new LinkedBlockingQueue<>();
    private volatile Thread thread;
    private boolean failing; // owned by runnel-alter-isr: warned once per outage, not per retry

    synchronized void start() {
        if (thread == null) {
            thread = Thread.ofPlatform().name("runnel-alter-isr").daemon().start(this::run);
        }
    }

    synchronized void stop() {
        if (thread != null) {
            thread.interrupt();
            thread = null;
        }
    }

    @Override
    public void submit(Partition.AlterIsr change) {
        queue.add(change);
    }

    private void run() {
        List<Partition.AlterIsr> retry = new ArrayList<>();
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Partition.AlterIsr change =
                        retry.isEmpty() ? queue.take() : queue.poll(RETRY_BACKOFF_MS, TimeUnit.MILLISECONDS);
                List<Partition.AlterIsr> batch = new ArrayList<>(retry);
                retry.clear();
                if (change != null) {
                    batch.add(change);
                }
                queue.drainTo(batch);
                for (Partition.AlterIsr each : batch) {
                    if (!apply(each)) {
                        retry.add(each);
                    }
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** False when PostgreSQL could not be asked and the change must be retried. */
    private boolean apply(Partition.AlterIsr change) {
        Partition partition = change.partition();
        List<Integer> added = new ArrayList<>();
        List<Long> epochs = new ArrayList<>();
        for (Map.Entry<Integer, Long> entry : change.addedBrokerEpochs().entrySet()) {
            added.add(entry.getKey());
            epochs.add(entry.getValue());
        }
        try {
            OptionalInt committed = store.alterIsr(
                    new java.util.UUID(
                            partition.topicId().getMostSignificantBits(),
                            partition.topicId().getLeastSignificantBits()),
                    partition.topicPartition().partition(),
                    config.nodeId(),
                    heartbeat.brokerEpoch(),
                    change.leaderEpoch(),
                    change.partitionEpoch(),
                    change.newIsr(),
                    added,
                    epochs);
            if (failing) {
                failing = false;
                LOG.info("ISR changes reach PostgreSQL again");
            }
            if (committed.isPresent()) {
                partition.onIsrCommitted(change, committed.getAsInt());
            } else {
                LOG.infof(
                        "%s: ISR change to %s at leader epoch %d, partition epoch %d was refused; a newer state exists",
                        partition.topicPartition(), change.newIsr(), change.leaderEpoch(), change.partitionEpoch());
                partition.onIsrRejected(change);
            }
            return true;
        } catch (RuntimeException e) {
            Logger.Level level = failing ? Logger.Level.DEBUG : Logger.Level.WARN;
            failing = true;
            LOG.logf(
                    level,
                    "%s: could not store the ISR change to %s, retrying every %d ms: %s",
                    partition.topicPartition(),
                    change.newIsr(),
                    RETRY_BACKOFF_MS,
                    e.toString());
            return false;
        }
    }
}
