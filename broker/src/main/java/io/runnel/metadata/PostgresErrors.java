package io.runnel.metadata;

import java.sql.SQLException;
import java.util.Locale;

/** Tells a PostgreSQL that cannot be reached from other database errors. */
public final class PostgresErrors {

    private PostgresErrors() {}

    /**
     * A connection failure (SQLState class 08), a server shutting down or starting (57P01–57P03), or
     * no pooled connection in time (Agroal's acquisition timeout, which carries no SQLState) anywhere
     * in the causes. A deadlock or a constraint violation is not one: the database answered.
     */
    public static boolean isUnavailable(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sql) {
                String state = sql.getSQLState();
                if (state != null && (state.startsWith("08") || state.startsWith("57P"))) {
                    return true;
                }
                // Agroal: "Acquisition timeout while waiting for new connection", "Sorry, acquisition timeout!"
                if (state == null
                        && String.valueOf(sql.getMessage())
                                .toLowerCase(Locale.ROOT)
                                .contains("acquisition timeout")) {
                    return true;
                }
            }
        }
        return false;
    }
}
