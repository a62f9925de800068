package io.runnel.api;

import io.runnel.cluster.BrokerImage;
import io.runnel.cluster.MetadataCache;
import io.runnel.cluster.MetadataImage;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.DescribeClusterRequestData;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.DescribeClusterResponseData.DescribeClusterBroker;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

/** DescribeCluster: cluster id, controller and live brokers, as reachable through the client's listener. */
@ApplicationScoped
public class DescribeClusterHandler implements ApiHandler<DescribeClusterRequestData> {

    /** Endpoint types of DescribeCluster v1+ (KIP-919). */
    private static final byte BROKERS = 1;

    @Inject
    MetadataCache cache;

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.DESCRIBE_CLUSTER;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, DescribeClusterRequestData request) {
        DescribeClusterResponseData response = new DescribeClusterResponseData().setEndpointType(BROKERS);
        if (context.apiVersion() >= 1 && request.endpointType() != BROKERS) {
            return CompletableFuture.completedFuture(response.setErrorCode(Errors.UNSUPPORTED_ENDPOINT_TYPE.code())
                    .setErrorMessage("Runnel brokers describe brokers only; there are no separate controllers."));
        }
        MetadataImage image = cache.image();
        response.setClusterId(image.clusterId()).setControllerId(image.controllerId());
        for (BrokerImage broker : image.brokers().values()) {
            broker.endpoint(context.listenerName())
                    .ifPresent(endpoint -> response.brokers()
                            .add(new DescribeClusterBroker()
                                    .setBrokerId(broker.nodeId())
                                    .setHost(endpoint.host())
                                    .setPort(endpoint.port())
                                    .setRack(broker.rack().orElse(null))));
        }
        if (request.includeClusterAuthorizedOperations()) {
            response.setClusterAuthorizedOperations(AuthorizedOperations.CLUSTER);
        }
        return CompletableFuture.completedFuture(response);
    }
}
