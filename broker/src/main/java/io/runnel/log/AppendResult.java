package io.runnel.log;

/**
 * Where an append landed: the offsets of its first and last record, the log append time (or -1 for
 * CreateTime topics), and the log start offset at that moment. A retried batch that was already in
 * the log comes back as a duplicate with the offsets it got the first time.
 */
public record AppendResult(
        long firstOffset, long lastOffset, long logAppendTime, long logStartOffset, int records, boolean duplicate) {}
