package io.runnel.cluster;

import io.runnel.metadata.PostgresErrors;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;

/**
 * Since when this broker trusts lapsed leases to mean dead brokers. While PostgreSQL is unreachable
 * nobody can renew a lease, so when it returns every lease looks lapsed; the controller must then give
 * every broker a full session to renew before it fences anyone ({@code trustedSince} of
 * {@link ControllerLogic}). This records, on PostgreSQL's clock, the first successful call after a
 * failed one, from any thread of this broker that talks to PostgreSQL about leases.
 */
@ApplicationScoped
public class LeaseTrust {

    // guarded by this
    private boolean failedSinceLastSuccess;
    private Instant recoveredAt = Instant.EPOCH;

    /** A call to PostgreSQL failed; only failures to reach it count. */
    public synchronized void failed(Throwable failure) {
        if (PostgresErrors.isUnavailable(failure)) {
            failedSinceLastSuccess = true;
        }
    }

    /** A call succeeded, and PostgreSQL said its time was {@code storeNow}. */
    public synchronized void succeeded(Instant storeNow) {
        if (failedSinceLastSuccess) {
            failedSinceLastSuccess = false;
            recoveredAt = storeNow;
        }
    }

    /**
     * The later of the store's start and the last recovery from failed calls; lapsed leases count
     * from a full session after it.
     */
    public synchronized Instant trustedSince(Instant storeStartTime) {
        return storeStartTime.isAfter(recoveredAt) ? storeStartTime : recoveredAt;
    }
}
