package io.runnel.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A PostgreSQL server of one test's own, which the test can stop and start again, for outages.
 * {@link TestPostgres} cannot serve: it is shared by every test of the JVM and deletes its data when
 * closed. This one keeps its data directory ({@code target/test-postgres/<pid>-<name>}) and its port
 * across {@link #stop()} and {@link #start()}, so the brokers' JDBC URL stays valid and the same
 * databases come back; {@link #close()} stops it and deletes the directory.
 */
public final class StoppablePostgres implements AutoCloseable {

    private final Path dataDir;
    private final int port;
    private EmbeddedPostgres server; // null while stopped

    private StoppablePostgres(Path dataDir, int port) {
        this.dataDir = dataDir;
        this.port = port;
    }

    /** Starts a new server on a free port, with an empty data directory of its own. */
    public static StoppablePostgres start(String name) {
        Path dir = Path.of("target", "test-postgres", ProcessHandle.current().pid() + "-" + name)
                .toAbsolutePath();
        StoppablePostgres postgres = new StoppablePostgres(dir, BrokerProcess.freePort());
        deleteRecursively(dir);
        postgres.start();
        return postgres;
    }

    /**
     * Starts the server (again) on its data directory and port. (Nothing else should take the port
     * meanwhile; {@link BrokerProcess#freePort()} hands out ephemeral ports, which are rarely reused
     * within seconds.)
     */
    public synchronized void start() {
        if (server != null) {
            throw new IllegalStateException("PostgreSQL on port " + port + " is running");
        }
        try {
            server = EmbeddedPostgres.builder()
                    .setDataDirectory(dataDir)
                    .setCleanDataDirectory(false)
                    .setPort(port)
                    .setOverrideWorkingDirectory(Path.of("target", "test-postgres", "bin")
                            .toAbsolutePath()
                            .toFile())
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start PostgreSQL on port " + port + " in " + dataDir, e);
        }
    }

    /**
     * Stops the server as an operator would ({@code pg_ctl stop -m fast}: open sessions are ended);
     * the data stays for {@link #start()}.
     */
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        try {
            server.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            server = null;
        }
    }

    public synchronized boolean isRunning() {
        return server != null;
    }

    /** Creates a fresh database and returns its name; the server must be running. */
    public String createDatabase(String prefix) {
        String name = prefix + "_" + System.nanoTime();
        try (Connection c = connect("postgres");
                Statement s = c.createStatement()) {
            s.execute("create database " + name);
            return name;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://localhost:" + port + "/" + database;
    }

    public Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database), "postgres", "");
    }

    public int port() {
        return port;
    }

    /** Stops the server and deletes its data. */
    @Override
    public void close() {
        stop();
        deleteRecursively(dataDir);
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
