package io.runnel.connect.runtime;

/** A connector's task: {@code name-0}, {@code name-1}, ... */
public record TaskId(String connector, int task) {

    @Override
    public String toString() {
        return connector + "-" + task;
    }
}
