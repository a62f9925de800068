package io.runnel.connect.runtime;

import io.runnel.connect.plugins.PluginDesc;
import io.runnel.connect.plugins.Plugins;
import io.runnel.connect.storage.ConnectStore.ConnectorRow;
import io.runnel.connect.storage.ConnectStore.TargetState;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.connector.Connector;
import org.apache.kafka.connect.connector.ConnectorContext;
import org.jboss.logging.Logger;

/**
 * The connector instance itself (not its tasks), on the broker that owns it: started with its
 * config, asked for task configs, which go to PostgreSQL for the brokers running the tasks. It runs
 * on the herder thread; a connector that throws is FAILED until restarted.
 */
final class ConnectorRunner {

    private static final Logger LOG = Logger.getLogger(ConnectorRunner.class);

    private final Worker worker;
    private final ConnectorRow row;
    private final PluginDesc plugin;
    private final Runnable reconfigure;
    private Connector connector;
    private volatile boolean reconfigurationRequested;
    private volatile Throwable raisedError;
    private boolean failed;
    private TargetState targetState;
    /** STOPPED was asked for; the tasks are still being stopped somewhere. */
    private boolean stopPending;

    private org.apache.kafka.common.metrics.internals.PluginMetricsImpl metrics;

    ConnectorRunner(Worker worker, ConnectorRow row, PluginDesc plugin, Runnable reconfigure) {
        this.worker = worker;
        this.row = row;
        this.plugin = plugin;
        this.reconfigure = reconfigure;
        this.targetState = row.targetState();
    }

    /** The target state this runner last acted on. */
    TargetState targetState() {
        return targetState;
    }

    ConnectorRow row() {
        return row;
    }

    boolean failed() {
        return failed;
    }

    /** Starts the connector unless it is STOPPED; then writes its task configs. */
    void start() {
        String name = row.name();
        if (row.targetState() == TargetState.STOPPED) {
            stopPending = true;
            finishStopWhenTasksReleased();
            return;
        }
        try {
            withLoader(() -> {
                connector = worker.plugins().newInstance(plugin.pluginClass(), Connector.class);
                connector.initialize(new Context());
                connector.start(row.config());
            });
            worker.status()
                    .connector(
                            name, row.targetState() == TargetState.PAUSED ? TaskState.PAUSED : TaskState.RUNNING, null);
            updateTaskConfigs();
        } catch (RuntimeException | LinkageError e) {
            fail(e);
        }
    }

    /** Regenerates task configs when the connector asked to (ConnectorContext.requestTaskReconfiguration). */
    void maybeReconfigure() {
        if (stopPending) {
            finishStopWhenTasksReleased();
            return;
        }
        if (raisedError != null && !failed) {
            fail(raisedError);
            return;
        }
        if (reconfigurationRequested && !failed && connector != null) {
            reconfigurationRequested = false;
            try {
                updateTaskConfigs();
            } catch (RuntimeException e) {
                fail(e);
            }
        }
    }

    /**
     * STOPPED is reported (and the task configs removed, as Kafka Connect does) only once no broker
     * holds a task of this connector any more: the tasks have made their last commit, a sink's
     * consumer has left its group, and offsets may be altered.
     */
    private void finishStopWhenTasksReleased() {
        if (worker.store().claimedTasks(row.name()) > 0) {
            return;
        }
        worker.store().replaceTasks(row.name(), List.of());
        worker.status().connector(row.name(), TaskState.STOPPED, null);
        stopPending = false;
    }

    private void updateTaskConfigs() {
        int maxTasks = Integer.parseInt(row.config().getOrDefault(ConnectorConfigs.TASKS_MAX, "1"));
        List<Map<String, String>> configs = withLoader(() -> connector.taskConfigs(maxTasks));
        if (configs.size() > maxTasks) {
            throw new IllegalStateException("Connector " + row.name() + " produced " + configs.size()
                    + " task configs, more than tasks.max (" + maxTasks + ")");
        }
        if (worker.store().replaceTasks(row.name(), configs)) {
            LOG.infof("Connector %s: %d task configs written", row.name(), configs.size());
        }
    }

    private void fail(Throwable error) {
        failed = true;
        LOG.errorf(error, "Connector %s failed; it stays FAILED until restarted", row.name());
        worker.status().connector(row.name(), TaskState.FAILED, error);
        stopConnector();
    }

    /** Pause and resume only change the reported state here; tasks follow the target state themselves. */
    void transition(TargetState state) {
        targetState = state;
        if (!failed) {
            worker.status()
                    .connector(row.name(), state == TargetState.PAUSED ? TaskState.PAUSED : TaskState.RUNNING, null);
        }
    }

    void stop() {
        stopConnector();
    }

    private void stopConnector() {
        if (connector == null) {
            return;
        }
        try {
            withLoader(connector::stop);
        } catch (RuntimeException e) {
            LOG.warnf(e, "Connector %s: stop() failed", row.name());
        }
        connector = null;
        synchronized (this) {
            if (metrics != null) {
                try {
                    metrics.close();
                } catch (java.io.IOException e) {
                    LOG.debugf("Connector %s: closing its metrics failed: %s", row.name(), e);
                }
                metrics = null;
            }
        }
    }

    private void withLoader(Runnable action) {
        withLoader(() -> {
            action.run();
            return null;
        });
    }

    private <T> T withLoader(java.util.function.Supplier<T> action) {
        return Plugins.withLoader(plugin.loader(), action);
    }

    private final class Context implements ConnectorContext {

        @Override
        public org.apache.kafka.common.metrics.PluginMetrics pluginMetrics() {
            synchronized (ConnectorRunner.this) {
                if (metrics == null) {
                    metrics = worker.pluginMetrics(row.name(), -1);
                }
                return metrics;
            }
        }

        @Override
        public void requestTaskReconfiguration() {
            reconfigurationRequested = true;
            reconfigure.run();
        }

        @Override
        public void raiseError(Exception e) {
            raisedError = e;
            reconfigure.run();
        }
    }
}
