package io.runnel.connect.runtime;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The result of validating a connector config, in the JSON shape of Kafka Connect's {@code PUT
 * /connector-plugins/{plugin}/config/validate}.
 */
public record ConfigInfos(
        String name, @JsonProperty("error_count") int errorCount, List<String> groups, List<ConfigInfo> configs) {

    public record ConfigInfo(ConfigKeyInfo definition, ConfigValueInfo value) {}

    public record ConfigKeyInfo(
            String name,
            String type,
            boolean required,
            @JsonProperty("default_value") String defaultValue,
            String importance,
            String documentation,
            String group,
            @JsonProperty("order") int orderInGroup,
            String width,
            @JsonProperty("display_name") String displayName,
            List<String> dependents) {}

    public record ConfigValueInfo(
            String name,
            String value,
            @JsonProperty("recommended_values") List<String> recommendedValues,
            List<String> errors,
            boolean visible) {}

    /** "field: message" for every error, in order. */
    public List<String> errorMessages() {
        return configs.stream()
                .flatMap(c -> c.value().errors().stream().map(e -> c.value().name() + ": " + e))
                .toList();
    }
}
