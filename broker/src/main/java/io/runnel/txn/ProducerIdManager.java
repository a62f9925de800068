package io.runnel.txn;

import io.runnel.cluster.MetadataThread;
import io.runnel.metadata.MetadataStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.CompletableFuture;

/**
 * Hands out producer ids for InitProducerId from blocks allocated in PostgreSQL, so ids are unique
 * across brokers and restarts. Within a block no database work happens; the next block is fetched on
 * the metadata thread, never on an event loop.
 */
@ApplicationScoped
public class ProducerIdManager {

    static final int BLOCK_SIZE = 1000;

    @Inject
    MetadataStore store;

    @Inject
    MetadataThread metadataThread;

    private long next;
    private long end;

    public synchronized CompletableFuture<Long> nextProducerId() {
        if (next < end) {
            return CompletableFuture.completedFuture(next++);
        }
        return metadataThread
                .submit(() -> store.allocateProducerIds(BLOCK_SIZE))
                .thenApply(this::fromNewBlock);
    }

    private synchronized long fromNewBlock(long first) {
        if (next >= end) {
            next = first;
            end = first + BLOCK_SIZE;
            return next++;
        }
        return next++; // another caller installed a block meanwhile; the new one is given up
    }
}
