package io.runnel.log;

/**
 * How far a read may go (Kafka's {@code FetchIsolation}): followers replicate everything the leader
 * has, up to its log end offset; consumers see only committed records, below the high watermark.
 * Without transactions the last stable offset is the high watermark, so read_committed consumers
 * read to it as well.
 */
public enum FetchIsolation {
    LOG_END,
    HIGH_WATERMARK
}
