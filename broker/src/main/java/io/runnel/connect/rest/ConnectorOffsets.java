package io.runnel.connect.rest;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.runtime.ShutdownEvent;
import io.runnel.cluster.BrokerRegistration;
import io.runnel.connect.plugins.PluginDesc;
import io.runnel.connect.plugins.Plugins;
import io.runnel.connect.runtime.ConnectorConfigs;
import io.runnel.connect.storage.ConnectStore;
import io.runnel.connect.storage.ConnectStore.ConnectorRow;
import io.runnel.connect.storage.Json;
import io.runnel.txn.ProducerIdManager;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.connect.connector.Connector;
import org.apache.kafka.connect.sink.SinkConnector;
import org.apache.kafka.connect.source.SourceConnector;

/**
 * {@code GET/PATCH/DELETE /connectors/{name}/offsets} (KIP-875). Source offsets live in PostgreSQL;
 * a sink connector's offsets are its consumer group's ({@code connect-<name>}) committed offsets,
 * read and changed with an admin client against this broker, as Kafka Connect does.
 */
@ApplicationScoped
public class ConnectorOffsets {

    private static final String KAFKA_TOPIC = "kafka_topic";
    private static final String KAFKA_PARTITION = "kafka_partition";
    private static final String KAFKA_OFFSET = "kafka_offset";

    @Inject
    ConnectStore store;

    @Inject
    BrokerRegistration registration;

    @Inject
    ProducerIdManager producerIds;

    @Inject
    Plugins plugins;

    private Admin admin;

    public record PartitionOffset(Map<String, Object> partition, Map<String, Object> offset) {}

    public record Offsets(List<PartitionOffset> offsets) {}

    Offsets get(ConnectorRow row, String type) {
        List<PartitionOffset> result = new ArrayList<>();
        if ("sink".equals(type)) {
            Map<TopicPartition, OffsetAndMetadata> committed = call(() -> admin().listConsumerGroupOffsets(group(row))
                    .partitionsToOffsetAndMetadata()
                    .get(30, TimeUnit.SECONDS));
            committed.entrySet().stream()
                    .filter(e -> e.getValue() != null)
                    .sorted(Map.Entry.comparingByKey(java.util.Comparator.comparing(TopicPartition::topic)
                            .thenComparing(TopicPartition::partition)))
                    .forEach(e -> result.add(new PartitionOffset(
                            sinkPartition(e.getKey()),
                            Map.of(KAFKA_OFFSET, e.getValue().offset()))));
        } else {
            for (ConnectStore.SourceOffsetRow offset : store.sourceOffsets(row.name())) {
                if (offset.sourceOffset() != null) {
                    result.add(new PartitionOffset(
                            Json.readMap(offset.sourcePartition()), Json.readMap(offset.sourceOffset())));
                }
            }
        }
        return new Offsets(result);
    }

    void alter(ConnectorRow row, String type, JsonNode body) {
        JsonNode offsets = body.get("offsets");
        if (offsets == null || !offsets.isArray() || offsets.isEmpty()) {
            throw ConnectRestException.badRequest("The request body must have a non-empty 'offsets' array of"
                    + " {\"partition\": {...}, \"offset\": {...}} objects");
        }
        if ("sink".equals(type)) {
            alterSink(row, offsets);
        } else {
            alterSource(row, offsets);
        }
    }

    /**
     * Lets the connector check the offsets before they are written, as KIP-875 has it: the connector
     * knows the shape of its partitions and offsets, and a task would fail on offsets it cannot read.
     * Whether it also manages offsets of its own (its answer) does not change what is written here.
     */
    private void checkWithConnector(ConnectorRow row, Function<Connector, Boolean> alterOffsets) {
        PluginDesc plugin = Optional.ofNullable(row.config().get(ConnectorConfigs.CONNECTOR_CLASS))
                .flatMap(plugins::connector)
                .orElse(null);
        if (plugin == null) {
            return; // not installed: nothing can check them, and no task of this broker reads them
        }
        try {
            Plugins.withLoader(
                    plugin.loader(),
                    () -> alterOffsets.apply(plugins.newInstance(plugin.pluginClass(), Connector.class)));
        } catch (UnsupportedOperationException e) {
            throw ConnectRestException.badRequest("Connector " + row.name()
                    + " does not support external modification of offsets: " + e.getMessage());
        } catch (RuntimeException e) {
            throw ConnectRestException.badRequest(
                    "Connector " + row.name() + " rejected the offsets: " + e.getMessage());
        }
    }

    private void alterSink(ConnectorRow row, JsonNode offsets) {
        Map<TopicPartition, OffsetAndMetadata> toAlter = new HashMap<>();
        Set<TopicPartition> toDelete = new HashSet<>();
        for (JsonNode entry : offsets) {
            JsonNode partition = entry.get("partition");
            Long partitionNumber = partition == null ? null : wholeNumber(partition.path(KAFKA_PARTITION));
            if (partition == null
                    || !partition.isObject()
                    || !partition.path(KAFKA_TOPIC).isTextual()
                    || partitionNumber == null
                    || partitionNumber < 0
                    || partitionNumber > Integer.MAX_VALUE) {
                throw ConnectRestException.badRequest("A sink connector's partition must be {\"" + KAFKA_TOPIC
                        + "\": <topic>, \"" + KAFKA_PARTITION + "\": <partition>}, not " + partition);
            }
            TopicPartition tp = new TopicPartition(partition.get(KAFKA_TOPIC).asText(), partitionNumber.intValue());
            JsonNode offset = entry.get("offset");
            Long offsetNumber = offset == null ? null : wholeNumber(offset.path(KAFKA_OFFSET));
            if (offset == null || offset.isNull()) {
                toDelete.add(tp);
            } else if (offsetNumber != null && offsetNumber >= 0) {
                toAlter.put(tp, new OffsetAndMetadata(offsetNumber));
            } else {
                throw ConnectRestException.badRequest("A sink connector's offset must be {\"" + KAFKA_OFFSET
                        + "\": <non-negative offset>} or null, not " + offset);
            }
        }
        Map<TopicPartition, Long> checked = new HashMap<>();
        toAlter.forEach((tp, offset) -> checked.put(tp, offset.offset()));
        toDelete.forEach(tp -> checked.put(tp, null));
        checkWithConnector(row, c -> ((SinkConnector) c).alterOffsets(row.config(), checked));
        if (!toAlter.isEmpty()) {
            call(() ->
                    admin().alterConsumerGroupOffsets(group(row), toAlter).all().get(30, TimeUnit.SECONDS));
        }
        if (!toDelete.isEmpty()) {
            try {
                call(() -> admin().deleteConsumerGroupOffsets(group(row), toDelete)
                        .all()
                        .get(30, TimeUnit.SECONDS));
            } catch (ConnectRestException e) {
                if (!(e.getCause() instanceof GroupIdNotFoundException)) {
                    throw e;
                }
            }
        }
    }

    /** A whole number given as a JSON number or as a string ("3"), as Kafka Connect accepts both; else null. */
    private static Long wholeNumber(JsonNode node) {
        if (node.isIntegralNumber() && node.canConvertToLong()) {
            return node.asLong();
        }
        if (node.isTextual()) {
            try {
                return Long.parseLong(node.asText().trim());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    private void alterSource(ConnectorRow row, JsonNode offsets) {
        Map<String, String> changes = new LinkedHashMap<>();
        for (JsonNode entry : offsets) {
            JsonNode partition = entry.get("partition");
            if (partition == null || !partition.isObject() || partition.isEmpty()) {
                throw ConnectRestException.badRequest("Each entry needs a 'partition' object, not " + partition);
            }
            JsonNode offset = entry.get("offset");
            if (offset != null && !offset.isNull() && !offset.isObject()) {
                throw ConnectRestException.badRequest("An 'offset' must be an object or null, not " + offset);
            }
            changes.put(
                    Json.write(RestBodies.toJava(partition)),
                    offset == null || offset.isNull() ? null : Json.write(RestBodies.toJava(offset)));
        }
        // as the tasks will read them back
        Map<Map<String, ?>, Map<String, ?>> checked = new HashMap<>();
        changes.forEach((partition, offset) ->
                checked.put(Json.readMap(partition), offset == null ? null : Json.readMap(offset)));
        checkWithConnector(row, c -> ((SourceConnector) c).alterOffsets(row.config(), checked));
        changes.forEach((partition, offset) -> {
            if (store.sourceOffset(row.name(), partition).isEmpty()) {
                if (offset == null) {
                    return;
                }
                store.registerSourcePartition(row.name(), partition, nextProducerId());
            }
            store.alterSourceOffset(row.name(), partition, offset);
        });
    }

    /** Resets every offset; the connector is asked first, with a null offset per partition (KIP-875). */
    void reset(ConnectorRow row, String type) {
        if ("sink".equals(type)) {
            Map<TopicPartition, Long> cleared = new HashMap<>();
            get(row, type)
                    .offsets()
                    .forEach(o -> cleared.put(
                            new TopicPartition(
                                    (String) o.partition().get(KAFKA_TOPIC),
                                    ((Number) o.partition().get(KAFKA_PARTITION)).intValue()),
                            null));
            checkWithConnector(row, c -> ((SinkConnector) c).alterOffsets(row.config(), cleared));
            try {
                call(() ->
                        admin().deleteConsumerGroups(List.of(group(row))).all().get(30, TimeUnit.SECONDS));
            } catch (ConnectRestException e) {
                if (!(e.getCause() instanceof GroupIdNotFoundException)) {
                    throw e;
                }
            }
            return;
        }
        List<ConnectStore.SourceOffsetRow> rows = store.sourceOffsets(row.name());
        Map<Map<String, ?>, Map<String, ?>> cleared = new HashMap<>();
        rows.forEach(offset -> cleared.put(Json.readMap(offset.sourcePartition()), null));
        checkWithConnector(row, c -> ((SourceConnector) c).alterOffsets(row.config(), cleared));
        for (ConnectStore.SourceOffsetRow offset : rows) {
            store.alterSourceOffset(row.name(), offset.sourcePartition(), null);
        }
    }

    private long nextProducerId() {
        try {
            return producerIds.nextProducerId().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new ConnectRestException(500, "Could not allocate a producer id: " + e);
        }
    }

    private static String group(ConnectorRow row) {
        return row.config().getOrDefault("consumer.override.group.id", "connect-" + row.name());
    }

    private static Map<String, Object> sinkPartition(TopicPartition tp) {
        Map<String, Object> partition = new LinkedHashMap<>();
        partition.put(KAFKA_TOPIC, tp.topic());
        partition.put(KAFKA_PARTITION, tp.partition());
        return partition;
    }

    private synchronized Admin admin() {
        if (admin == null) {
            var endpoint = registration.advertisedEndpoints().getFirst();
            admin = Admin.create(Map.of(
                    AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                    endpoint.host() + ":" + endpoint.port(),
                    AdminClientConfig.CLIENT_ID_CONFIG,
                    "connect-rest-admin"));
        }
        return admin;
    }

    private interface AdminCall<T> {
        T run() throws InterruptedException, ExecutionException, TimeoutException;
    }

    private static <T> T call(AdminCall<T> call) {
        try {
            return call.run();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            int status = cause instanceof GroupNotEmptyException ? 409 : 500;
            if (cause instanceof GroupIdNotFoundException) {
                status = 404;
            }
            ConnectRestException rest = new ConnectRestException(
                    status, "Could not change the consumer group offsets: " + cause.getMessage());
            rest.initCause(cause);
            throw rest;
        } catch (TimeoutException e) {
            throw new ConnectRestException(500, "Timed out changing the consumer group offsets");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectRestException(500, "Interrupted");
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        Admin current;
        synchronized (this) {
            current = admin;
            admin = null;
        }
        if (current != null) {
            current.close(java.time.Duration.ofSeconds(2));
        }
    }
}
