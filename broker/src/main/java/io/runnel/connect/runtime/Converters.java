package io.runnel.connect.runtime;

import io.runnel.config.RunnelConfig;
import io.runnel.connect.plugins.PluginType;
import io.runnel.connect.plugins.Plugins;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.connect.storage.Converter;
import org.apache.kafka.connect.storage.HeaderConverter;

/**
 * A task's key, value and header converters, configured from the connector config ({@code
 * key.converter.schemas.enable=false}, ...) or the broker's defaults.
 */
public record Converters(Converter key, Converter value, HeaderConverter header) {

    public static Converters create(
            Plugins plugins, Map<String, String> config, RunnelConfig.ConnectSettings defaults) {
        Converter key = converter(plugins, config, ConnectorConfigs.KEY_CONVERTER, defaults.keyConverter());
        key.configure(withPrefix(config, ConnectorConfigs.KEY_CONVERTER + "."), true);
        Converter value = converter(plugins, config, ConnectorConfigs.VALUE_CONVERTER, defaults.valueConverter());
        value.configure(withPrefix(config, ConnectorConfigs.VALUE_CONVERTER + "."), false);
        HeaderConverter header = plugins.newInstance(
                plugins.pluginClass(
                        config.getOrDefault(ConnectorConfigs.HEADER_CONVERTER, defaults.headerConverter()),
                        PluginType.HEADER_CONVERTER),
                HeaderConverter.class);
        Map<String, Object> headerConfig = new HashMap<>(withPrefix(config, ConnectorConfigs.HEADER_CONVERTER + "."));
        headerConfig.putIfAbsent("converter.type", "header");
        header.configure(headerConfig);
        return new Converters(key, value, header);
    }

    private static Converter converter(
            Plugins plugins, Map<String, String> config, String setting, String brokerDefault) {
        return plugins.newInstance(
                plugins.pluginClass(config.getOrDefault(setting, brokerDefault), PluginType.CONVERTER),
                Converter.class);
    }

    static Map<String, Object> withPrefix(Map<String, String> config, String prefix) {
        Map<String, Object> result = new HashMap<>();
        config.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                result.put(k.substring(prefix.length()), v);
            }
        });
        return result;
    }

    void close() {
        closeQuietly(key);
        closeQuietly(value);
        closeQuietly(header);
    }

    private static void closeQuietly(Object converter) {
        if (converter instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                // nothing to lose: converters hold no data
            }
        }
    }
}
