package io.runnel.metadata;

import io.quarkus.runtime.ExecutionMode;
import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.PropertiesConfigSource;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * Points the datasource at an embedded PostgreSQL when none is configured, so that one command starts
 * a broker on a bare machine. Any explicit {@code quarkus.datasource.jdbc.url} (properties, system
 * property, environment) wins: then nothing is started.
 */
public final class EmbeddedPostgresConfigSourceFactory implements ConfigSourceFactory {

    static final String JDBC_URL = "quarkus.datasource.jdbc.url";

    /** Below application.properties (250) and everything else a user sets. */
    private static final int ORDINAL = 50;

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        if (isSet(context.getValue(JDBC_URL)) || !isRuntime()) {
            return List.of();
        }
        ConfigValue dataDir = context.getValue("runnel.data-dir");
        Path dir = Path.of(isSet(dataDir) ? dataDir.getValue() : "./runnel-data");
        EmbeddedPostgres postgres = EmbeddedPostgres.startOnce(dir);
        return List.of(new PropertiesConfigSource(
                Map.of(JDBC_URL, postgres.jdbcUrl(), "quarkus.datasource.username", "postgres"),
                "runnel-embedded-postgres",
                ORDINAL));
    }

    @Override
    public OptionalInt getPriority() {
        return OptionalInt.of(ORDINAL);
    }

    private static boolean isSet(ConfigValue value) {
        return value != null && value.getValue() != null && !value.getValue().isBlank();
    }

    /** Config is also read while the application is built; only a running broker needs a database. */
    private static boolean isRuntime() {
        ExecutionMode mode = ExecutionMode.current();
        return mode == ExecutionMode.RUNTIME_INIT || mode == ExecutionMode.RUNNING;
    }
}
