package io.runnel.log;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.runnel.cluster.MetadataCache;
import io.runnel.cluster.MetadataImage;
import io.runnel.cluster.PartitionState;
import io.runnel.cluster.TopicImage;
import io.runnel.config.RunnelConfig;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.jboss.logging.Logger;

/**
 * The partition logs this broker holds, under {@code <data-dir>/logs/<topic>-<partition>}: opened
 * (and recovered) at start, created and deleted as the metadata image says, and looked after in the
 * background: retention, flush policy, producer expiry, compaction, high watermark checkpoints,
 * delayed file deletion.
 *
 * <p>A clean shutdown leaves a {@code .clean-shutdown} marker; without it, the next start validates
 * every segment written after the last flush.
 */
@ApplicationScoped
public class LogManager {

    private static final Logger LOG = Logger.getLogger(LogManager.class);
    static final String CLEAN_SHUTDOWN_FILE = ".clean-shutdown";

    /** A partition by topic id, so a deleted and re-created topic never meets its old log. */
    public record LogKey(Uuid topicId, int partition) {}

    @Inject
    RunnelConfig config;

    @Inject
    MetadataCache metadata;

    private final Map<LogKey, PartitionLog> logs = new ConcurrentHashMap<>();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "runnel-log-scheduler");
        thread.setDaemon(true);
        return thread;
    });
    private final ExecutorService flusher = Executors.newSingleThreadExecutor(r -> {
        Thread thread = new Thread(r, "runnel-log-flusher");
        thread.setDaemon(true);
        return thread;
    });
    private final ExecutorService io = Executors.newFixedThreadPool(2, r -> {
        Thread thread = new Thread(r, "runnel-log-io");
        thread.setDaemon(true);
        return thread;
    });
    private Path logsDir;
    private boolean cleanShutdown;
    private volatile boolean started;
    private LogCleaner cleaner;

    void onStart(@Observes @Priority(15) StartupEvent event) throws IOException {
        logsDir = config.dataDir().toAbsolutePath().normalize().resolve("logs");
        Files.createDirectories(logsDir);
        Path marker = logsDir.resolve(CLEAN_SHUTDOWN_FILE);
        cleanShutdown = Files.exists(marker);
        Files.deleteIfExists(marker);
        boolean hasLogs;
        try (Stream<Path> entries = Files.list(logsDir)) {
            hasLogs = entries.findAny().isPresent();
        }
        if (!cleanShutdown && hasLogs) {
            LOG.infof("No clean shutdown marker in %s: validating what was written since the last flush", logsDir);
        }
        long start = System.nanoTime();
        synchronized (this) {
            reconcile(metadata.image());
            removeOrphanDirectories(metadata.image());
            cleanShutdown = false; // logs opened from now on are new, or validated
            started = true;
        }
        metadata.onUpdate(this::onMetadata);
        LOG.infof(
                "Loaded %d partition logs from %s in %d ms",
                logs.size(), logsDir, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        RunnelConfig.LogSettings settings = config.log();
        cleaner = new LogCleaner();
        every(settings.retentionCheckIntervalMs(), "retention", this::applyRetention);
        every(settings.flushCheckIntervalMs(), "flush", this::flushByTime);
        every(Math.min(600_000, settings.producerIdExpirationMs()), "producer expiry", this::expireProducers);
        every(settings.cleanerIntervalMs(), "log cleaner", this::clean);
        every(
                settings.replicaHighWatermarkCheckpointIntervalMs(),
                "high watermark checkpoint",
                this::checkpointHighWatermarks);
    }

    private void every(long periodMs, String what, Runnable task) {
        scheduler.scheduleWithFixedDelay(
                () -> {
                    try {
                        task.run();
                    } catch (Throwable e) {
                        LOG.warnf(e, "Log %s failed", what);
                    }
                },
                periodMs,
                periodMs,
                TimeUnit.MILLISECONDS);
    }

    private synchronized void onMetadata(MetadataImage image) {
        if (started) {
            reconcile(image);
        }
    }

    /** Opens logs for partitions this broker now hosts; deletes logs of partitions it no longer does. */
    private void reconcile(MetadataImage image) {
        int nodeId = config.nodeId();
        Set<LogKey> wanted = new HashSet<>();
        for (TopicImage topic : image.topics().values()) {
            for (PartitionState partition : topic.partitions()) {
                if (!partition.replicas().contains(nodeId)) {
                    continue;
                }
                LogKey key = new LogKey(topic.topicId(), partition.partition());
                wanted.add(key);
                PartitionLog log = logs.get(key);
                if (log == null) {
                    open(topic, partition.partition());
                } else if (!log.config().equals(topic.logConfig())) {
                    log.updateConfig(topic.logConfig());
                }
            }
        }
        for (PartitionLog log : logs.values()) {
            LogKey key = new LogKey(log.topicId(), log.topicPartition().partition());
            if (!wanted.contains(key)) {
                logs.remove(key);
                try {
                    log.delete();
                    LOG.infof("Deleted the log of %s", log.topicPartition());
                } catch (IOException e) {
                    LOG.warnf("Could not delete the log of %s: %s", log.topicPartition(), e);
                }
            }
        }
    }

    private void open(TopicImage topic, int partition) {
        TopicPartition tp = new TopicPartition(topic.name(), partition);
        Path dir = logsDir.resolve(tp.toString());
        try {
            Uuid onDisk = topicIdOnDisk(dir);
            if (onDisk != null && !onDisk.equals(topic.topicId())) {
                LOG.infof("Removing %s: it belongs to an earlier topic %s (id %s)", dir, topic.name(), onDisk);
                PartitionLog.deleteDirectory(dir);
            }
            PartitionLog log = PartitionLog.open(
                    dir,
                    tp,
                    topic.topicId(),
                    topic.logConfig(),
                    cleanShutdown,
                    System.currentTimeMillis(),
                    this::deleteLater);
            logs.put(new LogKey(topic.topicId(), partition), log);
        } catch (IOException | RuntimeException e) {
            LOG.errorf(e, "Could not open the log of %s in %s", tp, dir);
        }
    }

    /** Removes partition directories that no topic in the image owns (deleted while we were down). */
    private void removeOrphanDirectories(MetadataImage image) throws IOException {
        Set<Path> owned = new HashSet<>();
        for (PartitionLog log : logs.values()) {
            owned.add(log.dir());
        }
        try (Stream<Path> dirs = Files.list(logsDir)) {
            for (Path dir : (Iterable<Path>) dirs::iterator) {
                if (Files.isDirectory(dir) && !owned.contains(dir)) {
                    Uuid id = topicIdOnDisk(dir);
                    if (id == null || image.topic(id) == null) {
                        LOG.infof("Removing %s: its topic no longer exists", dir);
                        PartitionLog.deleteDirectory(dir);
                    }
                }
            }
        }
    }

    private static Uuid topicIdOnDisk(Path dir) {
        Path file = dir.resolve(PartitionLog.METADATA_FILE);
        try {
            if (!Files.exists(file)) {
                return null;
            }
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith("topic_id:")) {
                    return Uuid.fromString(line.substring("topic_id:".length()).trim());
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            LOG.warnf("Unreadable %s: %s", file, e);
        }
        return null;
    }

    private void deleteLater(LogSegment segment, long delayMs) {
        scheduler.schedule(
                () -> {
                    try {
                        segment.deleteFiles();
                    } catch (IOException e) {
                        LOG.warnf("Could not delete %s: %s", segment, e);
                    }
                },
                delayMs,
                TimeUnit.MILLISECONDS);
    }

    // ---- lookups

    /** The log of a partition this broker hosts, or null. */
    public PartitionLog log(Uuid topicId, int partition) {
        return logs.get(new LogKey(topicId, partition));
    }

    public Iterable<PartitionLog> all() {
        return logs.values();
    }

    // ---- background work

    /**
     * Flushes a log off the event loop ({@code flush.messages} reached); the future completes when
     * the data is on disk.
     */
    public CompletableFuture<Void> flushAsync(PartitionLog log) {
        return CompletableFuture.runAsync(
                () -> {
                    try {
                        log.flush(System.currentTimeMillis());
                    } catch (IOException e) {
                        throw new org.apache.kafka.common.errors.KafkaStorageException(
                                "Could not flush " + log.topicPartition() + ": " + e, e);
                    }
                },
                flusher);
    }

    /**
     * Runs log work that may read from disk or rename files (timestamp lookups, DeleteRecords) off
     * the event loops.
     */
    public <T> CompletableFuture<T> runOffEventLoop(java.util.function.Supplier<T> work) {
        return CompletableFuture.supplyAsync(work, io);
    }

    private void applyRetention() {
        long now = System.currentTimeMillis();
        for (PartitionLog log : logs.values()) {
            log.applyRetention(now);
        }
    }

    /** Runs retention right away (tests and operators need not wait for the next check). */
    public CompletableFuture<Void> applyRetentionNow() {
        return CompletableFuture.runAsync(this::applyRetention, scheduler);
    }

    private void flushByTime() {
        long now = System.currentTimeMillis();
        for (PartitionLog log : logs.values()) {
            if (log.flushDueByTime(now)) {
                flushAsync(log);
            }
        }
    }

    private void checkpointHighWatermarks() {
        for (PartitionLog log : logs.values()) {
            log.checkpointHighWatermark();
        }
    }

    private void expireProducers() {
        long now = System.currentTimeMillis();
        for (PartitionLog log : logs.values()) {
            log.expireProducers(now, config.log().producerIdExpirationMs());
        }
    }

    private void clean() {
        long now = System.currentTimeMillis();
        for (PartitionLog log : logs.values()) {
            if (log.config().compact()) {
                cleaner.clean(log, now);
            }
        }
    }

    void onStop(@Observes @Priority(10) ShutdownEvent event) {
        scheduler.shutdownNow();
        io.shutdownNow();
        flusher.shutdown();
        try {
            flusher.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        boolean allClosed = true;
        synchronized (this) {
            started = false;
            for (PartitionLog log : logs.values()) {
                try {
                    log.close();
                } catch (IOException e) {
                    allClosed = false;
                    LOG.errorf("Could not close the log of %s cleanly: %s", log.topicPartition(), e);
                }
            }
        }
        if (allClosed && logsDir != null) {
            try {
                Files.writeString(logsDir.resolve(CLEAN_SHUTDOWN_FILE), "");
            } catch (IOException e) {
                LOG.warnf("Could not write the clean shutdown marker: %s", e);
            }
        }
        LOG.infof("Closed %d partition logs", logs.size());
    }
}
