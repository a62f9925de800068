package io.runnel.api;

import io.runnel.group.GroupCoordinator;
import io.runnel.group.GroupCoordinator.Leaving;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

/** LeaveGroup: one member (v0-2) or a batch of members, by member or group instance id (v3+). */
@ApplicationScoped
public class LeaveGroupHandler implements ApiHandler<LeaveGroupRequestData> {

    @Inject
    GroupCoordinator coordinator;

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.LEAVE_GROUP;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, LeaveGroupRequestData request) {
        boolean batched = context.apiVersion() >= 3;
        List<Leaving> leaving = new ArrayList<>();
        if (batched) {
            request.members().forEach(m -> leaving.add(new Leaving(m.memberId(), m.groupInstanceId())));
        } else {
            leaving.add(new Leaving(request.memberId(), null));
        }
        return coordinator.leave(request.groupId(), leaving).thenApply(result -> {
            LeaveGroupResponseData response = new LeaveGroupResponseData();
            if (result.getKey() != Errors.NONE) {
                return response.setErrorCode(result.getKey().code());
            }
            List<Errors> errors = result.getValue();
            if (!batched) {
                return response.setErrorCode(errors.getFirst().code());
            }
            for (int i = 0; i < leaving.size(); i++) {
                response.members()
                        .add(new LeaveGroupResponseData.MemberResponse()
                                .setMemberId(leaving.get(i).memberId())
                                .setGroupInstanceId(leaving.get(i).groupInstanceId())
                                .setErrorCode(errors.get(i).code()));
            }
            return response;
        });
    }
}
