package io.runnel.api;

import io.runnel.cluster.MetadataCache;
import io.runnel.log.LogConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData.AlterConfigsResource;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData.AlterableConfig;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;

/**
 * IncrementalAlterConfigs (KIP-339): SET and DELETE for any topic config, APPEND and SUBTRACT for
 * list-typed ones, applied to the topic's current overrides.
 */
@ApplicationScoped
public class IncrementalAlterConfigsHandler implements ApiHandler<IncrementalAlterConfigsRequestData> {

    @Inject
    TopicConfigAlterer alterer;

    @Inject
    MetadataCache cache;

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.INCREMENTAL_ALTER_CONFIGS;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, IncrementalAlterConfigsRequestData request) {
        List<CompletableFuture<AlterConfigsResourceResponse>> results = new ArrayList<>();
        for (AlterConfigsResource resource : request.resources()) {
            results.add(alterer.alter(
                            resource.resourceType(),
                            resource.resourceName(),
                            current -> apply(current, resource),
                            request.validateOnly(),
                            cache.image()::topic)
                    .thenApply(error -> new AlterConfigsResourceResponse()
                            .setResourceType(resource.resourceType())
                            .setResourceName(resource.resourceName())
                            .setErrorCode(error.error().code())
                            .setErrorMessage(error.message())));
        }
        return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
                .thenApply(v -> {
                    IncrementalAlterConfigsResponseData response = new IncrementalAlterConfigsResponseData();
                    results.forEach(r -> response.responses().add(r.join()));
                    return response;
                });
    }

    static Map<String, String> apply(Map<String, String> current, AlterConfigsResource resource) {
        Map<String, String> updated = new HashMap<>(current);
        Set<String> seen = new HashSet<>();
        for (AlterableConfig config : resource.configs()) {
            String name = config.name();
            if (!seen.add(name)) {
                throw TopicConfigAlterer.duplicate(name);
            }
            AlterConfigOp.OpType op = AlterConfigOp.OpType.forId(config.configOperation());
            if (op == null) {
                throw new InvalidRequestException("Unknown config operation " + config.configOperation());
            }
            LogConfig.Definition definition = LogConfig.definition(name)
                    .orElseThrow(() -> new InvalidConfigurationException("Unknown topic config name: " + name));
            switch (op) {
                case SET -> updated.put(name, config.value());
                case DELETE -> updated.remove(name);
                case APPEND, SUBTRACT -> {
                    if (definition.key().type != ConfigDef.Type.LIST) {
                        throw new InvalidConfigurationException(
                                "Config value append is not allowed for config key: " + name);
                    }
                    String base = updated.getOrDefault(name, LogConfig.defaultValue(name));
                    Set<String> values = new LinkedHashSet<>(split(base));
                    if (op == AlterConfigOp.OpType.APPEND) {
                        values.addAll(split(config.value()));
                    } else {
                        split(config.value()).forEach(values::remove);
                    }
                    updated.put(name, String.join(",", values));
                }
            }
        }
        return updated;
    }

    private static List<String> split(String value) {
        if (value == null || value.isBlank()) {
            return List.of();
        }
        return Arrays.stream(value.split(",")).map(String::trim).toList();
    }
}
