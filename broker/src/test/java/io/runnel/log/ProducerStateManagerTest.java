package io.runnel.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnel.log.ProducerStateManager.BatchMetadata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProducerStateManagerTest {

    private static final long PID = 1000L;
    private static final short EPOCH = 3;
    private static final long TS = 1_700_000_000_000L;

    @TempDir
    Path dir;

    private final ProducerStateManager state = new ProducerStateManager();
    private long nextOffset;

    /** Checks and appends a batch of {@code count} records the way PartitionLog does; returns its metadata. */
    private BatchMetadata append(long pid, short epoch, int firstSeq, int count) {
        ProducerStateManager.Append append = state.begin();
        int lastSeq = firstSeq + count - 1;
        assertThat(append.check(pid, epoch, firstSeq, lastSeq)).isNull();
        BatchMetadata batch = new BatchMetadata(firstSeq, lastSeq, nextOffset, nextOffset + count - 1, TS);
        append.record(pid, epoch, batch);
        append.commit();
        nextOffset += count;
        return batch;
    }

    private BatchMetadata check(long pid, short epoch, int firstSeq, int lastSeq) {
        return state.begin().check(pid, epoch, firstSeq, lastSeq);
    }

    @Test
    void unknownProducerMayStartAtAnySequence() {
        assertThat(check(PID, EPOCH, 0, 0)).isNull();
        assertThat(check(PID, EPOCH, 42, 44)).isNull();
        assertThat(check(PID, (short) 0, 1_000_000, 1_000_000)).isNull();

        append(PID, EPOCH, 42, 3);

        assertThat(check(PID, EPOCH, 45, 45)).isNull();
        assertThat(state.size()).isEqualTo(1);
    }

    @Test
    void acceptsBatchesInSequence() {
        append(PID, EPOCH, 0, 3);
        append(PID, EPOCH, 3, 1);
        append(PID, EPOCH, 4, 10);

        assertThat(check(PID, EPOCH, 14, 20)).isNull();
    }

    @Test
    void recognisesRetriesOfTheLastFiveBatches() {
        BatchMetadata[] batches = new BatchMetadata[6];
        for (int i = 0; i < 6; i++) {
            batches[i] = append(PID, EPOCH, i * 2, 2);
        }

        // the last five are remembered, with their offsets
        for (int i = 1; i < 6; i++) {
            assertThat(check(PID, EPOCH, i * 2, i * 2 + 1)).isEqualTo(batches[i]);
        }
        assertThat(check(PID, EPOCH, 10, 11).firstOffset()).isEqualTo(10);
        assertThat(check(PID, EPOCH, 10, 11).lastOffset()).isEqualTo(11);
        // the first one has dropped out of the window: it is neither a duplicate nor in sequence
        assertThatThrownBy(() -> check(PID, EPOCH, 0, 1)).isInstanceOf(OutOfOrderSequenceException.class);
    }

    @Test
    void duplicateMustMatchTheWholeSequenceRange() {
        append(PID, EPOCH, 0, 5);

        assertThatThrownBy(() -> check(PID, EPOCH, 0, 3)).isInstanceOf(OutOfOrderSequenceException.class);
        assertThatThrownBy(() -> check(PID, EPOCH, 1, 4)).isInstanceOf(OutOfOrderSequenceException.class);
    }

    @Test
    void duplicateOfAnotherProducerIsNotADuplicate() {
        append(PID, EPOCH, 0, 1);

        assertThat(check(PID + 1, EPOCH, 0, 0)).isNull();
    }

    @Test
    void refusesSequenceGap() {
        append(PID, EPOCH, 0, 5);

        assertThatThrownBy(() -> check(PID, EPOCH, 6, 6))
                .isInstanceOf(OutOfOrderSequenceException.class)
                .hasMessageContaining("expected 5");
        assertThatThrownBy(() -> check(PID, EPOCH, 3, 7)).isInstanceOf(OutOfOrderSequenceException.class);
        assertThat(check(PID, EPOCH, 5, 5)).isNull();
    }

    @Test
    void sequenceWrapsAfterIntegerMaxValue() {
        append(PID, EPOCH, Integer.MAX_VALUE - 1, 2);

        assertThat(check(PID, EPOCH, 0, 3)).isNull();
        assertThatThrownBy(() -> check(PID, EPOCH, 1, 1)).isInstanceOf(OutOfOrderSequenceException.class);
    }

    @Test
    void fencesOlderEpoch() {
        append(PID, EPOCH, 0, 1);

        assertThatThrownBy(() -> check(PID, (short) (EPOCH - 1), 1, 1))
                .isInstanceOf(InvalidProducerEpochException.class);
        assertThatThrownBy(() -> check(PID, (short) 0, 0, 0)).isInstanceOf(InvalidProducerEpochException.class);
    }

    @Test
    void newEpochMustStartAtSequenceZero() {
        append(PID, EPOCH, 0, 7);
        short next = (short) (EPOCH + 1);

        assertThatThrownBy(() -> check(PID, next, 7, 7))
                .isInstanceOf(OutOfOrderSequenceException.class)
                .hasMessageContaining("expected 0");
        assertThat(check(PID, next, 0, 0)).isNull();
    }

    @Test
    void newEpochReplacesTheProducersBatchesAndFencesTheOldOne() {
        append(PID, EPOCH, 0, 7);
        short next = (short) (EPOCH + 1);
        append(PID, next, 0, 2);

        // a retry from the old epoch is fenced, not treated as a duplicate
        assertThatThrownBy(() -> check(PID, EPOCH, 0, 6)).isInstanceOf(InvalidProducerEpochException.class);
        // the new epoch's batches are what is remembered
        assertThat(check(PID, next, 0, 1)).isNotNull();
        assertThat(check(PID, next, 2, 2)).isNull();
        assertThatThrownBy(() -> check(PID, next, 7, 7)).isInstanceOf(OutOfOrderSequenceException.class);
    }

    @Test
    void uncommittedAppendChangesNothing() {
        append(PID, EPOCH, 0, 1);
        ProducerStateManager.Append append = state.begin();
        append.record(PID, EPOCH, new BatchMetadata(1, 1, 1, 1, TS));
        append.record(PID + 1, EPOCH, new BatchMetadata(0, 0, 2, 2, TS));
        // not committed

        assertThat(state.size()).isEqualTo(1);
        assertThat(check(PID, EPOCH, 1, 1)).isNull();
        assertThat(check(PID, EPOCH, 0, 0)).isNotNull();
    }

    @Test
    void anAppendSeesItsOwnEarlierRecords() {
        append(PID, EPOCH, 0, 1);
        ProducerStateManager.Append append = state.begin();
        append.record(PID, EPOCH, new BatchMetadata(1, 1, 1, 1, TS));

        assertThat(append.check(PID, EPOCH, 1, 1)).isNotNull(); // a duplicate of what this append recorded
        assertThat(append.check(PID, EPOCH, 2, 2)).isNull();
        assertThatThrownBy(() -> append.check(PID, EPOCH, 3, 3)).isInstanceOf(OutOfOrderSequenceException.class);
    }

    @Test
    void replayedBatchesAreRememberedWithoutChecks() {
        state.replay(PID, EPOCH, 10, 14, 100, 104, TS);
        state.replay(PID, EPOCH, 20, 20, 105, 105, TS); // a gap is not checked on replay
        state.replay(PID + 1, (short) 0, 0, 0, 106, 106, TS);

        assertThat(state.size()).isEqualTo(2);
        assertThat(check(PID, EPOCH, 10, 14)).isEqualTo(new BatchMetadata(10, 14, 100, 104, TS));
        assertThat(check(PID, EPOCH, 21, 21)).isNull();

        state.replay(PID, (short) (EPOCH + 1), 0, 0, 107, 107, TS);
        assertThat(check(PID, (short) (EPOCH + 1), 0, 0).firstOffset()).isEqualTo(107);
        assertThatThrownBy(() -> check(PID, EPOCH, 21, 21)).isInstanceOf(InvalidProducerEpochException.class);
    }

    @Test
    void snapshotRoundTrip() throws IOException {
        BatchMetadata[] batches = new BatchMetadata[7];
        for (int i = 0; i < 7; i++) {
            batches[i] = append(PID, EPOCH, i, 1);
        }
        append(PID + 1, (short) 0, 100, 3);
        append(PID + 2, Short.MAX_VALUE, 0, 1);

        ProducerStateManager.writeSnapshot(dir, state.snapshot(nextOffset));
        ProducerStateManager loaded = new ProducerStateManager();

        assertThat(loaded.loadSnapshot(dir)).isEqualTo(nextOffset);
        assertThat(loaded.size()).isEqualTo(3);
        for (int i = 2; i < 7; i++) {
            assertThat(loaded.begin().check(PID, EPOCH, i, i)).isEqualTo(batches[i]);
        }
        assertThatThrownBy(() -> loaded.begin().check(PID, EPOCH, 1, 1))
                .isInstanceOf(OutOfOrderSequenceException.class);
        assertThat(loaded.begin().check(PID, EPOCH, 7, 7)).isNull();
        assertThat(loaded.begin().check(PID + 1, (short) 0, 100, 102)).isNotNull();
        assertThat(loaded.begin().check(PID + 2, Short.MAX_VALUE, 0, 0)).isNotNull();
        assertThatThrownBy(() -> loaded.begin().check(PID, (short) (EPOCH - 1), 0, 0))
                .isInstanceOf(InvalidProducerEpochException.class);
        assertThat(Files.exists(dir.resolve(ProducerStateManager.SNAPSHOT_FILE + ".tmp")))
                .isFalse();
    }

    @Test
    void snapshotOfEmptyStateRoundTrips() throws IOException {
        ProducerStateManager.writeSnapshot(dir, state.snapshot(0));
        ProducerStateManager loaded = new ProducerStateManager();
        loaded.replay(PID, EPOCH, 0, 0, 0, 0, TS);

        assertThat(loaded.loadSnapshot(dir)).isZero();
        assertThat(loaded.size()).isZero();
    }

    @Test
    void snapshotWithCorruptByteIsRejected() throws IOException {
        append(PID, EPOCH, 0, 5);
        byte[] snapshot = state.snapshot(5);
        Path file = dir.resolve(ProducerStateManager.SNAPSHOT_FILE);

        for (int i = 0; i < snapshot.length; i++) {
            byte[] corrupt = snapshot.clone();
            corrupt[i] ^= 0x04;
            Files.write(file, corrupt);
            ProducerStateManager loaded = new ProducerStateManager();
            loaded.replay(PID + 9, EPOCH, 0, 0, 0, 0, TS);

            assertThat(loaded.loadSnapshot(dir)).as("byte %d flipped", i).isEqualTo(-1);
            assertThat(loaded.size()).as("state cleared").isZero();
        }
    }

    @Test
    void truncatedOrMissingSnapshotIsRejected() throws IOException {
        append(PID, EPOCH, 0, 5);
        byte[] snapshot = state.snapshot(5);
        Path file = dir.resolve(ProducerStateManager.SNAPSHOT_FILE);
        ProducerStateManager loaded = new ProducerStateManager();

        assertThat(loaded.loadSnapshot(dir)).isEqualTo(-1);
        Files.write(file, java.util.Arrays.copyOf(snapshot, snapshot.length - 1));
        assertThat(loaded.loadSnapshot(dir)).isEqualTo(-1);
        Files.write(file, java.util.Arrays.copyOf(snapshot, 10));
        assertThat(loaded.loadSnapshot(dir)).isEqualTo(-1);
        Files.write(file, new byte[0]);
        assertThat(loaded.loadSnapshot(dir)).isEqualTo(-1);
        Files.write(file, snapshot);
        assertThat(loaded.loadSnapshot(dir)).isEqualTo(5);
    }

    @Test
    void snapshotWithUnknownVersionIsRejected() throws IOException {
        append(PID, EPOCH, 0, 1);
        byte[] snapshot = state.snapshot(1);
        snapshot[3] = 2; // version 2, with a CRC to match
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(snapshot, 0, snapshot.length - 4);
        java.nio.ByteBuffer.wrap(snapshot).putInt(snapshot.length - 4, (int) crc.getValue());
        Files.write(dir.resolve(ProducerStateManager.SNAPSHOT_FILE), snapshot);

        assertThat(new ProducerStateManager().loadSnapshot(dir)).isEqualTo(-1);
    }

    @Test
    void expiresProducersIdleForLongerThanTheExpiration() {
        ProducerStateManager.Append append = state.begin();
        append.record(PID, EPOCH, new BatchMetadata(0, 0, 0, 0, 1_000));
        append.record(PID + 1, EPOCH, new BatchMetadata(0, 0, 1, 1, 5_000));
        append.commit();

        state.expire(11_000, 10_000, 0);
        assertThat(state.size()).isEqualTo(2);

        state.expire(11_001, 10_000, 0);
        assertThat(state.size()).isEqualTo(1);
        assertThat(check(PID, EPOCH, 5, 5)).as("forgotten: any sequence again").isNull();
        assertThatThrownBy(() -> check(PID + 1, EPOCH, 5, 5)).isInstanceOf(OutOfOrderSequenceException.class);

        state.expire(15_001, 10_000, 0);
        assertThat(state.size()).isZero();
    }

    @Test
    void expiryUsesTheLatestBatchTimestamp() {
        ProducerStateManager.Append append = state.begin();
        append.record(PID, EPOCH, new BatchMetadata(0, 0, 0, 0, 9_000));
        append.record(PID, EPOCH, new BatchMetadata(1, 1, 1, 1, 2_000));
        append.commit();

        state.expire(18_000, 10_000, 0);

        assertThat(state.size()).isEqualTo(1);
    }

    @Test
    void expiresProducersWhoseBatchesAreAllBelowTheLogStart() {
        append(PID, EPOCH, 0, 10); // offsets 0-9
        append(PID + 1, EPOCH, 0, 1); // offset 10

        state.expire(TS, Long.MAX_VALUE, 10);
        assertThat(state.size()).isEqualTo(1);
        assertThat(check(PID, EPOCH, 77, 77)).isNull();

        state.expire(TS, Long.MAX_VALUE, 11);
        assertThat(state.size()).isZero();
    }

    @Test
    void clearForgetsEverything() {
        append(PID, EPOCH, 0, 1);
        state.clear();

        assertThat(state.size()).isZero();
        assertThat(check(PID, EPOCH, 9, 9)).isNull();
    }
}
