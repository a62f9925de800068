package io.runnel.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnel.log.LeaderEpochCache.EpochEntry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LeaderEpochCacheTest {

    @TempDir
    Path dir;

    private Path file;
    private LeaderEpochCache cache;

    @BeforeEach
    void setUp() {
        file = dir.resolve(LeaderEpochCache.FILE);
        cache = new LeaderEpochCache(file);
    }

    /** Epoch 0 from offset 0, epoch 1 from 10, epoch 3 from 20 (epoch 2 wrote nothing here). */
    private void threeEpochs() {
        cache.assign(0, 0);
        cache.assign(1, 10);
        cache.assign(3, 20);
    }

    // ---- assign

    @Test
    void assignRecordsWhereEachNewerEpochBegins() {
        assertThat(cache.latestEpoch()).isEmpty();

        threeEpochs();

        assertThat(cache.epochEntries())
                .containsExactly(new EpochEntry(0, 0), new EpochEntry(1, 10), new EpochEntry(3, 20));
        assertThat(cache.latestEpoch()).hasValue(3);
        assertThat(cache.epochEntry(1)).contains(new EpochEntry(1, 10));
        assertThat(cache.epochEntry(2)).isEmpty();
    }

    @Test
    void theLatestEpochAgainAtALaterOffsetChangesNothing() {
        threeEpochs();

        cache.assign(3, 25);

        assertThat(cache.epochEntries()).last().isEqualTo(new EpochEntry(3, 20));
    }

    @Test
    void theLatestEpochAtAnEarlierOffsetMovesItsStart() {
        threeEpochs();

        cache.assign(3, 15);

        assertThat(cache.epochEntries())
                .containsExactly(new EpochEntry(0, 0), new EpochEntry(1, 10), new EpochEntry(3, 15));
    }

    @Test
    void aNewEpochStartingWhereTheLatestStartedReplacesIt() {
        // a leader of epoch 3 took over at offset 20 and wrote nothing before epoch 4 began
        threeEpochs();

        cache.assign(4, 20);

        assertThat(cache.epochEntries())
                .containsExactly(new EpochEntry(0, 0), new EpochEntry(1, 10), new EpochEntry(4, 20));
    }

    @Test
    void anOlderEpochRemovesTheEntriesItContradicts() {
        threeEpochs();

        cache.assign(2, 12);

        assertThat(cache.epochEntries())
                .containsExactly(new EpochEntry(0, 0), new EpochEntry(1, 10), new EpochEntry(2, 12));
    }

    @Test
    void negativeEpochsAndOffsetsAreRefused() {
        assertThatThrownBy(() -> cache.assign(-1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> cache.assign(0, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(cache.epochEntries()).isEmpty();
    }

    // ---- endOffsetFor (KIP-101, KIP-279)

    @Test
    void theLatestEpochEndsAtTheLogEndOffset() {
        threeEpochs();

        assertThat(cache.endOffsetFor(3, 30)).isEqualTo(new OffsetAndEpoch(30, 3));
    }

    @Test
    void anEarlierEpochEndsWhereTheNextEpochBegins() {
        threeEpochs();

        assertThat(cache.endOffsetFor(0, 30)).isEqualTo(new OffsetAndEpoch(10, 0));
        assertThat(cache.endOffsetFor(1, 30)).isEqualTo(new OffsetAndEpoch(20, 1));
    }

    @Test
    void anEpochUnknownHereIsAnsweredWithTheLargestEpochBelowIt() {
        // KIP-279: epoch 2 never wrote here; the follower learns that epoch 1 ended at 20
        threeEpochs();

        assertThat(cache.endOffsetFor(2, 30)).isEqualTo(new OffsetAndEpoch(20, 1));
    }

    @Test
    void anEpochOlderThanTheHistoryEndsWhereTheHistoryBegins() {
        cache.assign(2, 5);
        cache.assign(4, 9);

        assertThat(cache.endOffsetFor(1, 30)).isEqualTo(new OffsetAndEpoch(5, 1));
        assertThat(cache.endOffsetFor(0, 30)).isEqualTo(new OffsetAndEpoch(5, 0));
    }

    @Test
    void anEpochNewerThanTheLatestIsUndefined() {
        threeEpochs();

        assertThat(cache.endOffsetFor(4, 30)).isEqualTo(OffsetAndEpoch.UNDEFINED);
    }

    @Test
    void theUndefinedEpochAndAnEmptyHistoryAreUndefined() {
        assertThat(cache.endOffsetFor(0, 30)).isEqualTo(OffsetAndEpoch.UNDEFINED);
        threeEpochs();
        assertThat(cache.endOffsetFor(-1, 30)).isEqualTo(OffsetAndEpoch.UNDEFINED);
        assertThat(OffsetAndEpoch.UNDEFINED).isEqualTo(new OffsetAndEpoch(-1, -1));
    }

    @Test
    void epochForOffsetIsTheEpochTheOffsetWasWrittenIn() {
        assertThat(cache.epochForOffset(5)).isEmpty();
        threeEpochs();

        assertThat(cache.epochForOffset(0)).hasValue(0);
        assertThat(cache.epochForOffset(9)).hasValue(0);
        assertThat(cache.epochForOffset(10)).hasValue(1);
        assertThat(cache.epochForOffset(19)).hasValue(1);
        assertThat(cache.epochForOffset(1_000)).hasValue(3);

        cache.truncateFromStart(12);
        assertThat(cache.epochForOffset(11)).isEqualTo(OptionalInt.empty());
    }

    // ---- truncation

    @Test
    void truncateFromEndRemovesTheEpochsThatBeganAtOrAfterTheNewEnd() {
        threeEpochs();

        cache.truncateFromEnd(25);
        assertThat(cache.epochEntries()).hasSize(3);

        cache.truncateFromEnd(20);
        assertThat(cache.epochEntries()).containsExactly(new EpochEntry(0, 0), new EpochEntry(1, 10));
        // epoch 1 is the latest again: it ends at the (new) log end offset
        assertThat(cache.endOffsetFor(1, 20)).isEqualTo(new OffsetAndEpoch(20, 1));
        assertThat(cache.endOffsetFor(3, 20)).isEqualTo(OffsetAndEpoch.UNDEFINED);

        cache.truncateFromEnd(0);
        assertThat(cache.epochEntries()).isEmpty();
    }

    @Test
    void truncateFromStartKeepsTheEpochCoveringTheNewStart() {
        threeEpochs();

        cache.truncateFromStart(5);
        assertThat(cache.epochEntries())
                .containsExactly(new EpochEntry(0, 5), new EpochEntry(1, 10), new EpochEntry(3, 20));

        cache.truncateFromStart(10);
        assertThat(cache.epochEntries()).containsExactly(new EpochEntry(1, 10), new EpochEntry(3, 20));

        cache.truncateFromStart(25);
        assertThat(cache.epochEntries()).containsExactly(new EpochEntry(3, 25));
        assertThat(cache.endOffsetFor(1, 30)).isEqualTo(new OffsetAndEpoch(25, 1));
    }

    @Test
    void clearAndFlushForgetsEverything() throws IOException {
        threeEpochs();

        cache.clearAndFlush();

        assertThat(cache.epochEntries()).isEmpty();
        assertThat(Files.readString(file)).isEqualTo("0\n0\n");
        LeaderEpochCache reread = new LeaderEpochCache(file);
        assertThat(reread.loadedFromCheckpoint()).isTrue();
        assertThat(reread.epochEntries()).isEmpty();
    }

    // ---- the checkpoint file

    @Test
    void theCheckpointIsKafkasTextFormat() throws IOException {
        threeEpochs();

        assertThat(Files.readString(file, StandardCharsets.US_ASCII)).isEqualTo("0\n3\n0 0\n1 10\n3 20\n");
    }

    @Test
    void everyChangeSurvivesReopening() {
        threeEpochs();
        assertThat(new LeaderEpochCache(file).epochEntries()).isEqualTo(cache.epochEntries());

        cache.truncateFromEnd(20);
        assertThat(new LeaderEpochCache(file).epochEntries()).isEqualTo(cache.epochEntries());

        cache.truncateFromStart(12);
        LeaderEpochCache reread = new LeaderEpochCache(file);
        assertThat(reread.loadedFromCheckpoint()).isTrue();
        assertThat(reread.epochEntries()).containsExactly(new EpochEntry(1, 12));
    }

    @Test
    void aMissingOrUnreadableCheckpointLoadsNothing() throws IOException {
        assertThat(new LeaderEpochCache(file).loadedFromCheckpoint()).isFalse();

        Files.writeString(file, "0\n2\n0 0\n");
        LeaderEpochCache truncated = new LeaderEpochCache(file);
        assertThat(truncated.loadedFromCheckpoint()).isFalse();
        assertThat(truncated.epochEntries()).isEmpty();

        Files.writeString(file, "0\n1\nzero 0\n");
        assertThat(new LeaderEpochCache(file).loadedFromCheckpoint()).isFalse();

        Files.writeString(file, "1\n0\n");
        assertThat(new LeaderEpochCache(file).loadedFromCheckpoint()).isFalse();
    }
}
