package io.runnel.api;

import io.runnel.group.GroupCoordinator;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.ListGroupsRequestData;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;

/**
 * ListGroups: the groups this broker coordinates, filtered by state (v4+) and type (v5+; all are
 * classic); COORDINATOR_LOAD_IN_PROGRESS while it loads one of its slots.
 */
@ApplicationScoped
public class ListGroupsHandler implements ApiHandler<ListGroupsRequestData> {

    private static final String CLASSIC = "classic";

    @Inject
    GroupCoordinator coordinator;

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.LIST_GROUPS;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ListGroupsRequestData request) {
        return coordinator.list().thenApply(result -> {
            ListGroupsResponseData response =
                    new ListGroupsResponseData().setErrorCode(result.getKey().code());
            for (GroupCoordinator.GroupListing group : result.getValue()) {
                boolean stateWanted = request.statesFilter().isEmpty()
                        || request.statesFilter().stream().anyMatch(s -> s.equalsIgnoreCase(group.state()));
                boolean typeWanted = request.typesFilter().isEmpty()
                        || request.typesFilter().stream().anyMatch(t -> t.equalsIgnoreCase(CLASSIC));
                if (stateWanted && typeWanted) {
                    response.groups()
                            .add(new ListGroupsResponseData.ListedGroup()
                                    .setGroupId(group.groupId())
                                    .setProtocolType(group.protocolType())
                                    .setGroupState(group.state())
                                    .setGroupType(CLASSIC));
                }
            }
            return response;
        });
    }
}
