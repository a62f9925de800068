package io.runnel.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.persistence.PersistenceException;
import java.sql.SQLException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class PostgresErrorsTest {

    @Test
    void aRefusedOrBrokenConnectionIsAnOutage() {
        assertThat(PostgresErrors.isUnavailable(new SQLException("Connection to localhost:5432 refused", "08001")))
                .isTrue();
        assertThat(PostgresErrors.isUnavailable(new PersistenceException(
                        "wrapped", new SQLException("An I/O error occurred while sending to the backend", "08006"))))
                .isTrue();
        assertThat(PostgresErrors.isUnavailable(
                        new SQLException("terminating connection due to administrator command", "57P01")))
                .isTrue();
    }

    @Test
    void noPooledConnectionInTimeIsAnOutageWhateverAgroalCallsIt() {
        assertThat(PostgresErrors.isUnavailable(new PersistenceException(new SQLException(
                        "Acquisition timeout while waiting for new connection", new TimeoutException()))))
                .isTrue();
        assertThat(PostgresErrors.isUnavailable(new SQLException("Sorry, acquisition timeout!")))
                .isTrue();
    }

    @Test
    void anAnswerFromTheDatabaseIsNotAnOutage() {
        assertThat(PostgresErrors.isUnavailable(new SQLException("deadlock detected", "40P01")))
                .isFalse();
        assertThat(PostgresErrors.isUnavailable(new SQLException("duplicate key", "23505")))
                .isFalse();
        assertThat(PostgresErrors.isUnavailable(new IllegalStateException("no SQL at all")))
                .isFalse();
    }
}
