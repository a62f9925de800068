package io.runnel.connect.runtime;

import io.runnel.connect.storage.ConnectStore.TargetState;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Runs one task on a thread of its own (tasks block in poll and put; they never run on an event
 * loop). Reports RUNNING, PAUSED or FAILED (with the stack trace) as the task goes; a failed task
 * stays failed until it is restarted through the REST API.
 */
abstract class TaskRunner implements Runnable {

    private static final Logger LOG = Logger.getLogger(TaskRunner.class);

    protected final Worker worker;
    protected final TaskId id;
    protected final Map<String, String> connectorConfig;
    protected final Map<String, String> taskConfig;
    protected final Class<?> taskClass;
    protected volatile TargetState target;
    protected volatile boolean stopping;
    private volatile boolean failed;
    private Thread thread;
    private org.apache.kafka.common.metrics.internals.PluginMetricsImpl metrics;

    TaskRunner(
            Worker worker,
            TaskId id,
            Map<String, String> connectorConfig,
            Map<String, String> taskConfig,
            Class<?> taskClass,
            TargetState target) {
        this.worker = worker;
        this.id = id;
        this.connectorConfig = connectorConfig;
        this.taskConfig = taskConfig;
        this.taskClass = taskClass;
        this.target = target;
    }

    final void start() {
        thread = Thread.ofPlatform().name("connect-task-" + id).daemon().start(this);
    }

    @Override
    public final void run() {
        ClassLoader previous = Thread.currentThread().getContextClassLoader();
        Thread.currentThread().setContextClassLoader(taskClass.getClassLoader());
        try {
            worker.status().task(id, target == TargetState.PAUSED ? TaskState.PAUSED : TaskState.RUNNING, null);
            execute();
        } catch (Throwable t) {
            if (stopping) {
                LOG.debugf(t, "Task %s failed while stopping", id);
            } else {
                failed = true;
                LOG.errorf(t, "Task %s failed; it stays FAILED until restarted", id);
                worker.status().task(id, TaskState.FAILED, t);
            }
        } finally {
            closeMetrics();
            Thread.currentThread().setContextClassLoader(previous);
        }
    }

    /** The task's metrics (KIP-877): one registry per run, closed when the task ends. */
    protected final synchronized org.apache.kafka.common.metrics.PluginMetrics metrics() {
        if (metrics == null) {
            metrics = worker.pluginMetrics(id.connector(), id.task());
        }
        return metrics;
    }

    private synchronized void closeMetrics() {
        if (metrics != null) {
            try {
                metrics.close();
            } catch (java.io.IOException e) {
                LOG.debugf("Task %s: closing its metrics failed: %s", id, e);
            }
            metrics = null;
        }
    }

    /** The task's life: start, the poll/put loop until {@link #stopping}, final commit, stop. */
    protected abstract void execute() throws Exception;

    /** Wakes the task thread from a blocking wait. */
    protected abstract void wake();

    final void transition(TargetState state) {
        if (state == target) {
            return;
        }
        target = state;
        wake();
        if (!failed) {
            worker.status().task(id, state == TargetState.PAUSED ? TaskState.PAUSED : TaskState.RUNNING, null);
        }
    }

    final void stop() {
        stopping = true;
        wake();
    }

    /** Waits for the task thread; false if it did not end in time (it is then abandoned). */
    final boolean awaitStop(long timeoutMs) {
        try {
            thread.join(timeoutMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.warnf("Task %s did not stop within %d ms; abandoning its thread", id, timeoutMs);
            thread.interrupt();
            return false;
        }
        return true;
    }

    final boolean isAlive() {
        return thread != null && thread.isAlive();
    }

    final boolean failed() {
        return failed;
    }

    final boolean paused() {
        return target == TargetState.PAUSED;
    }

    protected static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
