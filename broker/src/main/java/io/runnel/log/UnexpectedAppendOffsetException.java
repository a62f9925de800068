package io.runnel.log;

/**
 * A follower append whose first batch starts below the log end offset (Kafka's exception of the
 * same name). The fetcher can recover when its log is empty: the leader's log start offset lies
 * inside a batch (DeleteRecords), so the follower starts its log at that batch's base offset.
 */
public final class UnexpectedAppendOffsetException extends RuntimeException {

    private final long firstOffset;
    private final long lastOffset;

    UnexpectedAppendOffsetException(String message, long firstOffset, long lastOffset) {
        super(message);
        this.firstOffset = firstOffset;
        this.lastOffset = lastOffset;
    }

    /** The base offset of the first batch of the refused append. */
    public long firstOffset() {
        return firstOffset;
    }

    /** The last offset of the refused append. */
    public long lastOffset() {
        return lastOffset;
    }
}
