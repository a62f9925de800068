package io.runnel.connect.runtime;

/** The states Kafka Connect reports for connectors and tasks. */
public enum TaskState {
    UNASSIGNED,
    RUNNING,
    PAUSED,
    STOPPED,
    FAILED,
    RESTARTING
}
