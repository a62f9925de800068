package io.runnel.api;

import io.runnel.cluster.MetadataCache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.AlterConfigsRequestData;
import org.apache.kafka.common.message.AlterConfigsRequestData.AlterConfigsResource;
import org.apache.kafka.common.message.AlterConfigsRequestData.AlterableConfig;
import org.apache.kafka.common.message.AlterConfigsResponseData;
import org.apache.kafka.common.message.AlterConfigsResponseData.AlterConfigsResourceResponse;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;

/** AlterConfigs (the legacy API): the given configs replace all of a topic's overrides. */
@ApplicationScoped
public class AlterConfigsHandler implements ApiHandler<AlterConfigsRequestData> {

    @Inject
    TopicConfigAlterer alterer;

    @Inject
    MetadataCache cache;

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.ALTER_CONFIGS;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, AlterConfigsRequestData request) {
        List<CompletableFuture<AlterConfigsResourceResponse>> results = new ArrayList<>();
        for (AlterConfigsResource resource : request.resources()) {
            results.add(alterer.alter(
                            resource.resourceType(),
                            resource.resourceName(),
                            current -> {
                                Map<String, String> replacement = new HashMap<>();
                                for (AlterableConfig config : resource.configs()) {
                                    if (replacement.put(config.name(), config.value()) != null) {
                                        throw TopicConfigAlterer.duplicate(config.name());
                                    }
                                }
                                return replacement;
                            },
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
                    AlterConfigsResponseData response = new AlterConfigsResponseData();
                    results.forEach(r -> response.responses().add(r.join()));
                    return response;
                });
    }
}
