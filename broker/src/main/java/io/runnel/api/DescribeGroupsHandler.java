package io.runnel.api;

import io.runnel.group.GroupCoordinator;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.DescribeGroupsResponseData.DescribedGroup;
import org.apache.kafka.common.message.DescribeGroupsResponseData.DescribedGroupMember;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

/**
 * DescribeGroups: state, protocol and members with their subscriptions and assignments (those only
 * in a stable group, as Kafka does). An unknown group is "Dead", or GROUP_ID_NOT_FOUND from v6.
 */
@ApplicationScoped
public class DescribeGroupsHandler implements ApiHandler<DescribeGroupsRequestData> {

    @Inject
    GroupCoordinator coordinator;

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.DESCRIBE_GROUPS;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, DescribeGroupsRequestData request) {
        return coordinator.describe(request.groups()).thenApply(descriptions -> {
            DescribeGroupsResponseData response = new DescribeGroupsResponseData();
            for (int i = 0; i < request.groups().size(); i++) {
                String id = request.groups().get(i);
                DescribedGroup described = new DescribedGroup()
                        .setGroupId(id)
                        .setGroupState("Dead")
                        .setProtocolType("")
                        .setProtocolData("");
                response.groups().add(described);
                GroupCoordinator.GroupDescription d = descriptions.get(i);
                if (d.error() != Errors.NONE) {
                    described.setErrorCode(d.error().code());
                    continue;
                }
                if (!d.exists() && context.apiVersion() >= 6) {
                    described
                            .setErrorCode(Errors.GROUP_ID_NOT_FOUND.code())
                            .setErrorMessage("Group " + id + " not found.");
                    continue;
                }
                described
                        .setGroupState(d.state())
                        .setProtocolType(d.protocolType())
                        .setProtocolData(d.protocolName());
                for (GroupCoordinator.MemberDescription m : d.members()) {
                    described
                            .members()
                            .add(new DescribedGroupMember()
                                    .setMemberId(m.memberId())
                                    .setGroupInstanceId(m.groupInstanceId())
                                    .setClientId(m.clientId())
                                    .setClientHost(m.clientHost())
                                    .setMemberMetadata(m.metadata() == null ? new byte[0] : m.metadata())
                                    .setMemberAssignment(m.assignment()));
                }
                if (request.includeAuthorizedOperations()) {
                    described.setAuthorizedOperations(AuthorizedOperations.GROUP);
                }
            }
            return response;
        });
    }
}
