package io.runnel.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * One real PostgreSQL server for the test JVM, for tests that point brokers at an external database
 * (several brokers sharing one, or the explicit-URL path). Each test takes its own database.
 */
public final class TestPostgres {

    private static TestPostgres instance;

    private final EmbeddedPostgres server;

    private TestPostgres(EmbeddedPostgres server) {
        this.server = server;
    }

    public static synchronized TestPostgres get() {
        if (instance == null) {
            try {
                Path dir = Path.of(
                                "target",
                                "test-postgres",
                                String.valueOf(ProcessHandle.current().pid()))
                        .toAbsolutePath();
                EmbeddedPostgres server = EmbeddedPostgres.builder()
                        .setDataDirectory(dir)
                        .setCleanDataDirectory(true)
                        .setOverrideWorkingDirectory(Path.of("target", "test-postgres", "bin")
                                .toAbsolutePath()
                                .toFile())
                        .start();
                instance = new TestPostgres(server);
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        server.close();
                    } catch (IOException e) {
                        // exiting anyway
                    }
                }));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return instance;
    }

    /** Creates a fresh database and returns its name. */
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
        return "jdbc:postgresql://localhost:" + server.getPort() + "/" + database;
    }

    public Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database), "postgres", "");
    }

    public int port() {
        return server.getPort();
    }
}
