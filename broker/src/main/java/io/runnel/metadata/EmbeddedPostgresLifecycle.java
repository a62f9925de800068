package io.runnel.metadata;

import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Stops the embedded PostgreSQL last on shutdown, after every component that writes to it (logs,
 * group coordinator, broker registration) has stopped.
 */
@ApplicationScoped
public class EmbeddedPostgresLifecycle {

    void onStop(@Observes @Priority(10_000) ShutdownEvent event) {
        EmbeddedPostgres.stopRunning();
    }
}
