package io.runnel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.persistence.PersistenceException;
import java.sql.SQLException;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class LeaseTrustTest {

    private static final Instant STARTED = Instant.parse("2026-03-01T10:00:00Z");
    private static final Instant LATER = Instant.parse("2026-03-01T11:00:00Z");

    private static final Exception UNREACHABLE =
            new PersistenceException("commit", new SQLException("Connection refused", "08001"));
    private static final Exception DEADLOCK =
            new PersistenceException("update", new SQLException("deadlock detected", "40P01"));

    @Test
    void leasesAreTrustedFromTheStartOfPostgres() {
        LeaseTrust trust = new LeaseTrust();
        trust.succeeded(LATER);

        assertThat(trust.trustedSince(STARTED)).isEqualTo(STARTED);
    }

    @Test
    void afterPostgresWasUnreachableLeasesAreTrustedFromTheFirstSuccess() {
        LeaseTrust trust = new LeaseTrust();
        trust.failed(UNREACHABLE);
        trust.failed(UNREACHABLE);
        trust.succeeded(LATER);
        trust.succeeded(LATER.plusSeconds(5));

        assertThat(trust.trustedSince(STARTED)).isEqualTo(LATER);
    }

    @Test
    void anErrorPostgresAnsweredWithIsNoOutage() {
        LeaseTrust trust = new LeaseTrust();
        trust.failed(DEADLOCK);
        trust.failed(new IllegalStateException("no database involved"));
        trust.succeeded(LATER);

        assertThat(trust.trustedSince(STARTED)).isEqualTo(STARTED);
    }

    @Test
    void anAcquisitionTimeoutOfThePoolIsAnOutage() {
        LeaseTrust trust = new LeaseTrust();
        trust.failed(new PersistenceException(new SQLException("Sorry, acquisition timeout!")));
        trust.succeeded(LATER);

        assertThat(trust.trustedSince(STARTED)).isEqualTo(LATER);
    }
}
