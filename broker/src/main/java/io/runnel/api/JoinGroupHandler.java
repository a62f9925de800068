package io.runnel.api;

import io.runnel.group.GroupCoordinator;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.LinkedHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

/** JoinGroup: hands the join to the group coordinator; answered when the join phase completes. */
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
        if (!coordinator.isCoordinatorFor(request.groupId())) {
            return CompletableFuture.completedFuture(new JoinGroupResponseData()
                    .setErrorCode(Errors.NOT_COORDINATOR.code())
                    .setMemberId(request.memberId())
                    .setLeader(""));
        }
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
