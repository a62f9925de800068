package io.runnel.api;

import io.runnel.txn.ProducerIdManager;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

/**
 * InitProducerId for idempotent producers: a new producer id with epoch 0 on every call, as Kafka
 * does without a transactional id. Transactions are not supported: a transactional id is refused
 * with TRANSACTIONAL_ID_AUTHORIZATION_FAILED, which clients treat as fatal rather than retrying.
 */
@ApplicationScoped
public class InitProducerIdHandler implements ApiHandler<InitProducerIdRequestData> {

    @Inject
    ProducerIdManager producerIds;

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.INIT_PRODUCER_ID;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, InitProducerIdRequestData request) {
        if (request.transactionalId() != null) {
            return CompletableFuture.completedFuture(new InitProducerIdResponseData()
                    .setErrorCode(Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED.code())
                    .setProducerId(-1)
                    .setProducerEpoch((short) -1));
        }
        return producerIds
                .nextProducerId()
                .thenApply(
                        id -> new InitProducerIdResponseData().setProducerId(id).setProducerEpoch((short) 0));
    }
}
