package io.runnel.connect.runtime;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.runnel.cluster.BrokerRegistration;
import io.runnel.cluster.MetadataCache;
import io.runnel.cluster.TopicManager;
import io.runnel.config.Endpoint;
import io.runnel.config.RunnelConfig;
import io.runnel.connect.plugins.PluginDesc;
import io.runnel.connect.plugins.PluginType;
import io.runnel.connect.plugins.Plugins;
import io.runnel.connect.storage.ConnectStore;
import io.runnel.connect.storage.ConnectStore.ConnectorRow;
import io.runnel.connect.storage.ConnectStore.TargetState;
import io.runnel.connect.storage.ConnectStore.TaskRow;
import io.runnel.log.LogManager;
import io.runnel.replication.ReplicaManager;
import io.runnel.txn.ProducerIdManager;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.connect.connector.Task;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Decides what this broker runs, on one thread: every {@code runnel.connect.sync-interval-ms} (and
 * at once after a REST change) it reads connectors and task configs from PostgreSQL and the live
 * brokers from the metadata image, and starts, restarts, pauses or stops its share. Ownership is a
 * pure function of the live broker ids, the same on every broker, so no coordination is needed: a
 * connector runs on {@code brokers[hash(name) % n]}, its task {@code i} on {@code brokers[(hash(name)
 * + 1 + i) % n]}. When a broker's lease expires its work moves to the others on their next sync.
 */
@ApplicationScoped
public class ConnectHerder {

    private static final Logger LOG = Logger.getLogger(ConnectHerder.class);

    @Inject
    RunnelConfig config;

    @Inject
    Plugins plugins;

    @Inject
    ConnectStore store;

    @Inject
    MetadataCache metadata;

    @Inject
    TopicManager topics;

    @Inject
    LogManager logs;

    @Inject
    ReplicaManager replicas;

    @Inject
    ProducerIdManager producerIds;

    @Inject
    BrokerRegistration registration;

    @ConfigProperty(name = "quarkus.http.port", defaultValue = "8080")
    int httpPort;

    private record RunningTask(TaskRunner runner, TaskRow row) {}

    private final Map<String, ConnectorRunner> connectors = new HashMap<>();
    private final Map<TaskId, RunningTask> tasks = new HashMap<>();
    /** Tasks told to stop whose threads did not end in time: not started again, not released, until they do. */
    private final Map<TaskId, TaskRunner> lingering = new HashMap<>();

    private ScheduledExecutorService thread;
    private Worker worker;
    private volatile boolean stopped;

    void onStart(@Observes @Priority(30) StartupEvent event) {
        if (!config.connect().enabled()) {
            LOG.info("Connector runtime disabled (runnel.connect.enabled=false)");
            return;
        }
        Endpoint endpoint = registration.advertisedEndpoints().getFirst();
        String workerId = endpoint.host() + ":" + httpPort;
        worker = new Worker(
                config,
                plugins,
                store,
                new StatusReporter(store, workerId),
                metadata,
                topics,
                logs,
                replicas,
                producerIds,
                endpoint.host() + ":" + endpoint.port(),
                new org.apache.kafka.common.metrics.Metrics());
        thread = Executors.newSingleThreadScheduledExecutor(
                r -> Thread.ofPlatform().name("connect-herder").daemon().unstarted(r));
        thread.scheduleWithFixedDelay(
                this::reconcileQuietly, 0, config.connect().syncIntervalMs(), TimeUnit.MILLISECONDS);
    }

    /** Reconciles soon, on the herder thread (after a REST change). */
    public void wakeup() {
        if (thread != null && !stopped) {
            thread.execute(this::reconcileQuietly);
        }
    }

    /** The address internal clients (the REST API's admin client) use to reach this broker. */
    public Optional<String> bootstrapServers() {
        return worker == null ? Optional.empty() : Optional.of(worker.bootstrapServers());
    }

    /** The worker id reported in statuses ({@code host:port} of the REST API), or empty when disabled. */
    public Optional<String> workerId() {
        return worker == null ? Optional.empty() : Optional.of(worker.status().workerId());
    }

    private void reconcileQuietly() {
        if (stopped) {
            return;
        }
        try {
            reconcile();
        } catch (RuntimeException e) {
            LOG.warnf(
                    "Connector reconciliation failed (retried in %d ms): %s",
                    config.connect().syncIntervalMs(), e);
        }
    }

    private void reconcile() {
        List<Integer> brokers = new ArrayList<>(metadata.image().brokers().keySet());
        if (brokers.isEmpty()) {
            return;
        }
        int self = config.nodeId();
        Map<String, ConnectorRow> rows = new HashMap<>();
        for (ConnectorRow row : store.connectors()) {
            rows.put(row.name(), row);
        }
        reconcileConnectors(rows, brokers, self);
        Map<TaskId, TaskRow> taskRows = new HashMap<>();
        for (TaskRow row : store.tasks()) {
            taskRows.put(new TaskId(row.connector(), row.task()), row);
        }
        reconcileTasks(rows, taskRows, brokers, self);
    }

    private void reconcileConnectors(Map<String, ConnectorRow> rows, List<Integer> brokers, int self) {
        for (String name : new ArrayList<>(connectors.keySet())) {
            ConnectorRow row = rows.get(name);
            ConnectorRunner running = connectors.get(name);
            if (row == null || owner(name, -1, brokers) != self || needsRestart(running.row(), row)) {
                running.stop();
                connectors.remove(name);
            } else if (row.targetState() != running.targetState()) {
                running.transition(row.targetState());
            }
        }
        for (ConnectorRow row : rows.values()) {
            if (owner(row.name(), -1, brokers) != self) {
                continue;
            }
            ConnectorRunner running = connectors.get(row.name());
            if (running == null) {
                Optional<PluginDesc> plugin = Optional.ofNullable(row.config().get(ConnectorConfigs.CONNECTOR_CLASS))
                        .flatMap(plugins::connector);
                if (plugin.isEmpty()) {
                    worker.status()
                            .connector(
                                    row.name(),
                                    TaskState.FAILED,
                                    new IllegalStateException(
                                            "Connector class " + row.config().get(ConnectorConfigs.CONNECTOR_CLASS)
                                                    + " is not installed on broker " + self));
                    continue;
                }
                ConnectorRunner runner = new ConnectorRunner(worker, row, plugin.get(), this::wakeup);
                connectors.put(row.name(), runner);
                runner.start();
            } else {
                running.maybeReconfigure();
            }
        }
    }

    /** A config change, a restart request or STOPPED/started: the connector instance starts afresh. */
    private static boolean needsRestart(ConnectorRow running, ConnectorRow row) {
        return !running.config().equals(row.config())
                || running.restartSeq() != row.restartSeq()
                || (running.targetState() == TargetState.STOPPED) != (row.targetState() == TargetState.STOPPED);
    }

    private void reconcileTasks(
            Map<String, ConnectorRow> rows, Map<TaskId, TaskRow> taskRows, List<Integer> brokers, int self) {
        List<RunningTask> stopping = new ArrayList<>();
        for (Map.Entry<TaskId, RunningTask> entry : new ArrayList<>(tasks.entrySet())) {
            TaskId id = entry.getKey();
            RunningTask running = entry.getValue();
            ConnectorRow connector = rows.get(id.connector());
            TaskRow row = taskRows.get(id);
            boolean keep = connector != null
                    && row != null
                    && connector.targetState() != TargetState.STOPPED
                    && owner(id.connector(), id.task(), brokers) == self
                    && row.config().equals(running.row().config())
                    && row.restartSeq() == running.row().restartSeq()
                    && connector.config().equals(running.runner().connectorConfig);
            if (keep) {
                running.runner().transition(connector.targetState());
            } else {
                running.runner().stop();
                stopping.add(running);
                tasks.remove(id);
            }
        }
        awaitStopped(stopping);
        releaseLingering();
        Set<TaskId> started = new HashSet<>();
        for (Map.Entry<TaskId, TaskRow> entry : taskRows.entrySet()) {
            TaskId id = entry.getKey();
            ConnectorRow connector = rows.get(id.connector());
            if (connector == null
                    || connector.targetState() == TargetState.STOPPED
                    || tasks.containsKey(id)
                    || lingering.containsKey(id)
                    || owner(id.connector(), id.task(), brokers) != self) {
                continue;
            }
            if (!store.claimTask(id.connector(), id.task(), self)) {
                LOG.debugf("Task %s: waiting for its previous broker to stop it", id);
                continue;
            }
            startTask(id, connector, entry.getValue());
            started.add(id);
        }
        if (!started.isEmpty()) {
            LOG.infof("Started tasks %s", started);
        }
    }

    private void startTask(TaskId id, ConnectorRow connector, TaskRow row) {
        Optional<PluginDesc> plugin = plugins.connector(connector.config().get(ConnectorConfigs.CONNECTOR_CLASS));
        if (plugin.isEmpty()) {
            return; // the connector is FAILED for the same reason
        }
        try {
            org.apache.kafka.connect.connector.Connector instance =
                    plugins.newInstance(plugin.get().pluginClass(), org.apache.kafka.connect.connector.Connector.class);
            Class<? extends Task> taskClass = instance.taskClass();
            boolean sink = plugin.get().type() == PluginType.SINK;
            TaskRunner runner = sink
                    ? new SinkTaskRunner(
                            worker, id, connector.config(), row.config(), taskClass, connector.targetState())
                    : new SourceTaskRunner(
                            worker, id, connector.config(), row.config(), taskClass, connector.targetState());
            tasks.put(id, new RunningTask(runner, row));
            runner.start();
        } catch (RuntimeException | LinkageError e) {
            LOG.errorf(e, "Task %s could not be created", id);
            worker.status().task(id, TaskState.FAILED, e);
        }
    }

    /** Waits for the tasks to stop, then gives up their claims (see {@link ConnectStore#claimTask}). */
    private void awaitStopped(List<RunningTask> stopping) {
        for (RunningTask task : stopping) {
            if (task.runner().awaitStop(config.connect().taskShutdownTimeoutMs())) {
                release(task.runner().id);
            } else {
                lingering.put(task.runner().id, task.runner());
            }
        }
    }

    private void releaseLingering() {
        lingering.values().removeIf(runner -> {
            if (runner.isAlive()) {
                return false;
            }
            release(runner.id);
            return true;
        });
    }

    private void release(TaskId id) {
        try {
            store.releaseTask(id.connector(), id.task(), config.nodeId());
        } catch (RuntimeException e) {
            LOG.warnf("Could not release task %s (its claim lapses with this broker's lease): %s", id, e);
        }
    }

    /** Which broker runs a connector (task -1) or one of its tasks. */
    static int owner(String connector, int task, List<Integer> brokers) {
        int hash = connector.hashCode();
        return brokers.get(Math.floorMod(hash + (task < 0 ? 0 : 1 + task), brokers.size()));
    }

    void onStop(@Observes @Priority(0) ShutdownEvent event) {
        if (thread == null) {
            return;
        }
        stopped = true;
        try {
            thread.submit(this::stopAll).get(config.connect().taskShutdownTimeoutMs() + 5000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warnf("Connector runtime did not stop cleanly: %s", e);
        }
        thread.shutdownNow();
        worker.metrics().close();
    }

    /** Clean shutdown: tasks commit their offsets and stop, then the connectors stop. */
    private void stopAll() {
        List<RunningTask> stopping = new ArrayList<>(tasks.values());
        stopping.forEach(t -> t.runner().stop());
        awaitStopped(stopping);
        tasks.clear();
        connectors.values().forEach(ConnectorRunner::stop);
        connectors.clear();
    }
}
