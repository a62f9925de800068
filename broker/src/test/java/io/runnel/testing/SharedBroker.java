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
            broker = BrokerProcess.create("shared").start();
            BrokerProcess started = broker;
            Runtime.getRuntime().addShutdownHook(new Thread(started::close));
        }
        return broker;
    }
}
