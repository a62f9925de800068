package io.runnel.connect.runtime;

import io.runnel.connect.plugins.PluginDesc;
import io.runnel.connect.plugins.PluginType;
import io.runnel.connect.plugins.Plugins;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.connector.Connector;
import org.apache.kafka.connect.transforms.Transformation;
import org.apache.kafka.connect.transforms.predicates.Predicate;

/**
 * Validates a connector config as Kafka Connect does before accepting it: the runtime's own
 * configs (converters, transforms, predicates, error handling, sink topics), then the connector's
 * {@code validate}. Every problem is reported on the field it concerns.
 */
@ApplicationScoped
public class ConfigValidator {

    @Inject
    Plugins plugins;

    /** Validates against the connector plugin named in {@code connector.class}. */
    public ConfigInfos validate(Map<String, String> config) {
        String className = config.get(ConnectorConfigs.CONNECTOR_CLASS);
        Optional<PluginDesc> plugin = className == null ? Optional.empty() : plugins.connector(className);
        if (plugin.isEmpty()) {
            ConfigDef def = ConnectorConfigs.common();
            List<ConfigValue> values = def.validate(config);
            ConfigValue classValue = find(values, ConnectorConfigs.CONNECTOR_CLASS);
            if (className != null) {
                classValue.addErrorMessage(
                        "Connector class " + className + " is not a known connector plugin;" + " the known ones are "
                                + plugins.connectors().stream()
                                        .map(PluginDesc::className)
                                        .toList());
            }
            return infos(className == null ? "" : className, def, values, Map.of());
        }
        return validate(plugin.get(), config);
    }

    public ConfigInfos validate(PluginDesc plugin, Map<String, String> config) {
        boolean sink = plugin.type() == PluginType.SINK;
        ConfigDef def = sink ? ConnectorConfigs.sink() : ConnectorConfigs.source();
        List<ConfigValue> values = new ArrayList<>(def.validate(config));
        Map<String, ConfigDef.ConfigKey> extraKeys = new LinkedHashMap<>();

        checkClass(values, config, ConnectorConfigs.KEY_CONVERTER, PluginType.CONVERTER);
        checkClass(values, config, ConnectorConfigs.VALUE_CONVERTER, PluginType.CONVERTER);
        checkClass(values, config, ConnectorConfigs.HEADER_CONVERTER, PluginType.HEADER_CONVERTER);
        Set<String> predicates = new LinkedHashSet<>(listOf(config.get(ConnectorConfigs.PREDICATES)));
        for (String alias : predicates) {
            validatePlugin(values, extraKeys, config, "predicates." + alias + ".", PluginType.PREDICATE);
        }
        for (String alias : listOf(config.get(ConnectorConfigs.TRANSFORMS))) {
            String prefix = "transforms." + alias + ".";
            validatePlugin(values, extraKeys, config, prefix, PluginType.TRANSFORMATION);
            String predicate = config.get(prefix + "predicate");
            if (predicate != null && !predicate.isBlank() && !predicates.contains(predicate)) {
                ConfigValue value = new ConfigValue(prefix + "predicate", predicate, List.of(), new ArrayList<>());
                value.addErrorMessage("Predicate " + predicate + " is not among the predicates " + predicates);
                values.add(value);
                extraKeys.put(value.name(), stringKey(value.name(), "The predicate of transform " + alias));
            }
        }
        if (sink) {
            checkSinkTopics(values, config);
        }

        Connector connector = plugins.newInstance(plugin.pluginClass(), Connector.class);
        ConfigDef connectorDef = connector.config();
        Config connectorResult = Plugins.withLoader(plugin.loader(), () -> connector.validate(config));
        for (ConfigValue value : connectorResult.configValues()) {
            ConfigValue existing = find(values, value.name());
            if (existing == null) {
                values.add(value);
            } else {
                value.errorMessages().forEach(existing::addErrorMessage);
            }
        }
        extraKeys.putAll(connectorDef.configKeys());
        return infos(plugin.className(), def, values, extraKeys);
    }

    /** The connector's own config definitions ({@code GET /connector-plugins/{plugin}/config}). */
    public List<ConfigInfos.ConfigKeyInfo> pluginConfig(PluginDesc plugin) {
        Connector connector = plugins.newInstance(plugin.pluginClass(), Connector.class);
        return connector.config().configKeys().values().stream()
                .map(ConfigValidator::keyInfo)
                .toList();
    }

    private void checkClass(List<ConfigValue> values, Map<String, String> config, String name, PluginType type) {
        String className = config.get(name);
        if (className == null || className.isBlank()) {
            return;
        }
        try {
            plugins.pluginClass(className, type);
        } catch (ConfigException e) {
            find(values, name).addErrorMessage(e.getMessage());
        }
    }

    private void validatePlugin(
            List<ConfigValue> values,
            Map<String, ConfigDef.ConfigKey> extraKeys,
            Map<String, String> config,
            String prefix,
            PluginType type) {
        String typeName = prefix + "type";
        ConfigValue typeValue = new ConfigValue(typeName, config.get(typeName), List.of(), new ArrayList<>());
        values.add(typeValue);
        extraKeys.put(typeName, stringKey(typeName, "Class for the '" + prefix + "' " + type.restName() + "."));
        String className = config.get(typeName);
        if (className == null || className.isBlank()) {
            typeValue.addErrorMessage(
                    "Missing required configuration \"" + typeName + "\" which has no default value.");
            return;
        }
        Class<?> pluginClass;
        try {
            pluginClass = plugins.pluginClass(className, type);
        } catch (ConfigException e) {
            typeValue.addErrorMessage(e.getMessage());
            return;
        }
        ConfigDef def;
        try {
            Object plugin = plugins.newInstance(pluginClass, Object.class);
            def = plugin instanceof Transformation<?> t ? t.config() : ((Predicate<?>) plugin).config();
        } catch (RuntimeException e) {
            typeValue.addErrorMessage("Could not instantiate " + className + ": " + e.getMessage());
            return;
        }
        Map<String, String> subConfig = new HashMap<>();
        config.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                subConfig.put(k.substring(prefix.length()), v);
            }
        });
        for (ConfigValue value : def.validate(subConfig)) {
            ConfigValue prefixed = new ConfigValue(
                    prefix + value.name(), value.value(), value.recommendedValues(), value.errorMessages());
            values.add(prefixed);
            ConfigDef.ConfigKey key = def.configKeys().get(value.name());
            if (key != null) {
                extraKeys.put(prefixed.name(), prefixedKey(prefix, key));
            }
        }
    }

    private static void checkSinkTopics(List<ConfigValue> values, Map<String, String> config) {
        List<String> topics = listOf(config.get(ConnectorConfigs.TOPICS));
        String regex = config.getOrDefault(ConnectorConfigs.TOPICS_REGEX, "").trim();
        ConfigValue topicsValue = find(values, ConnectorConfigs.TOPICS);
        ConfigValue regexValue = find(values, ConnectorConfigs.TOPICS_REGEX);
        if (topics.isEmpty() && regex.isEmpty()) {
            String message =
                    "Must configure one of " + ConnectorConfigs.TOPICS + " or " + ConnectorConfigs.TOPICS_REGEX;
            topicsValue.addErrorMessage(message);
            regexValue.addErrorMessage(message);
        } else if (!topics.isEmpty() && !regex.isEmpty()) {
            String message =
                    ConnectorConfigs.TOPICS + " and " + ConnectorConfigs.TOPICS_REGEX + " are mutually exclusive";
            topicsValue.addErrorMessage(message);
            regexValue.addErrorMessage(message);
        }
        if (!regex.isEmpty()) {
            try {
                Pattern.compile(regex);
            } catch (PatternSyntaxException e) {
                regexValue.addErrorMessage("Not a valid regular expression: " + e.getDescription());
            }
        }
        String dlq = config.getOrDefault(ConnectorConfigs.DLQ_TOPIC, "").trim();
        if (!dlq.isEmpty() && topics.contains(dlq)) {
            find(values, ConnectorConfigs.DLQ_TOPIC)
                    .addErrorMessage("The dead letter queue topic '" + dlq + "' may not be included in the list of"
                            + " topics ('" + ConnectorConfigs.TOPICS + "') consumed by the connector");
        }
    }

    private static List<String> listOf(String value) {
        if (value == null || value.isBlank()) {
            return List.of();
        }
        return List.of(value.trim().split("\\s*,\\s*"));
    }

    private static ConfigValue find(List<ConfigValue> values, String name) {
        for (ConfigValue value : values) {
            if (value.name().equals(name)) {
                return value;
            }
        }
        return null;
    }

    private static ConfigDef.ConfigKey stringKey(String name, String doc) {
        return new ConfigDef()
                .define(name, ConfigDef.Type.STRING, ConfigDef.Importance.HIGH, doc)
                .configKeys()
                .get(name);
    }

    private static ConfigDef.ConfigKey prefixedKey(String prefix, ConfigDef.ConfigKey key) {
        return new ConfigDef.ConfigKey(
                prefix + key.name,
                key.type,
                key.defaultValue,
                key.validator,
                key.importance,
                key.documentation,
                key.group,
                key.orderInGroup,
                key.width,
                key.displayName,
                key.dependents,
                key.recommender,
                key.internalConfig);
    }

    private static ConfigInfos infos(
            String name, ConfigDef def, List<ConfigValue> values, Map<String, ConfigDef.ConfigKey> extraKeys) {
        Map<String, ConfigDef.ConfigKey> keys = new LinkedHashMap<>(def.configKeys());
        extraKeys.forEach(keys::putIfAbsent);
        List<String> groups = new ArrayList<>(def.groups());
        for (ConfigDef.ConfigKey key : extraKeys.values()) {
            if (key.group != null && !groups.contains(key.group)) {
                groups.add(key.group);
            }
        }
        List<ConfigInfos.ConfigInfo> configs = new ArrayList<>();
        int errors = 0;
        for (ConfigValue value : values) {
            ConfigDef.ConfigKey key = keys.get(value.name());
            errors += value.errorMessages().size();
            configs.add(new ConfigInfos.ConfigInfo(
                    key == null ? null : keyInfo(key),
                    new ConfigInfos.ConfigValueInfo(
                            value.name(),
                            value.value() == null ? null : String.valueOf(value.value()),
                            value.recommendedValues().stream()
                                    .map(String::valueOf)
                                    .toList(),
                            List.copyOf(value.errorMessages()),
                            value.visible())));
        }
        return new ConfigInfos(name, errors, groups, configs);
    }

    private static ConfigInfos.ConfigKeyInfo keyInfo(ConfigDef.ConfigKey key) {
        boolean required = key.defaultValue == ConfigDef.NO_DEFAULT_VALUE;
        String defaultValue =
                required || key.defaultValue == null ? null : ConfigDef.convertToString(key.defaultValue, key.type);
        return new ConfigInfos.ConfigKeyInfo(
                key.name,
                key.type.name(),
                required,
                defaultValue,
                key.importance.name(),
                key.documentation,
                key.group,
                key.orderInGroup,
                key.width.name(),
                key.displayName,
                key.dependents);
    }
}
