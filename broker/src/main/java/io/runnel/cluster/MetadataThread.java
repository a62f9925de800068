package io.runnel.cluster;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The one thread that talks to PostgreSQL about cluster metadata and publishes metadata images.
 * Serializing metadata work on one thread means changes made by this broker never interleave, and
 * event loops never wait on the database: they hand work here and get a future back.
 */
@ApplicationScoped
public class MetadataThread {

    private static final Logger LOG = Logger.getLogger(MetadataThread.class);

    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "runnel-metadata");
        thread.setDaemon(true);
        return thread;
    });

    private final java.util.List<java.util.concurrent.ScheduledFuture<?>> scheduled =
            new java.util.concurrent.CopyOnWriteArrayList<>();

    public <T> CompletableFuture<T> submit(Callable<T> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        executor.execute(() -> {
            try {
                result.complete(work.call());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    /** Runs a task periodically; a failing run is logged and the next one still happens. */
    public void schedule(String what, long periodMs, Runnable task) {
        scheduled.add(executor.scheduleWithFixedDelay(
                () -> {
                    try {
                        task.run();
                    } catch (Throwable e) {
                        LOG.warnf("%s failed: %s", what, e.toString());
                    }
                },
                periodMs,
                periodMs,
                TimeUnit.MILLISECONDS));
    }

    /** Stops periodic tasks (broker shutdown): nothing new reaches PostgreSQL from them. */
    public void cancelScheduled() {
        scheduled.forEach(f -> f.cancel(false));
    }

    @PreDestroy
    void stop() {
        executor.shutdownNow();
    }
}
