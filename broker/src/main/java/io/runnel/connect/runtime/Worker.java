package io.runnel.connect.runtime;

import io.runnel.cluster.MetadataCache;
import io.runnel.cluster.MetadataImage;
import io.runnel.cluster.TopicImage;
import io.runnel.cluster.TopicManager;
import io.runnel.config.RunnelConfig;
import io.runnel.connect.plugins.Plugins;
import io.runnel.connect.storage.ConnectStore;
import io.runnel.log.LogManager;
import io.runnel.replication.ReplicaManager;
import io.runnel.txn.ProducerIdManager;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.metrics.internals.PluginMetricsImpl;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;

/**
 * What the tasks of this broker share: plugins, storage, the broker's own log and metadata, and the
 * address its internal clients (sink consumers, dead letter queue producers) connect to.
 */
public record Worker(
        RunnelConfig config,
        Plugins plugins,
        ConnectStore store,
        StatusReporter status,
        MetadataCache metadata,
        TopicManager topics,
        LogManager logs,
        ReplicaManager replicas,
        ProducerIdManager producerIds,
        String bootstrapServers,
        Metrics metrics) {

    /** Metrics a connector or task registers (KIP-877), tagged with its name. */
    public PluginMetricsImpl pluginMetrics(String connector, int task) {
        java.util.Map<String, String> tags = new java.util.LinkedHashMap<>();
        tags.put("connector", connector);
        if (task >= 0) {
            tags.put("task", String.valueOf(task));
        }
        return new PluginMetricsImpl(metrics, tags);
    }

    /** The topic, created with the broker's defaults (or the given replication factor) if missing. */
    public TopicImage ensureTopic(String name, short replicationFactor) {
        TopicImage topic = metadata.image().topic(name);
        if (topic != null) {
            return topic;
        }
        short factor = replicationFactor <= 0
                ? -1
                : (short) Math.min(
                        replicationFactor,
                        Math.max(1, metadata.image().brokers().size()));
        try {
            return topics.createTopic(new TopicManager.NewTopic(name, -1, factor, Map.of(), Map.of()), false)
                    .get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TopicExistsException) {
                return awaitTopic(name); // another broker created it; our image learns of it shortly
            }
            throw new ConnectException(
                    "Could not create topic " + name + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new ConnectException("Timed out creating topic " + name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectException("Interrupted creating topic " + name, e);
        }
    }

    /** Waits (30 s at most) until this broker's metadata image shows the topic. */
    private TopicImage awaitTopic(String name) {
        CompletableFuture<TopicImage> shown = new CompletableFuture<>();
        Consumer<MetadataImage> listener = image -> {
            TopicImage topic = image.topic(name);
            if (topic != null) {
                shown.complete(topic);
            }
        };
        metadata.onUpdate(listener);
        try {
            listener.accept(metadata.image()); // it may be there already
            return shown.get(30, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            throw new RetriableException("Topic " + name + " exists but this broker's metadata does not show it yet");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectException("Interrupted waiting for topic " + name, e);
        } finally {
            metadata.removeListener(listener);
        }
    }

    public RunnelConfig.ConnectSettings settings() {
        return config.connect();
    }
}
