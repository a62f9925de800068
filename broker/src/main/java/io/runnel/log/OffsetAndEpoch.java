package io.runnel.log;

/**
 * An offset with the leader epoch it belongs to, as OffsetsForLeaderEpoch answers it (KIP-101): for
 * an epoch, the offset where it ended. {@link #UNDEFINED} (-1, -1) means the epoch is unknown here.
 */
public record OffsetAndEpoch(long offset, int leaderEpoch) {

    /** Kafka's {@code UNDEFINED_EPOCH_OFFSET} and {@code UNDEFINED_EPOCH}. */
    public static final OffsetAndEpoch UNDEFINED = new OffsetAndEpoch(-1L, -1);
}
