package io.runnel.connect.runtime;

import io.runnel.connect.storage.ConnectStore;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.jboss.logging.Logger;

/** Writes connector and task states to PostgreSQL; a failed write is logged, never fatal to a task. */
public final class StatusReporter {

    private static final Logger LOG = Logger.getLogger(StatusReporter.class);
    static final int CONNECTOR = -1;

    private final ConnectStore store;
    private final String workerId;

    public StatusReporter(ConnectStore store, String workerId) {
        this.store = store;
        this.workerId = workerId;
    }

    public String workerId() {
        return workerId;
    }

    public void connector(String name, TaskState state, Throwable error) {
        put(name, CONNECTOR, state, error);
    }

    public void task(TaskId id, TaskState state, Throwable error) {
        put(id.connector(), id.task(), state, error);
    }

    private void put(String connector, int task, TaskState state, Throwable error) {
        try {
            store.putStatus(connector, task, state.name(), workerId, error == null ? null : trace(error));
        } catch (RuntimeException e) {
            LOG.warnf("Could not record state %s of %s task %d: %s", state, connector, task, e.getMessage());
        }
    }

    static String trace(Throwable error) {
        StringWriter out = new StringWriter();
        error.printStackTrace(new PrintWriter(out));
        return out.toString();
    }
}
