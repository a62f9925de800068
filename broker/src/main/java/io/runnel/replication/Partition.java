package io.runnel.replication;

import io.runnel.cluster.PartitionState;
import io.runnel.log.AppendResult;
import io.runnel.log.BatchValidator;
import io.runnel.log.FetchIsolation;
import io.runnel.log.FetchedData;
import io.runnel.log.OffsetAndEpoch;
import io.runnel.log.PartitionLog;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.MemoryRecords;
import org.jboss.logging.Logger;

/**
 * One replica of a partition hosted on this broker: its log and its role, leader or follower.
 *
 * <p>As leader it tracks each follower's fetch state, grows and shrinks the ISR (proposing each
 * change to the {@link IsrChannel}, one at a time, as Kafka's AlterPartition), advances the high
 * watermark to the smallest log end offset over the maximal ISR (the committed ISR plus a member being
 * added, KIP-497), and completes acks=all appends once the high watermark covers them.
 *
 * <p>Role and ISR changes take the write lock; appends and follower fetch updates the read lock
 * (Kafka's {@code leaderIsrUpdateLock}), so an append never interleaves with a change of leadership.
 */
public final class Partition {

    private static final Logger LOG = Logger.getLogger(Partition.class);

    /** Where this replica's ISR changes go: the leader's AlterPartition. */
    public interface IsrChannel {
        void submit(AlterIsr change);
    }

    /** Whether a follower's broker may join an ISR: registered at this broker epoch, unfenced, not shutting down. */
    public interface IsrEligibility {
        boolean eligible(int brokerId, long brokerEpoch);
    }

    /** A proposed ISR for a partition, valid only at the leader and partition epochs it was made at. */
    public record AlterIsr(
            Partition partition,
            int leaderEpoch,
            int partitionEpoch,
            List<Integer> newIsr,
            Map<Integer, Long> addedBrokerEpochs) {}

    /** What a change of state asks of the replica fetchers. */
    public enum Transition {
        UNCHANGED,
        BECAME_LEADER,
        BECAME_FOLLOWER,
        OFFLINE
    }

    sealed interface Role permits Leader, Follower, None {}

    /** This broker leads at {@code leaderEpoch}; {@code maximalIsr} includes an addition in flight. */
    record Leader(
            int leaderEpoch,
            int partitionEpoch,
            List<Integer> replicas,
            List<Integer> isr,
            List<Integer> maximalIsr,
            boolean changeInFlight,
            long epochStartOffset)
            implements Role {

        /** This leadership with a committed ISR at {@code partitionEpoch}, nothing in flight. */
        Leader committed(int partitionEpoch, List<Integer> replicas, List<Integer> isr) {
            return new Leader(leaderEpoch, partitionEpoch, replicas, isr, isr, false, epochStartOffset);
        }

        /** This leadership with an ISR change in flight; the high watermark waits for {@code maximalIsr}. */
        Leader changing(List<Integer> maximalIsr) {
            return new Leader(leaderEpoch, partitionEpoch, replicas, isr, maximalIsr, true, epochStartOffset);
        }
    }

    record Follower(int leaderId, int leaderEpoch, int partitionEpoch) implements Role {}

    record None() implements Role {}

    private final PartitionLog log;
    private final Uuid topicId;
    private final int localId;
    private final IsrChannel isrChannel;
    private final IsrEligibility eligibility;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final Map<Integer, FollowerFetchState> followers = new ConcurrentHashMap<>();
    private final List<PendingAck> pendingAcks = new ArrayList<>();
    private volatile Role role = new None();

    public Partition(PartitionLog log, Uuid topicId, int localId, IsrChannel isrChannel, IsrEligibility eligibility) {
        this.log = log;
        this.topicId = topicId;
        this.localId = localId;
        this.isrChannel = isrChannel;
        this.eligibility = eligibility;
        log.onHighWatermark(l -> completePendingAcks());
    }

    public PartitionLog log() {
        return log;
    }

    public Uuid topicId() {
        return topicId;
    }

    public TopicPartition topicPartition() {
        return log.topicPartition();
    }

    /** The leader epoch this replica leads at, or -1 when it does not lead. */
    public int leaderEpochIfLeader() {
        return role instanceof Leader leader ? leader.leaderEpoch : -1;
    }

    /** The leader this replica follows at {@code leaderEpoch}, or -1. */
    public boolean followsAt(int leaderEpoch) {
        return role instanceof Follower follower && follower.leaderEpoch == leaderEpoch;
    }

    /** The committed ISR as this leader knows it (it may be ahead of the metadata image). */
    public List<Integer> isr() {
        return role instanceof Leader leader ? leader.isr : List.of();
    }

    /** Applies the partition's state from the metadata image. */
    public Transition applyState(PartitionState state, long nowMs) {
        lock.writeLock().lock();
        try {
            Role current = role;
            if (state.leader() == localId) {
                if (current instanceof Leader leader && leader.leaderEpoch == state.leaderEpoch()) {
                    if (state.partitionEpoch() > leader.partitionEpoch) {
                        role = leader.committed(state.partitionEpoch(), state.replicas(), state.isr());
                        maybeIncrementHighWatermark();
                    }
                    return Transition.UNCHANGED;
                }
                becomeLeader(state, nowMs);
                return Transition.BECAME_LEADER;
            }
            if (state.leader() == PartitionState.NO_LEADER) {
                boolean changed = !(current instanceof None);
                role = new None();
                failPendingAcks();
                return changed ? Transition.OFFLINE : Transition.UNCHANGED;
            }
            if (current instanceof Follower follower
                    && follower.leaderId == state.leader()
                    && follower.leaderEpoch == state.leaderEpoch()) {
                return Transition.UNCHANGED;
            }
            role = new Follower(state.leader(), state.leaderEpoch(), state.partitionEpoch());
            followers.clear();
            failPendingAcks();
            LOG.infof(
                    "%s: following broker %d at leader epoch %d from offset %d",
                    log.topicPartition(), state.leader(), state.leaderEpoch(), log.logEndOffset());
            return Transition.BECAME_FOLLOWER;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Stops serving: the partition left this broker or the broker stops. */
    public void close() {
        lock.writeLock().lock();
        try {
            role = new None();
            failPendingAcks();
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void becomeLeader(PartitionState state, long nowMs) {
        long startOffset = log.logEndOffset();
        log.assignEpochStartOffset(state.leaderEpoch(), startOffset);
        followers.clear();
        for (int replica : state.replicas()) {
            if (replica != localId) {
                followers.put(replica, FollowerFetchState.initial(state.isr().contains(replica), nowMs));
            }
        }
        role = new Leader(
                state.leaderEpoch(),
                state.partitionEpoch(),
                state.replicas(),
                state.isr(),
                state.isr(),
                false,
                startOffset);
        LOG.infof(
                "%s: leading at epoch %d from offset %d (high watermark %d), ISR %s",
                log.topicPartition(), state.leaderEpoch(), startOffset, log.highWatermark(), state.isr());
        maybeIncrementHighWatermark();
    }

    /**
     * Appends a producer's batches as leader: refuses acks=all when the ISR is smaller than
     * {@code min.insync.replicas} (NOT_ENOUGH_REPLICAS, before anything is written), validates, appends
     * and advances the high watermark where the ISR allows.
     */
    public AppendResult appendRecordsToLeader(MemoryRecords records, short acks, long nowMs) {
        lock.readLock().lock();
        try {
            if (!(role instanceof Leader leader)) {
                throw new NotLeaderOrFollowerException("Broker " + localId + " does not lead " + log.topicPartition());
            }
            int minIsr = log.config().minInsyncReplicas;
            if (acks == -1 && leader.isr.size() < minIsr) {
                throw new NotEnoughReplicasException("The in-sync replicas of " + log.topicPartition() + " ("
                        + leader.isr + ") are fewer than min.insync.replicas (" + minIsr + ")");
            }
            BatchValidator.Validated validated = BatchValidator.validate(records, log.config(), nowMs);
            AppendResult result = log.appendAsLeader(validated, leader.leaderEpoch, nowMs);
            maybeIncrementHighWatermark();
            return result;
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Completes when the high watermark reaches {@code requiredOffset} (an acks=all append's last
     * offset + 1): NONE when the ISR is then at least {@code min.insync.replicas}, else
     * NOT_ENOUGH_REPLICAS_AFTER_APPEND; NOT_LEADER_OR_FOLLOWER when leadership is lost first
     * ({@code Partition.checkEnoughReplicasReachOffset}).
     */
    public CompletableFuture<Errors> awaitReplication(long requiredOffset) {
        PendingAck ack = new PendingAck(requiredOffset, new CompletableFuture<>());
        synchronized (pendingAcks) {
            pendingAcks.add(ack);
        }
        ack.result.whenComplete((errors, failure) -> {
            synchronized (pendingAcks) {
                pendingAcks.remove(ack);
            }
        });
        completePendingAcks();
        return ack.result;
    }

    private record PendingAck(long requiredOffset, CompletableFuture<Errors> result) {}

    private void completePendingAcks() {
        List<PendingAck> ready;
        Errors outcome;
        synchronized (pendingAcks) {
            if (pendingAcks.isEmpty()) {
                return;
            }
            Role current = role;
            if (!(current instanceof Leader leader)) {
                outcome = Errors.NOT_LEADER_OR_FOLLOWER;
                ready = new ArrayList<>(pendingAcks);
            } else {
                long highWatermark = log.highWatermark();
                outcome = leader.isr.size() >= log.config().minInsyncReplicas
                        ? Errors.NONE
                        : Errors.NOT_ENOUGH_REPLICAS_AFTER_APPEND;
                ready = new ArrayList<>();
                for (PendingAck ack : pendingAcks) {
                    if (ack.requiredOffset <= highWatermark) {
                        ready.add(ack);
                    }
                }
            }
        }
        for (PendingAck ack : ready) {
            ack.result.complete(outcome);
        }
    }

    private void failPendingAcks() {
        List<PendingAck> all;
        synchronized (pendingAcks) {
            all = new ArrayList<>(pendingAcks);
        }
        for (PendingAck ack : all) {
            ack.result.complete(Errors.NOT_LEADER_OR_FOLLOWER);
        }
    }

    /**
     * Records a follower's fetch at {@code fetchOffset} (its log end), then grows the ISR and advances
     * the high watermark where that allows. {@code leaderLogEndOffset} is this log's end when the fetch
     * was read. Returns false when this broker does not lead at the moment.
     */
    public boolean updateFollowerFetchState(
            int replicaId,
            long brokerEpoch,
            long fetchOffset,
            long followerLogStartOffset,
            long nowMs,
            long leaderLogEndOffset) {
        boolean expand;
        lock.readLock().lock();
        try {
            if (!(role instanceof Leader leader) || !leader.replicas.contains(replicaId) || replicaId == localId) {
                return false;
            }
            FollowerFetchState previous = followers.getOrDefault(replicaId, FollowerFetchState.initial(false, nowMs));
            FollowerFetchState next =
                    previous.afterFetch(fetchOffset, followerLogStartOffset, nowMs, leaderLogEndOffset, brokerEpoch);
            followers.put(replicaId, next);
            expand = shouldExpandIsr(leader, replicaId, next);
            maybeIncrementHighWatermark();
        } finally {
            lock.readLock().unlock();
        }
        if (expand) {
            maybeExpandIsr(replicaId);
        }
        return true;
    }

    /**
     * A follower may join the ISR once it has everything up to the high watermark and everything of
     * the current leader epoch ({@code Partition.isFollowerAtHighwatermark}), from a broker that is
     * registered at the epoch it fetches with, unfenced and not shutting down (KIP-841, KIP-903).
     */
    private boolean shouldExpandIsr(Leader leader, int replicaId, FollowerFetchState state) {
        return !leader.changeInFlight
                && !leader.isr.contains(replicaId)
                && state.logEndOffset() >= log.highWatermark()
                && state.logEndOffset() >= leader.epochStartOffset
                && eligibility.eligible(replicaId, state.brokerEpoch());
    }

    private void maybeExpandIsr(int replicaId) {
        lock.writeLock().lock();
        try {
            if (!(role instanceof Leader leader)) {
                return;
            }
            FollowerFetchState state = followers.get(replicaId);
            if (state == null || !shouldExpandIsr(leader, replicaId, state)) {
                return;
            }
            List<Integer> newIsr = new ArrayList<>(leader.isr);
            newIsr.add(replicaId);
            role = leader.changing(List.copyOf(newIsr));
            LOG.infof(
                    "%s: adding broker %d to the ISR %s (its log end %d, high watermark %d)",
                    log.topicPartition(), replicaId, leader.isr, state.logEndOffset(), log.highWatermark());
            isrChannel.submit(new AlterIsr(
                    this,
                    leader.leaderEpoch,
                    leader.partitionEpoch,
                    List.copyOf(newIsr),
                    Map.of(replicaId, state.brokerEpoch())));
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Drops followers that have not caught up for {@code replica.lag.time.max.ms} from the ISR. Until
     * the change is committed the high watermark still waits for them (KIP-497).
     */
    public void maybeShrinkIsr(long nowMs, long maxLagMs) {
        lock.writeLock().lock();
        try {
            if (!(role instanceof Leader leader) || leader.changeInFlight) {
                return;
            }
            long leaderEnd = log.logEndOffset();
            List<Integer> outOfSync = new ArrayList<>();
            for (int replica : leader.isr) {
                FollowerFetchState state = followers.get(replica);
                if (replica != localId && state != null && state.outOfSync(leaderEnd, nowMs, maxLagMs)) {
                    outOfSync.add(replica);
                }
            }
            if (outOfSync.isEmpty()) {
                return;
            }
            List<Integer> newIsr = new ArrayList<>(leader.isr);
            newIsr.removeAll(outOfSync);
            role = leader.changing(leader.isr);
            LOG.infof(
                    "%s: shrinking the ISR from %s to %s: %s not caught up within %d ms (leader log end %d)",
                    log.topicPartition(), leader.isr, newIsr, outOfSync, maxLagMs, leaderEnd);
            isrChannel.submit(
                    new AlterIsr(this, leader.leaderEpoch, leader.partitionEpoch, List.copyOf(newIsr), Map.of()));
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** The ISR change made at {@code change}'s epochs is committed at {@code newPartitionEpoch}. */
    public void onIsrCommitted(AlterIsr change, int newPartitionEpoch) {
        lock.writeLock().lock();
        try {
            if (role instanceof Leader leader
                    && leader.leaderEpoch == change.leaderEpoch()
                    && leader.partitionEpoch == change.partitionEpoch()) {
                role = leader.committed(newPartitionEpoch, leader.replicas, change.newIsr());
                LOG.infof(
                        "%s: ISR is now %s (partition epoch %d)",
                        log.topicPartition(), change.newIsr(), newPartitionEpoch);
                maybeIncrementHighWatermark();
            }
        } finally {
            lock.writeLock().unlock();
        }
        completePendingAcks();
    }

    /** The ISR change was refused (a newer epoch got there first): wait for the metadata image. */
    public void onIsrRejected(AlterIsr change) {
        lock.writeLock().lock();
        try {
            if (role instanceof Leader leader
                    && leader.leaderEpoch == change.leaderEpoch()
                    && leader.partitionEpoch == change.partitionEpoch()) {
                role = leader.committed(leader.partitionEpoch, leader.replicas, leader.isr);
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Advances the high watermark to the smallest log end offset over the maximal ISR
     * ({@code Partition.maybeIncrementLeaderHW}); it never goes back.
     */
    private void maybeIncrementHighWatermark() {
        if (!(role instanceof Leader leader)) {
            return;
        }
        long candidate = highWatermarkCandidate(log.logEndOffset(), leader.maximalIsr, localId, followers);
        log.maybeIncrementHighWatermark(candidate);
    }

    /** The smallest log end offset over {@code maximalIsr}; a member not heard from yet holds it at -1. */
    static long highWatermarkCandidate(
            long leaderLogEndOffset, List<Integer> maximalIsr, int localId, Map<Integer, FollowerFetchState> states) {
        long candidate = leaderLogEndOffset;
        for (int replica : maximalIsr) {
            if (replica == localId) {
                continue;
            }
            FollowerFetchState state = states.get(replica);
            candidate = Math.min(candidate, state == null ? -1 : state.logEndOffset());
        }
        return candidate;
    }

    /**
     * What a fetch of this leader's log found: the records read, or, when the fetcher's last fetched
     * epoch does not continue here, that epoch's end on this log ({@code DivergingEpoch}) and nothing.
     */
    public record FetchResult(FetchedData data, OffsetAndEpoch divergingEpoch) {}

    /**
     * Reads for a consumer ({@code replicaId} -1, up to the high watermark) or a follower (up to the
     * log end, then recording its fetch state, which may grow the ISR and move the high watermark) —
     * Kafka's {@code Partition.fetchRecords}. A last fetched epoch this log does not have as such, or
     * that ends here before the fetch offset, answers with the divergence instead of records.
     *
     * @throws org.apache.kafka.common.errors.OffsetOutOfRangeException outside the log
     */
    public FetchResult fetch(
            int replicaId,
            long brokerEpoch,
            long fetchOffset,
            int lastFetchedEpoch,
            long followerLogStartOffset,
            int maxBytes,
            boolean minOneBatch,
            long nowMs) {
        boolean follower = replicaId >= 0;
        long leaderLogEnd = log.logEndOffset();
        if (lastFetchedEpoch >= 0) {
            OffsetAndEpoch end = log.endOffsetForEpoch(lastFetchedEpoch);
            if (end.leaderEpoch() < lastFetchedEpoch || end.offset() < fetchOffset) {
                return new FetchResult(null, end);
            }
        }
        FetchedData data = log.read(
                fetchOffset, maxBytes, minOneBatch, follower ? FetchIsolation.LOG_END : FetchIsolation.HIGH_WATERMARK);
        if (follower) {
            updateFollowerFetchState(replicaId, brokerEpoch, fetchOffset, followerLogStartOffset, nowMs, leaderLogEnd);
        }
        return new FetchResult(data, null);
    }

    /** Appends records fetched from the leader, if this replica still follows it at that epoch. */
    public boolean appendAsFollower(int leaderEpoch, MemoryRecords records) {
        return asFollower(leaderEpoch, l -> l.appendAsFollower(records));
    }

    /** Truncates this follower's log, if it still follows at that epoch. */
    public boolean truncateAsFollower(int leaderEpoch, long offset) {
        return asFollower(leaderEpoch, l -> l.truncateTo(offset));
    }

    /** Empties this follower's log to start at the leader's log start, if it still follows at that epoch. */
    public boolean truncateFullyAsFollower(int leaderEpoch, long offset) {
        return asFollower(leaderEpoch, l -> l.truncateFullyAndStartAt(offset));
    }

    /** Changes the log for the leader at {@code leaderEpoch}, unless leadership moved meanwhile. */
    private boolean asFollower(int leaderEpoch, Consumer<PartitionLog> change) {
        lock.readLock().lock();
        try {
            if (!followsAt(leaderEpoch)) {
                return false;
            }
            change.accept(log);
            return true;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** For logs and tests: the role. */
    Role role() {
        return role;
    }

    @Override
    public String toString() {
        return log.topicPartition() + " " + role;
    }
}
