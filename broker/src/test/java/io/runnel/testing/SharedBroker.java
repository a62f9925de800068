package io.runnel.testing;

/**
 * One broker for every test class in the JVM that does not restart or kill it; started on first use
 * and stopped when the JVM exits.
 */
public final class SharedBroker {

    private static BrokerProcess broker;

    private SharedBroker() {}

    public static synchronized BrokerProcess get() {
        if (broker == null || !broker.isAlive()) {
            broker = BrokerProcess.create("shared")
                    // connector tests see sink output and offsets within a second, not a minute
                    .set("runnel.connect.offset-flush-interval-ms", "1000")
                    .set("runnel.connect.sync-interval-ms", "500")
                    .start();
            BrokerProcess started = broker;
            Runtime.getRuntime().addShutdownHook(new Thread(started::close));
        }
        return broker;
    }
}
