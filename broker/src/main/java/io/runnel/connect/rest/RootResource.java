package io.runnel.connect.rest;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.runnel.cluster.MetadataCache;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.apache.kafka.common.utils.AppInfoParser;

/** {@code GET /}: what Kafka Connect's REST API answers there, and what tools such as kcctl ask first. */
@Path("/")
@Produces(MediaType.APPLICATION_JSON)
public class RootResource {

    @Inject
    MetadataCache metadata;

    public record ServerInfo(
            String version,
            String commit,
            @JsonProperty("kafka_cluster_id") String kafkaClusterId) {}

    @GET
    public ServerInfo info() {
        return new ServerInfo(
                AppInfoParser.getVersion(),
                AppInfoParser.getCommitId(),
                metadata.image().clusterId());
    }
}
