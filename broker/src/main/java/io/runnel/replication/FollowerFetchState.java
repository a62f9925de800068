package io.runnel.replication;

/**
 * What a leader knows of one follower from its fetches (Kafka's {@code ReplicaState}): its log end
 * and log start offsets, when it last fetched and what the leader's log end was then, and when it
 * was last caught up.
 */
public record FollowerFetchState(
        long logEndOffset,
        long logStartOffset,
        long lastFetchTimeMs,
        long lastFetchLeaderLogEndOffset,
        long lastCaughtUpTimeMs,
        long brokerEpoch) {

    /** A follower the leader has not heard from; an ISR member counts as caught up when leadership starts. */
    public static FollowerFetchState initial(boolean inSync, long nowMs) {
        return new FollowerFetchState(-1, -1, 0, -1, inSync ? nowMs : 0, -1);
    }

    /**
     * The state after a fetch at {@code fetchOffset} (the follower's log end). The follower is caught
     * up now if it fetched from the leader's current log end; it was caught up at its previous fetch
     * if it now fetches from where the leader's log ended then ({@code Replica.updateFetchState}).
     */
    public FollowerFetchState afterFetch(
            long fetchOffset, long followerLogStartOffset, long nowMs, long leaderLogEndOffset, long brokerEpoch) {
        long caughtUp = lastCaughtUpTimeMs;
        if (fetchOffset >= leaderLogEndOffset) {
            caughtUp = Math.max(caughtUp, nowMs);
        } else if (fetchOffset >= lastFetchLeaderLogEndOffset) {
            caughtUp = Math.max(caughtUp, lastFetchTimeMs);
        }
        return new FollowerFetchState(
                fetchOffset, followerLogStartOffset, nowMs, leaderLogEndOffset, caughtUp, brokerEpoch);
    }

    /**
     * Out of sync: behind the leader's log end and not caught up for longer than
     * {@code replica.lag.time.max.ms} ({@code Partition.isFollowerOutOfSync}).
     */
    public boolean outOfSync(long leaderLogEndOffset, long nowMs, long maxLagMs) {
        return logEndOffset != leaderLogEndOffset && nowMs - lastCaughtUpTimeMs > maxLagMs;
    }
}
