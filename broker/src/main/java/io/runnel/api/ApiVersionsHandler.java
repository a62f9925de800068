package io.runnel.api;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersion;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersionCollection;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiVersionsRequest;

/**
 * ApiVersions: advertises exactly the APIs this broker implements, with the version range each
 * handler answers. A client asking in a version newer than ours gets v0 with UNSUPPORTED_VERSION
 * (see {@link #unsupportedVersionResponse()}), then retries in a version we support.
 */
@ApplicationScoped
public class ApiVersionsHandler implements ApiHandler<ApiVersionsRequestData> {

    @Inject
    @Any
    Instance<ApiHandler<?>> handlers;

    private volatile ApiVersionCollection advertised;

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.API_VERSIONS;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiVersionsRequestData request) {
        if (!new ApiVersionsRequest(request, context.apiVersion()).isValid()) {
            return CompletableFuture.completedFuture(
                    response(Errors.INVALID_REQUEST).setApiKeys(new ApiVersionCollection()));
        }
        return CompletableFuture.completedFuture(response(Errors.NONE));
    }

    /** The v0 answer to an ApiVersions request in a version this broker does not know. */
    public ApiVersionsResponseData unsupportedVersionResponse() {
        return response(Errors.UNSUPPORTED_VERSION);
    }

    private ApiVersionsResponseData response(Errors error) {
        return new ApiVersionsResponseData()
                .setErrorCode(error.code())
                .setApiKeys(advertised().duplicate())
                .setFinalizedFeaturesEpoch(-1);
    }

    private ApiVersionCollection advertised() {
        ApiVersionCollection result = advertised;
        if (result == null) {
            result = new ApiVersionCollection();
            for (ApiHandler<?> handler : handlers.stream()
                    .sorted(Comparator.comparingInt(h -> h.apiKey().id))
                    .toList()) {
                result.add(new ApiVersion()
                        .setApiKey(handler.apiKey().id)
                        .setMinVersion(handler.oldestVersion())
                        .setMaxVersion(handler.latestVersion()));
            }
            advertised = result;
        }
        return result;
    }
}
