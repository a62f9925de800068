package io.runnel.api;

import org.apache.kafka.common.protocol.ApiKeys;

/**
 * What a handler may know about a request besides its body: who sent it, over which listener, in
 * which version. Handlers never see the socket.
 */
public record RequestContext(
        ApiKeys apiKey,
        short apiVersion,
        int correlationId,
        String clientId,
        String listenerName,
        String connectionId,
        String clientAddress) {}
