package io.runnel.api;

import io.runnel.group.GroupCoordinator;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;

/** SyncGroup: the leader's assignment in, each member's assignment out once the leader has sent it. */
@ApplicationScoped
public class SyncGroupHandler implements ApiHandler<SyncGroupRequestData> {

    @Inject
    GroupCoordinator coordinator;

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.SYNC_GROUP;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, SyncGroupRequestData request) {
        Map<String, byte[]> assignments = new HashMap<>();
        request.assignments().forEach(a -> assignments.put(a.memberId(), a.assignment()));
        return coordinator
                .sync(new GroupCoordinator.SyncRequest(
                        request.groupId(),
                        request.generationId(),
                        request.memberId(),
                        request.groupInstanceId(),
                        context.apiVersion() >= 5 ? request.protocolType() : null,
                        context.apiVersion() >= 5 ? request.protocolName() : null,
                        assignments))
                .thenApply(response -> response);
    }
}
