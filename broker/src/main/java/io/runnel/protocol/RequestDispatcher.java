package io.runnel.protocol;

import io.runnel.api.ApiHandler;
import io.runnel.api.RequestContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.requests.AbstractRequest;
import org.jboss.logging.Logger;

/** Maps API keys to their handlers, and turns a handler's failure into Kafka's error response. */
@ApplicationScoped
public class RequestDispatcher {

    private static final Logger LOG = Logger.getLogger(RequestDispatcher.class);

    private final Map<ApiKeys, ApiHandler<?>> handlers = new EnumMap<>(ApiKeys.class);

    @Inject
    RequestDispatcher(@Any Instance<ApiHandler<?>> all) {
        for (ApiHandler<?> handler : all) {
            if (handlers.put(handler.apiKey(), handler) != null) {
                throw new IllegalStateException("Two handlers for " + handler.apiKey());
            }
        }
    }

    /** Whether this broker answers {@code apiKey} in {@code version}. */
    boolean supports(ApiKeys apiKey, short version) {
        ApiHandler<?> handler = handlers.get(apiKey);
        return handler != null && version >= handler.oldestVersion() && version <= handler.latestVersion();
    }

    boolean implemented(ApiKeys apiKey) {
        return handlers.containsKey(apiKey);
    }

    /** Runs the request's handler; the stage never fails, errors become error responses. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    CompletionStage<ApiMessage> dispatch(RequestContext context, AbstractRequest request) {
        ApiHandler handler = handlers.get(context.apiKey());
        CompletionStage<ApiMessage> result;
        try {
            result = handler.handle(context, request.data());
        } catch (Throwable e) {
            result = CompletableFuture.failedFuture(e);
        }
        return result.handle((response, failure) -> {
            if (failure == null) {
                return response;
            }
            Throwable cause = unwrap(failure);
            if (!(cause instanceof ApiException)) {
                LOG.warnf(cause, "%s v%d from %s failed", context.apiKey(), context.apiVersion(), context.clientId());
            }
            return request.getErrorResponse(0, cause).data();
        });
    }

    private static Throwable unwrap(Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }
}
