package io.runnel.log;

import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.HashMap;
import java.util.Map;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

/**
 * Reads the broker's defaults for topic configs under Kafka's broker config names, prefixed with
 * {@code kafka.}: {@code kafka.log.retention.ms}, {@code kafka.log.flush.interval.messages},
 * {@code kafka.log.segment.bytes}, ... (environment: {@code KAFKA_LOG_RETENTION_MS}). A topic's own
 * config still wins; DescribeConfigs reports these as STATIC_BROKER_CONFIG.
 */
@ApplicationScoped
public class BrokerLogDefaults {

    private static final Logger LOG = Logger.getLogger(BrokerLogDefaults.class);
    static final String PREFIX = "kafka.";

    /** Before the metadata image is built (broker registration), so every topic sees them. */
    void onStart(@Observes @Priority(1) StartupEvent event) {
        Config config = ConfigProvider.getConfig();
        Map<String, String> defaults = new HashMap<>();
        for (LogConfig.Definition definition : LogConfig.definitions().values()) {
            config.getOptionalValue(PREFIX + definition.brokerSynonym(), String.class)
                    .ifPresent(value -> defaults.put(definition.key().name, value));
        }
        LogConfig.setBrokerDefaults(defaults);
        if (!defaults.isEmpty()) {
            LOG.infof("Broker defaults for topic configs: %s", defaults);
        }
    }
}
