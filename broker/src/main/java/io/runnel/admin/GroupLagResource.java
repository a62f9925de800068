package io.runnel.admin;

import io.runnel.cluster.MetadataCache;
import io.runnel.cluster.TopicImage;
import io.runnel.group.GroupCoordinator;
import io.runnel.group.OffsetStore;
import io.runnel.log.LogManager;
import io.runnel.log.PartitionLog;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;

/**
 * Consumer groups and their lag over HTTP, from what the broker already knows: committed offsets
 * from the group coordinator's memory and log end offsets (high watermarks) from the local logs.
 * No request reaches PostgreSQL or another broker, so only the groups this broker coordinates are
 * listed, and another group's lag answers 503 with the coordinator error.
 */
@Path("/admin/groups")
@Produces(MediaType.APPLICATION_JSON)
public class GroupLagResource {

    @Inject
    GroupCoordinator coordinator;

    @Inject
    MetadataCache metadata;

    @Inject
    LogManager logs;

    public record GroupSummary(String groupId, String state, String protocolType) {}

    /** One partition's lag; {@code logEndOffset} and {@code lag} are null where the log is not on this broker. */
    public record PartitionLag(String topic, int partition, long committedOffset, Long logEndOffset, Long lag) {}

    public record GroupLag(String groupId, String state, long totalLag, List<PartitionLag> partitions) {}

    public record Problem(int errorCode, String message) {}

    @GET
    public CompletionStage<List<GroupSummary>> groups() {
        return coordinator
                .list()
                .thenApply(listings -> listings.getValue().stream()
                        .map(g -> new GroupSummary(g.groupId(), g.state(), g.protocolType()))
                        .sorted(Comparator.comparing(GroupSummary::groupId))
                        .toList());
    }

    @GET
    @Path("{groupId}/lag")
    public CompletionStage<Response> lag(@PathParam("groupId") String groupId) {
        return coordinator.describe(List.of(groupId)).thenApply(descriptions -> {
            GroupCoordinator.GroupDescription group = descriptions.getFirst();
            if (group.error() != Errors.NONE) {
                return Response.status(Response.Status.SERVICE_UNAVAILABLE)
                        .entity(new Problem(
                                group.error().code(),
                                "Broker does not coordinate group " + groupId + " now: "
                                        + group.error().message()))
                        .build();
            }
            if (!group.exists()) {
                return Response.status(Response.Status.NOT_FOUND)
                        .entity(new Problem(404, "Group " + groupId + " does not exist"))
                        .build();
            }
            Map<TopicPartition, OffsetStore.Committed> committed = coordinator.committedOffsets(groupId);
            List<PartitionLag> partitions = new ArrayList<>();
            long total = 0;
            for (Map.Entry<TopicPartition, OffsetStore.Committed> entry : committed.entrySet()) {
                TopicPartition tp = entry.getKey();
                long offset = entry.getValue().offset();
                TopicImage topic = metadata.image().topic(tp.topic());
                PartitionLog log = topic == null ? null : logs.log(topic.topicId(), tp.partition());
                if (log == null) {
                    partitions.add(new PartitionLag(tp.topic(), tp.partition(), offset, null, null));
                    continue;
                }
                long end = log.highWatermark();
                long lag = Math.max(0, end - offset);
                total += lag;
                partitions.add(new PartitionLag(tp.topic(), tp.partition(), offset, end, lag));
            }
            partitions.sort(Comparator.comparing(PartitionLag::topic).thenComparingInt(PartitionLag::partition));
            return Response.ok(new GroupLag(groupId, group.state(), total, partitions))
                    .build();
        });
    }
}
