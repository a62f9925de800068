package io.runnel.cluster;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * The broker's current {@link MetadataImage}. Readers on any thread take the latest snapshot without
 * locking; writers (the metadata thread) publish whole new snapshots.
 */
@ApplicationScoped
public class MetadataCache {

    private volatile MetadataImage image = MetadataImage.EMPTY;
    private final CopyOnWriteArrayList<Consumer<MetadataImage>> listeners = new CopyOnWriteArrayList<>();

    public MetadataImage image() {
        return image;
    }

    /** Publishes a change. Called only from the metadata thread, so updates never interleave. */
    public synchronized MetadataImage update(UnaryOperator<MetadataImage> change) {
        MetadataImage next = change.apply(image);
        if (next != image) {
            image = next;
            listeners.forEach(listener -> listener.accept(next));
        }
        return next;
    }

    /** Tells a component about every image published from now on. */
    public void onUpdate(Consumer<MetadataImage> listener) {
        listeners.add(listener);
    }

    public void removeListener(Consumer<MetadataImage> listener) {
        listeners.remove(listener);
    }
}
