package io.runnel.api;

import io.runnel.cluster.BrokerRegistration;
import io.runnel.cluster.TopicImage;
import io.runnel.config.RunnelConfig;
import io.runnel.log.LogConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigSource;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigType;

/**
 * Describes configs as Kafka does: each with its effective value, where it came from, and the chain
 * of synonyms (topic override, then the broker config that holds the default).
 */
@ApplicationScoped
public class ConfigDescriber {

    @Inject
    RunnelConfig config;

    @Inject
    BrokerRegistration registration;

    /** One described config. */
    public record DescribedConfig(
            String name,
            String value,
            ConfigSource source,
            boolean readOnly,
            ConfigType type,
            String documentation,
            List<Synonym> synonyms) {}

    public record Synonym(String name, String value, ConfigSource source) {}

    /** Every config of a topic, overrides and defaults. */
    public List<DescribedConfig> topic(TopicImage topic) {
        List<DescribedConfig> result = new ArrayList<>();
        for (LogConfig.Definition definition : LogConfig.definitions().values()) {
            String name = definition.key().name;
            Optional<String> brokerValue = LogConfig.brokerDefault(name);
            String defaultValue = brokerValue.orElseGet(() -> LogConfig.defaultValue(name));
            ConfigSource defaultSource =
                    brokerValue.isPresent() ? ConfigSource.STATIC_BROKER_CONFIG : ConfigSource.DEFAULT_CONFIG;
            Synonym brokerDefault = new Synonym(definition.brokerSynonym(), defaultValue, defaultSource);
            String override = topic.configs().get(name);
            ConfigType type = type(definition.key().type);
            if (override != null) {
                result.add(new DescribedConfig(
                        name,
                        override,
                        ConfigSource.TOPIC_CONFIG,
                        false,
                        type,
                        definition.key().documentation,
                        List.of(new Synonym(name, override, ConfigSource.TOPIC_CONFIG), brokerDefault)));
            } else {
                result.add(new DescribedConfig(
                        name,
                        defaultValue,
                        defaultSource,
                        false,
                        type,
                        definition.key().documentation,
                        List.of(brokerDefault)));
            }
        }
        return result;
    }

    /** This broker's configs, in Kafka's names; Runnel takes them at start-up, so all are read-only. */
    public List<DescribedConfig> broker() {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("node.id", String.valueOf(config.nodeId()));
        values.put("broker.id", String.valueOf(config.nodeId()));
        values.put("broker.rack", config.rack().orElse(null));
        values.put("listeners", String.join(",", config.listeners()));
        values.put("advertised.listeners", registration.advertisedListeners());
        values.put("log.dirs", config.dataDir().toAbsolutePath().resolve("logs").toString());
        values.put("auto.create.topics.enable", String.valueOf(config.autoCreateTopics()));
        values.put("num.partitions", String.valueOf(config.numPartitions()));
        values.put("default.replication.factor", String.valueOf(config.defaultReplicationFactor()));
        values.put("socket.request.max.bytes", String.valueOf(config.socketRequestMaxBytes()));
        List<DescribedConfig> result = new ArrayList<>();
        values.forEach((name, value) -> result.add(new DescribedConfig(
                name,
                value,
                ConfigSource.STATIC_BROKER_CONFIG,
                true,
                ConfigType.STRING,
                null,
                List.of(new Synonym(name, value, ConfigSource.STATIC_BROKER_CONFIG)))));
        for (LogConfig.Definition definition : LogConfig.definitions().values()) {
            Optional<String> brokerValue = LogConfig.brokerDefault(definition.key().name);
            String value = brokerValue.orElseGet(() -> LogConfig.defaultValue(definition.key().name));
            ConfigSource source =
                    brokerValue.isPresent() ? ConfigSource.STATIC_BROKER_CONFIG : ConfigSource.DEFAULT_CONFIG;
            String name = definition.brokerSynonym();
            result.add(new DescribedConfig(
                    name,
                    value,
                    source,
                    true,
                    type(definition.key().type),
                    definition.key().documentation,
                    List.of(new Synonym(name, value, source))));
        }
        return result;
    }

    static ConfigType type(ConfigDef.Type type) {
        return switch (type) {
            case BOOLEAN -> ConfigType.BOOLEAN;
            case STRING -> ConfigType.STRING;
            case INT -> ConfigType.INT;
            case SHORT -> ConfigType.SHORT;
            case LONG -> ConfigType.LONG;
            case DOUBLE -> ConfigType.DOUBLE;
            case LIST -> ConfigType.LIST;
            case CLASS -> ConfigType.CLASS;
            case PASSWORD -> ConfigType.PASSWORD;
        };
    }
}
