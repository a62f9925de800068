package io.runnel.connector.file;

/** The version both file connectors and their tasks report to the Connect runtime. */
public final class Version {

    /** Reported by {@code version()} of every connector and task in this module. */
    public static final String VERSION = "0.1.0";

    private Version() {}
}
