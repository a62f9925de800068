package io.runnel.cluster;

import io.runnel.config.RunnelConfig;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Learns of metadata changes as they commit: one dedicated PostgreSQL connection (not from the pool,
 * which would take it back) runs {@code LISTEN runnel_metadata} on thread
 * {@code runnel-metadata-listener}. The triggers of V5 notify on every change brokers must see; each
 * notification asks for a (coalesced) image refresh and wakes the controller.
 *
 * <p>PostgreSQL delivers a notification only to sessions listening when it commits, so after every
 * (re)connect the image is refreshed unconditionally. When the connection breaks it is opened again
 * after 1, 2, 4, 5, 5... seconds. Meanwhile the heartbeat's metadata version check and the periodic
 * full reload keep the image current.
 */
@ApplicationScoped
public class MetadataChangeListener {

    private static final Logger LOG = Logger.getLogger(MetadataChangeListener.class);
    static final String CHANNEL = "runnel_metadata";
    private static final int WAIT_MS = 1_000;
    private static final long MIN_BACKOFF_MS = 1_000;
    private static final long MAX_BACKOFF_MS = 5_000;
    /** An idle connection is checked this often, so one that died silently is noticed. */
    private static final long PROBE_INTERVAL_MS = 10_000;

    @Inject
    RunnelConfig config;

    @Inject
    MetadataRefresher refresher;

    @Inject
    Controller controller;

    private volatile boolean running;
    private volatile Connection connection;
    private Thread thread;

    void start() {
        running = true;
        thread = new Thread(this::run, "runnel-metadata-listener");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        long backoffMs = MIN_BACKOFF_MS;
        boolean reconnecting = false;
        while (running) {
            try (Connection c = connect()) {
                connection = c;
                try (Statement s = c.createStatement()) {
                    s.execute("LISTEN " + CHANNEL);
                }
                if (reconnecting) {
                    LOG.infof("Metadata listener of broker %d is listening again", config.nodeId());
                }
                backoffMs = MIN_BACKOFF_MS;
                reconnecting = false;
                changed(); // whatever committed while nobody listened
                listen(c);
            } catch (SQLException | RuntimeException e) {
                if (!running) {
                    return;
                }
                // once per outage, not once per attempt
                LOG.logf(
                        reconnecting ? Logger.Level.DEBUG : Logger.Level.WARN,
                        "Metadata listener of broker %d lost PostgreSQL (%s); listening again in %d ms",
                        config.nodeId(),
                        e.toString(),
                        backoffMs);
                reconnecting = true;
                try {
                    Thread.sleep(backoffMs);
                } catch (InterruptedException interrupted) {
                    return;
                }
                backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
            } finally {
                connection = null;
            }
        }
    }

    private void listen(Connection c) throws SQLException {
        PGConnection pg = c.unwrap(PGConnection.class);
        long lastHeardNanos = System.nanoTime();
        while (running) {
            PGNotification[] notifications = pg.getNotifications(WAIT_MS);
            if (notifications != null && notifications.length > 0) {
                changed();
                lastHeardNanos = System.nanoTime();
            } else if (System.nanoTime() - lastHeardNanos > PROBE_INTERVAL_MS * 1_000_000) {
                try (Statement s = c.createStatement()) {
                    s.execute("select 1");
                }
                lastHeardNanos = System.nanoTime();
            }
        }
    }

    private void changed() {
        refresher.requestRefresh();
        controller.wakeUp();
    }

    private Connection connect() throws SQLException {
        Config settings = ConfigProvider.getConfig();
        String url = settings.getValue("quarkus.datasource.jdbc.url", String.class);
        Properties properties = new Properties();
        settings.getOptionalValue("quarkus.datasource.username", String.class)
                .ifPresent(user -> properties.setProperty("user", user));
        settings.getOptionalValue("quarkus.datasource.password", String.class)
                .ifPresent(password -> properties.setProperty("password", password));
        properties.setProperty("ApplicationName", "runnel-metadata-listener-" + config.nodeId());
        properties.setProperty("connectTimeout", "5");
        properties.setProperty("socketTimeout", "30");
        properties.setProperty("tcpKeepAlive", "true");
        Connection c = new org.postgresql.Driver().connect(url, properties);
        if (c == null) {
            throw new SQLException("Not a PostgreSQL JDBC URL: " + url);
        }
        c.setAutoCommit(true);
        return c;
    }

    @PreDestroy
    void stop() {
        running = false;
        Connection c = connection;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                // stopping anyway
            }
        }
        if (thread != null) {
            thread.interrupt();
        }
    }
}
