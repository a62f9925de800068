package io.runnel.api;

import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;

/**
 * Answers one Kafka API. {@link #handle} is called on the connection's event loop and must not block
 * there; work that waits (PostgreSQL, replication) completes the returned stage later, on any thread.
 *
 * <p>The stage completes with the response body, or with {@code null} when the protocol wants no
 * response (acks=0 produce). A stage that fails with an {@code ApiException} becomes Kafka's error
 * response for that request; any other failure becomes UNKNOWN_SERVER_ERROR.
 *
 * @param <T> the request body type, a generated {@code *RequestData} class
 */
public interface ApiHandler<T extends ApiMessage> {

    ApiKeys apiKey();

    /** Oldest version answered; by default the oldest the protocol still defines. */
    default short oldestVersion() {
        return apiKey().oldestVersion();
    }

    /** Newest version answered; by default the newest stable version kafka-clients knows. */
    default short latestVersion() {
        return apiKey().latestVersion();
    }

    CompletionStage<ApiMessage> handle(RequestContext context, T request);
}
