package io.runnel.txn;

import io.quarkus.runtime.StartupEvent;
import io.runnel.cluster.MetadataThread;
import io.runnel.metadata.MetadataStore;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.apache.kafka.common.errors.CoordinatorLoadInProgressException;
import org.jboss.logging.Logger;

/**
 * Hands out producer ids for InitProducerId from blocks of {@value #BLOCK_SIZE} allocated in
 * PostgreSQL ({@code producer_id_blocks}), so ids are unique across brokers and restarts. Within a
 * block no database work happens.
 *
 * <p>As Kafka's brokers do ({@code RPCProducerIdManager}), the next block is fetched in the background
 * once 90% of the current one is handed out, and the broker fetches its first block when it starts,
 * so InitProducerId keeps being answered through a PostgreSQL outage until the ids at hand run out.
 * Then, and while the next block cannot be fetched, the answer is COORDINATOR_LOAD_IN_PROGRESS, which
 * clients retry (Kafka answers the same rather than REQUEST_TIMED_OUT, which older clients treat as
 * fatal). Blocks are fetched on the metadata thread, never on an event loop.
 */
@ApplicationScoped
public class ProducerIdManager {

    private static final Logger LOG = Logger.getLogger(ProducerIdManager.class);
    static final int BLOCK_SIZE = 1000;
    /** Ids handed out from a block before the next one is fetched (Kafka's 90% prefetch threshold). */
    static final int PREFETCH_AFTER = BLOCK_SIZE * 9 / 10;

    private static final long NONE = -1;

    @Inject
    MetadataStore store;

    @Inject
    MetadataThread metadataThread;

    /** Allocates a block in the store and completes with its first id. */
    private final Supplier<CompletableFuture<Long>> allocator;

    // guarded by this
    private long blockStart = NONE;
    private long next;
    private long end; // the current block's unused ids are [next, end)
    private long nextBlockStart = NONE; // a fetched block not used yet
    private CompletableFuture<Void> fetching; // the fetch in flight, or null

    ProducerIdManager() {
        this.allocator = () -> metadataThread.submit(() -> store.allocateProducerIds(BLOCK_SIZE));
    }

    /** For tests: blocks come from {@code allocator}. */
    ProducerIdManager(Supplier<CompletableFuture<Long>> allocator) {
        this.allocator = allocator;
    }

    /** The first block, fetched once the broker has joined the cluster (10), before any producer asks. */
    void onStart(@Observes @Priority(11) StartupEvent event) {
        fetchNextBlock();
    }

    /**
     * A new producer id; fails with {@link CoordinatorLoadInProgressException} when none is at hand and
     * the next block cannot be fetched.
     */
    public CompletableFuture<Long> nextProducerId() {
        synchronized (this) {
            if (next == end && nextBlockStart != NONE) {
                blockStart = nextBlockStart;
                next = nextBlockStart;
                end = nextBlockStart + BLOCK_SIZE;
                nextBlockStart = NONE;
            }
            if (next < end) {
                long id = next++;
                if (id - blockStart >= PREFETCH_AFTER) {
                    fetchNextBlock();
                }
                return CompletableFuture.completedFuture(id);
            }
        }
        return fetchNextBlock()
                .handle((fetched, failure) -> failure == null
                        ? nextProducerId()
                        : CompletableFuture.<Long>failedFuture(new CoordinatorLoadInProgressException(
                                "No producer id block at hand and the next cannot be fetched from PostgreSQL yet")))
                .thenCompose(id -> id);
    }

    /** Fetches the next block unless one is fetched or in flight; completes once it is at hand. */
    private synchronized CompletableFuture<Void> fetchNextBlock() {
        if (nextBlockStart != NONE) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> fetch = fetching;
        if (fetch == null) {
            CompletableFuture<Void> started = new CompletableFuture<>();
            fetch = started;
            fetching = started;
            CompletableFuture<Long> allocated;
            try {
                allocated = allocator.get();
            } catch (RuntimeException e) {
                allocated = CompletableFuture.failedFuture(e);
            }
            allocated.whenComplete((first, failure) -> blockFetched(started, first, failure));
        }
        return fetch;
    }

    private void blockFetched(CompletableFuture<Void> fetch, Long first, Throwable failure) {
        synchronized (this) {
            fetching = null;
            if (failure == null) {
                nextBlockStart = first;
            }
        }
        if (failure == null) {
            fetch.complete(null);
        } else {
            LOG.debugf("Could not fetch a block of producer ids: %s", failure.toString());
            fetch.completeExceptionally(failure);
        }
    }
}
