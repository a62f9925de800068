package io.runnel.log;

import org.apache.kafka.common.record.Records;

/**
 * What a read found: a range of stored batches to send as they are (a file slice, or empty), and the
 * offsets a fetch response reports with it.
 */
public record FetchedData(Records records, long highWatermark, long logStartOffset, long logEndOffset) {

    public int sizeInBytes() {
        return records.sizeInBytes();
    }
}
