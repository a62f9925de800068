package io.runnel.api;

import io.runnel.group.GroupCoordinator;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.DeleteGroupsRequestData;
import org.apache.kafka.common.message.DeleteGroupsResponseData;
import org.apache.kafka.common.message.DeleteGroupsResponseData.DeletableGroupResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;

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
        List<String> ids = request.groupsNames();
        return coordinator.delete(ids).thenApply(errors -> {
            DeleteGroupsResponseData response = new DeleteGroupsResponseData();
            for (int i = 0; i < ids.size(); i++) {
                response.results()
                        .add(new DeletableGroupResult()
                                .setGroupId(ids.get(i))
                                .setErrorCode(errors.get(i).code()));
            }
            return response;
        });
    }
}
