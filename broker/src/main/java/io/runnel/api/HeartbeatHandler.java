package io.runnel.api;

import io.runnel.group.GroupCoordinator;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;

/** Heartbeat: keeps a member's session; tells it when the group is rebalancing. */
@ApplicationScoped
public class HeartbeatHandler implements ApiHandler<HeartbeatRequestData> {

    @Inject
    GroupCoordinator coordinator;

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.HEARTBEAT;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, HeartbeatRequestData request) {
        return coordinator
                .heartbeat(request.groupId(), request.memberId(), request.groupInstanceId(), request.generationId())
                .thenApply(error -> new HeartbeatResponseData().setErrorCode(error.code()));
    }
}
