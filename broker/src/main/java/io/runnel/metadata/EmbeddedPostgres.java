package io.runnel.metadata;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * A real PostgreSQL server the broker runs itself when no database is configured, with its data
 * under {@code <data-dir>/postgres} so metadata survives restarts.
 *
 * <p>The server is a child process. When the broker is killed with SIGKILL the server outlives it;
 * the next start finds its {@code postmaster.pid}, stops that orphan and starts a fresh server on the
 * same data, which PostgreSQL recovers from its write-ahead log.
 */
public final class EmbeddedPostgres implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(EmbeddedPostgres.class);
    private static final Duration ORPHAN_STOP_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);

    private static volatile EmbeddedPostgres running;

    /** Where the PostgreSQL binaries are unpacked, shared by all brokers of this machine and user. */
    private static final Path BINARIES =
            Path.of(System.getProperty("java.io.tmpdir"), "runnel-postgres-bin-" + System.getProperty("user.name"));

    private final io.zonky.test.db.postgres.embedded.EmbeddedPostgres server;

    private EmbeddedPostgres(io.zonky.test.db.postgres.embedded.EmbeddedPostgres server) {
        this.server = server;
    }

    /** Starts the server for this data directory once per JVM, and returns it. */
    public static synchronized EmbeddedPostgres startOnce(Path dataDir) {
        if (running == null) {
            running = start(dataDir.resolve("postgres").toAbsolutePath());
        }
        return running;
    }

    /** The running server, if this JVM started one. */
    public static Optional<EmbeddedPostgres> running() {
        return Optional.ofNullable(running);
    }

    private static EmbeddedPostgres start(Path pgData) {
        long started = System.nanoTime();
        try {
            Files.createDirectories(pgData);
            stopOrphan(pgData);
            var server = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder()
                    .setDataDirectory(pgData)
                    .setCleanDataDirectory(false)
                    // stopped by EmbeddedPostgresLifecycle once the broker is done with it, not by
                    // a JVM hook racing the broker's own shutdown
                    .setRegisterShutdownHook(false)
                    // The binaries are extracted once per machine and shared by every data directory
                    // (extracting the .txz costs ~1.5 s of a cold start); the data stays in pgData.
                    .setOverrideWorkingDirectory(BINARIES.toFile())
                    .setPGStartupWait(STARTUP_TIMEOUT)
                    // Acknowledged metadata changes must survive a crash of the machine, not just the process.
                    .setServerConfig("synchronous_commit", "on")
                    .setServerConfig("max_connections", "100")
                    .start();
            LOG.infof(
                    "Embedded PostgreSQL started in %d ms on port %d, data in %s",
                    (System.nanoTime() - started) / 1_000_000, server.getPort(), pgData);
            return new EmbeddedPostgres(server);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start the embedded PostgreSQL in " + pgData, e);
        }
    }

    /** Stops a server left running on this data directory by a broker that was killed. */
    private static void stopOrphan(Path pgData) throws IOException {
        Path pidFile = pgData.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return;
        }
        long pid;
        try {
            pid = Long.parseLong(Files.readAllLines(pidFile).getFirst().trim());
        } catch (RuntimeException e) {
            return; // an unreadable pid file is stale; PostgreSQL removes it itself
        }
        Optional<ProcessHandle> orphan = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
        if (orphan.isEmpty()) {
            return;
        }
        LOG.warnf("Stopping PostgreSQL (pid %d) left running on %s by an earlier broker", pid, pgData);
        ProcessHandle process = orphan.get();
        process.destroy(); // SIGTERM: PostgreSQL's smart shutdown; its clients died with the old broker
        try {
            process.onExit().get(ORPHAN_STOP_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            process.destroyForcibly();
            process.onExit().join();
        }
    }

    public String jdbcUrl() {
        return server.getJdbcUrl("postgres", "postgres");
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            LOG.warn("Could not stop the embedded PostgreSQL cleanly", e);
        }
    }

    /** Stops the server this JVM started, if any. */
    public static synchronized void stopRunning() {
        if (running != null) {
            running.close();
            running = null;
        }
    }
}
