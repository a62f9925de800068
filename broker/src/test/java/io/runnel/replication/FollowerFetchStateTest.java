package io.runnel.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.log.OffsetAndEpoch;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The leader's arithmetic over followers: caught-up time, out-of-sync, high watermark, divergence. */
class FollowerFetchStateTest {

    @Test
    void aFetchFromTheLeadersLogEndIsCaughtUpNow() {
        FollowerFetchState state = FollowerFetchState.initial(false, 0).afterFetch(100, 0, 5_000, 100, 7);
        assertThat(state.lastCaughtUpTimeMs()).isEqualTo(5_000);
        assertThat(state.logEndOffset()).isEqualTo(100);
        assertThat(state.brokerEpoch()).isEqualTo(7);
    }

    @Test
    void aFetchFromWhereTheLeaderEndedAtThePreviousFetchWasCaughtUpThen() {
        FollowerFetchState first = FollowerFetchState.initial(false, 0).afterFetch(50, 0, 1_000, 100, 7);
        assertThat(first.lastCaughtUpTimeMs()).isZero();
        FollowerFetchState second = first.afterFetch(100, 0, 2_000, 150, 7);
        assertThat(second.lastCaughtUpTimeMs()).isEqualTo(1_000);
        FollowerFetchState third = second.afterFetch(120, 0, 3_000, 200, 7);
        assertThat(third.lastCaughtUpTimeMs())
                .as("behind where the leader ended before")
                .isEqualTo(1_000);
    }

    @Test
    void outOfSyncOnlyWhenBehindForLongerThanTheLag() {
        FollowerFetchState state = FollowerFetchState.initial(true, 1_000).afterFetch(90, 0, 2_000, 100, 7);
        assertThat(state.outOfSync(100, 31_000, 30_000)).isFalse();
        assertThat(state.outOfSync(100, 31_001, 30_000)).isTrue();
        assertThat(state.afterFetch(100, 0, 40_000, 100, 7).outOfSync(100, 40_000, 30_000))
                .isFalse();
        FollowerFetchState atEnd = FollowerFetchState.initial(false, 0).afterFetch(100, 0, 1_000, 120, 7);
        assertThat(atEnd.outOfSync(100, 100_000, 30_000))
                .as("at the leader's log end")
                .isFalse();
    }

    @Test
    void theHighWatermarkIsTheSmallestLogEndOverTheMaximalIsr() {
        Map<Integer, FollowerFetchState> states = Map.of(
                2, FollowerFetchState.initial(true, 0).afterFetch(80, 0, 1, 100, 1),
                3, FollowerFetchState.initial(true, 0).afterFetch(60, 0, 1, 100, 1));
        assertThat(Partition.highWatermarkCandidate(100, List.of(1, 2, 3), 1, states))
                .isEqualTo(60);
        assertThat(Partition.highWatermarkCandidate(100, List.of(1, 2), 1, states))
                .isEqualTo(80);
        assertThat(Partition.highWatermarkCandidate(100, List.of(1), 1, states)).isEqualTo(100);
        assertThat(Partition.highWatermarkCandidate(100, List.of(1, 4), 1, states))
                .as("a member not heard from holds it")
                .isEqualTo(-1);
    }

    @Test
    void aDivergingFollowerTruncatesToTheSmallerEndOfTheEpoch() {
        // the leader's epoch 3 ends at 120; this follower has epoch 3 up to 150
        assertThat(ReplicaFetcher.divergenceTruncationOffset(3, 120, new OffsetAndEpoch(150, 3), 150))
                .isEqualTo(120);
        // this follower's largest epoch up to 3 is 2, ending at 90: truncate there and ask again
        assertThat(ReplicaFetcher.divergenceTruncationOffset(3, 120, new OffsetAndEpoch(90, 2), 150))
                .isEqualTo(90);
        // no epoch that old here
        assertThat(ReplicaFetcher.divergenceTruncationOffset(3, 120, new OffsetAndEpoch(-1, -1), 150))
                .isEqualTo(120);
        assertThat(ReplicaFetcher.divergenceTruncationOffset(3, 120, new OffsetAndEpoch(-1, -1), 100))
                .isEqualTo(100);
    }
}
