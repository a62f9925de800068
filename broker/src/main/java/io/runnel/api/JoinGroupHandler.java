package io.runnel.api;

import io.runnel.group.GroupCoordinator;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.LinkedHashMap;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;

/**
 * JoinGroup: hands the join to the group coordinator; answered when the join phase completes, or at
 * once with NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS when this broker does not serve the group.
 */
@ApplicationScoped
public class JoinGroupHandler implements ApiHandler<JoinGroupRequestData> {

    @Inject
    GroupCoordinator coordinator;

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.JOIN_GROUP;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, JoinGroupRequestData request) {
        LinkedHashMap<String, byte[]> protocols = new LinkedHashMap<>();
        request.protocols().forEach(p -> protocols.putIfAbsent(p.name(), p.metadata()));
        // v0 has no rebalance timeout: the session timeout stands in for it, as in Kafka
        int rebalanceTimeout = context.apiVersion() == 0 ? request.sessionTimeoutMs() : request.rebalanceTimeoutMs();
        return coordinator
                .join(new GroupCoordinator.JoinRequest(
                        request.groupId(),
                        request.memberId(),
                        request.groupInstanceId(),
                        request.protocolType(),
                        protocols,
                        request.sessionTimeoutMs(),
                        rebalanceTimeout,
                        context.clientId(),
                        "/" + context.clientAddress(),
                        context.apiVersion()))
                .thenApply(response -> response);
    }
}
