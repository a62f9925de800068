package io.runnel.api;

import io.runnel.cluster.MetadataCache;
import io.runnel.cluster.TopicImage;
import io.runnel.config.RunnelConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.message.DescribeConfigsRequestData;
import org.apache.kafka.common.message.DescribeConfigsRequestData.DescribeConfigsResource;
import org.apache.kafka.common.message.DescribeConfigsResponseData;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResourceResult;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResult;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsSynonym;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

/** DescribeConfigs for topics and for this broker, with synonyms and documentation on request. */
@ApplicationScoped
public class DescribeConfigsHandler implements ApiHandler<DescribeConfigsRequestData> {

    @Inject
    MetadataCache cache;

    @Inject
    ConfigDescriber describer;

    @Inject
    RunnelConfig config;

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.DESCRIBE_CONFIGS;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, DescribeConfigsRequestData request) {
        DescribeConfigsResponseData response = new DescribeConfigsResponseData();
        for (DescribeConfigsResource resource : request.resources()) {
            response.results().add(describe(resource, request, context.apiVersion()));
        }
        return CompletableFuture.completedFuture(response);
    }

    private DescribeConfigsResult describe(
            DescribeConfigsResource resource, DescribeConfigsRequestData request, short v) {
        DescribeConfigsResult result = new DescribeConfigsResult()
                .setResourceType(resource.resourceType())
                .setResourceName(resource.resourceName());
        ConfigResource.Type type = ConfigResource.Type.forId(resource.resourceType());
        List<ConfigDescriber.DescribedConfig> configs;
        switch (type) {
            case TOPIC -> {
                if (!Topic.isValid(resource.resourceName())) {
                    return result.setErrorCode(Errors.INVALID_TOPIC_EXCEPTION.code())
                            .setErrorMessage("Topic name '" + resource.resourceName() + "' is illegal.");
                }
                TopicImage topic = cache.image().topic(resource.resourceName());
                if (topic == null) {
                    return result.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code())
                            .setErrorMessage("Topic '" + resource.resourceName() + "' does not exist.");
                }
                configs = describer.topic(topic);
            }
            case BROKER -> {
                if (!resource.resourceName().isEmpty()
                        && !resource.resourceName().equals(String.valueOf(config.nodeId()))) {
                    return result.setErrorCode(Errors.INVALID_REQUEST.code())
                            .setErrorMessage("Broker configs of broker " + resource.resourceName()
                                    + " must be asked of that broker; this is broker " + config.nodeId() + ".");
                }
                configs = describer.broker();
            }
            default -> {
                return result.setErrorCode(Errors.INVALID_REQUEST.code())
                        .setErrorMessage("Runnel does not describe configs of resource type " + type + ".");
            }
        }
        Set<String> keys = resource.configurationKeys() == null ? null : new HashSet<>(resource.configurationKeys());
        for (ConfigDescriber.DescribedConfig c : configs) {
            if (keys != null && !keys.contains(c.name())) {
                continue;
            }
            DescribeConfigsResourceResult entry = new DescribeConfigsResourceResult()
                    .setName(c.name())
                    .setValue(c.value())
                    .setReadOnly(c.readOnly())
                    .setIsSensitive(false)
                    .setConfigSource(c.source().id());
            if (v >= 1 && request.includeSynonyms()) {
                for (ConfigDescriber.Synonym synonym : c.synonyms()) {
                    entry.synonyms()
                            .add(new DescribeConfigsSynonym()
                                    .setName(synonym.name())
                                    .setValue(synonym.value())
                                    .setSource(synonym.source().id()));
                }
            }
            if (v >= 3) {
                entry.setConfigType(c.type().id());
                if (request.includeDocumentation()) {
                    entry.setDocumentation(c.documentation());
                }
            }
            result.configs().add(entry);
        }
        return result;
    }
}
