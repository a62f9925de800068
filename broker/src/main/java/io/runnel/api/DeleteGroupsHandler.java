package io.runnel.api;

import io.runnel.group.GroupCoordinator;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.DeleteGroupsRequestData;
import org.apache.kafka.common.message.DeleteGroupsResponseData;
import org.apache.kafka.common.message.DeleteGroupsResponseData.DeletableGroupResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

/** DeleteGroups: removes empty groups and their committed offsets; NON_EMPTY_GROUP while members remain. */
@ApplicationScoped
public class DeleteGroupsHandler implements ApiHandler<DeleteGroupsRequestData> {

    @Inject
    GroupCoordinator coordinator;

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.DELETE_GROUPS;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, DeleteGroupsRequestData request) {
        List<String> local = new ArrayList<>();
        for (String id : request.groupsNames()) {
            if (coordinator.isCoordinatorFor(id)) {
                local.add(id);
            }
        }
        return coordinator.delete(local).thenApply(errors -> {
            DeleteGroupsResponseData response = new DeleteGroupsResponseData();
            for (String id : request.groupsNames()) {
                int i = local.indexOf(id);
                Errors error = i < 0 ? Errors.NOT_COORDINATOR : errors.get(i);
                response.results().add(new DeletableGroupResult().setGroupId(id).setErrorCode(error.code()));
            }
            return response;
        });
    }
}
