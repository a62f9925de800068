package io.runnel.connector.file;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.connect.source.SourceTaskContext;
import org.apache.kafka.connect.storage.OffsetStorageReader;

/** A source task context whose offset storage is a map the test fills with committed offsets. */
final class TestSourceTaskContext implements SourceTaskContext {

    final Map<Map<String, ?>, Map<String, Object>> committed = new HashMap<>();

    void commit(String filename, Object position) {
        committed.put(SourceOffsets.partition(filename), Map.of(SourceOffsets.POSITION_FIELD, position));
    }

    @Override
    public Map<String, String> configs() {
        return Map.of();
    }

    @Override
    public OffsetStorageReader offsetStorageReader() {
        return new OffsetStorageReader() {
            @Override
            public <T> Map<String, Object> offset(Map<String, T> partition) {
                return committed.get(partition);
            }

            @Override
            public <T> Map<Map<String, T>, Map<String, Object>> offsets(Collection<Map<String, T>> partitions) {
                Map<Map<String, T>, Map<String, Object>> offsets = new HashMap<>();
                for (Map<String, T> partition : partitions) {
                    offsets.put(partition, committed.get(partition));
                }
                return offsets;
            }
        };
    }

    @Override
    public PluginMetrics pluginMetrics() {
        return null;
    }
}
