package io.runnel.api;

import io.runnel.cluster.BrokerImage;
import io.runnel.cluster.MetadataCache;
import io.runnel.cluster.MetadataImage;
import io.runnel.config.Endpoint;
import io.runnel.group.GroupCoordinator;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.FindCoordinatorResponseData.Coordinator;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FindCoordinatorRequest.CoordinatorType;

/**
 * FindCoordinator: the broker coordinating each group (the active holder of its coordinator slot), as
 * reachable through the client's listener; batched keys from v4. While a slot has no active holder —
 * its broker died and the controller has not moved it yet — the answer is COORDINATOR_NOT_AVAILABLE,
 * which clients retry. Transactions are not supported, so a transaction coordinator is never available.
 */
@ApplicationScoped
public class FindCoordinatorHandler implements ApiHandler<FindCoordinatorRequestData> {

    @Inject
    MetadataCache metadata;

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.FIND_COORDINATOR;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, FindCoordinatorRequestData request) {
        FindCoordinatorResponseData response = new FindCoordinatorResponseData();
        if (context.apiVersion() >= 4) {
            for (String key : request.coordinatorKeys()) {
                response.coordinators().add(find(context, key, request.keyType()));
            }
        } else {
            Coordinator found = find(context, request.key(), request.keyType());
            response.setErrorCode(found.errorCode())
                    .setErrorMessage(found.errorMessage())
                    .setNodeId(found.nodeId())
                    .setHost(found.host())
                    .setPort(found.port());
        }
        return CompletableFuture.completedFuture(response);
    }

    private Coordinator find(RequestContext context, String key, byte keyType) {
        Coordinator result =
                new Coordinator().setKey(key).setNodeId(-1).setHost("").setPort(-1);
        if (keyType != CoordinatorType.GROUP.id()) {
            return result.setErrorCode(Errors.COORDINATOR_NOT_AVAILABLE.code())
                    .setErrorMessage("Transactions are not supported by this broker");
        }
        if (key == null || key.isEmpty()) {
            return result.setErrorCode(Errors.INVALID_REQUEST.code()).setErrorMessage("Empty group id");
        }
        MetadataImage image = metadata.image();
        BrokerImage broker = GroupCoordinator.coordinatorFor(key, image);
        if (broker == null) {
            return result.setErrorCode(Errors.COORDINATOR_NOT_AVAILABLE.code())
                    .setErrorMessage("The coordinator of group " + key + " is moving to another broker");
        }
        Optional<Endpoint> endpoint = broker.endpoint(context.listenerName());
        if (endpoint.isEmpty()) {
            return result.setErrorCode(Errors.COORDINATOR_NOT_AVAILABLE.code())
                    .setErrorMessage("No broker is reachable through listener " + context.listenerName());
        }
        return result.setNodeId(broker.nodeId())
                .setHost(endpoint.get().host())
                .setPort(endpoint.get().port());
    }
}
