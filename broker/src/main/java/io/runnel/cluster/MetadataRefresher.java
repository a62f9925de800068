package io.runnel.cluster;

import io.runnel.metadata.MetadataStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Reloads the metadata image from PostgreSQL and publishes it. Requests from any thread (a
 * notification, a changed metadata version) are coalesced: those made before a reload starts are
 * served by it.
 */
@ApplicationScoped
public class MetadataRefresher {

    private static final Logger LOG = Logger.getLogger(MetadataRefresher.class);

    @Inject
    MetadataStore store;

    @Inject
    MetadataCache cache;

    @Inject
    MetadataThread metadataThread;

    private final AtomicBoolean refreshQueued = new AtomicBoolean();

    /** Reloads the image and publishes it if it changed; runs on the metadata thread. */
    public MetadataImage refresh() {
        MetadataImage loaded = MetadataLoader.toImage(store.snapshot());
        return cache.update(current -> loaded.equals(current) ? current : loaded);
    }

    /** Reloads the image soon, on the metadata thread. */
    public void requestRefresh() {
        if (refreshQueued.compareAndSet(false, true)) {
            metadataThread
                    .submit(() -> {
                        refreshQueued.set(false);
                        return refresh();
                    })
                    .exceptionally(e -> {
                        LOG.debugf("Metadata refresh failed: %s", e.toString());
                        return null;
                    });
        }
    }

    /** Reloads the image when PostgreSQL's metadata version is not the one it was loaded at. */
    public void maybeRefresh(long metadataVersion) {
        if (metadataVersion != cache.image().metadataVersion()) {
            requestRefresh();
        }
    }
}
