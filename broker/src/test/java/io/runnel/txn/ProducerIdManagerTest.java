package io.runnel.txn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import org.apache.kafka.common.errors.CoordinatorLoadInProgressException;
import org.junit.jupiter.api.Test;

class ProducerIdManagerTest {

    /** Blocks as producer_id_blocks hands them out, or a failure while "PostgreSQL" is down. */
    private static final class Blocks implements Supplier<CompletableFuture<Long>> {
        long nextFirst = 5_000;
        boolean down;
        int fetches;
        /** When set, a fetch completes only when this does, as on the metadata thread. */
        CompletableFuture<Void> gate;

        @Override
        public CompletableFuture<Long> get() {
            fetches++;
            if (down) {
                return CompletableFuture.failedFuture(new IllegalStateException("PostgreSQL is down"));
            }
            long first = nextFirst;
            nextFirst += ProducerIdManager.BLOCK_SIZE;
            return gate == null ? CompletableFuture.completedFuture(first) : gate.thenApply(ignored -> first);
        }
    }

    private static long next(ProducerIdManager ids) throws Exception {
        return ids.nextProducerId().get();
    }

    @Test
    void idsAreConsecutiveWithinABlockAndTheNextBlockIsFetchedAtNinetyPercent() throws Exception {
        Blocks blocks = new Blocks();
        ProducerIdManager ids = new ProducerIdManager(blocks);
        assertThat(next(ids)).isEqualTo(5_000);
        assertThat(blocks.fetches).isEqualTo(1);
        for (int i = 1; i < ProducerIdManager.PREFETCH_AFTER; i++) {
            assertThat(next(ids)).isEqualTo(5_000 + i);
        }
        assertThat(blocks.fetches)
                .as("nothing fetched before 90%% of the block is used")
                .isEqualTo(1);
        assertThat(next(ids)).isEqualTo(5_000 + ProducerIdManager.PREFETCH_AFTER);
        assertThat(blocks.fetches).as("the next block fetched at 90%%").isEqualTo(2);
        for (int i = ProducerIdManager.PREFETCH_AFTER + 1; i < ProducerIdManager.BLOCK_SIZE; i++) {
            assertThat(next(ids)).isEqualTo(5_000 + i);
        }
        assertThat(blocks.fetches).as("one prefetch per block").isEqualTo(2);
        assertThat(next(ids)).as("the prefetched block").isEqualTo(6_000);
    }

    @Test
    void idsAtHandOutlastAnOutageAndTheAnswerIsRetriableOnceTheyRunOut() throws Exception {
        Blocks blocks = new Blocks();
        ProducerIdManager ids = new ProducerIdManager(blocks);
        for (int i = 0; i <= ProducerIdManager.PREFETCH_AFTER; i++) {
            next(ids); // the second block is fetched now
        }
        blocks.down = true;
        Set<Long> handedOut = new HashSet<>();
        for (int i = ProducerIdManager.PREFETCH_AFTER + 1; i < 2 * ProducerIdManager.BLOCK_SIZE; i++) {
            assertThat(handedOut.add(next(ids))).isTrue();
        }
        assertThat(handedOut).hasSize(2 * ProducerIdManager.BLOCK_SIZE - ProducerIdManager.PREFETCH_AFTER - 1);
        assertThatThrownBy(() -> next(ids))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(CoordinatorLoadInProgressException.class);

        blocks.down = false;
        assertThat(next(ids)).as("a new block once PostgreSQL is back").isEqualTo(7_000);
    }

    @Test
    void callersWaitForTheFetchInFlightAndShareIt() throws Exception {
        Blocks blocks = new Blocks();
        blocks.gate = new CompletableFuture<>();
        ProducerIdManager ids = new ProducerIdManager(blocks);
        CompletableFuture<Long> first = ids.nextProducerId();
        CompletableFuture<Long> second = ids.nextProducerId();
        assertThat(first).isNotDone();
        assertThat(blocks.fetches).isEqualTo(1);
        blocks.gate.complete(null);
        assertThat(Set.of(first.get(), second.get())).containsExactlyInAnyOrder(5_000L, 5_001L);
    }

    @Test
    void aFailedPrefetchIsRetriedAndNoBlockIsSkipped() throws Exception {
        Blocks blocks = new Blocks();
        ProducerIdManager ids = new ProducerIdManager(blocks);
        next(ids);
        blocks.down = true;
        for (int i = 1; i < ProducerIdManager.BLOCK_SIZE; i++) {
            next(ids);
        }
        blocks.down = false;
        assertThat(next(ids)).isEqualTo(6_000);
        assertThat(next(ids)).isEqualTo(6_001);
    }
}
