package io.runnel.metadata;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Reads the metadata image and writes topic changes in PostgreSQL. Every method is one transaction;
 * callers run on the broker's metadata thread, never on an event loop. Leases, fencing and elections
 * go through {@link ClusterStore}.
 */
@ApplicationScoped
public class MetadataStore {

    @Inject
    EntityManager em;

    /**
     * Everything a broker needs to build its metadata image, read in one transaction.
     *
     * @param metadataVersion read first, so the rows are at least as new as the version says
     * @param controller the holder of the controller lease, -1 when none
     */
    public record Snapshot(
            String clusterId,
            long metadataVersion,
            List<BrokerEntity> brokers,
            int controller,
            List<TopicEntity> topics,
            List<PartitionEntity> partitions,
            List<TopicConfigEntity> configs,
            List<ClusterStore.SlotRow> slots) {}

    /** Returns the cluster id, creating it when this is the first broker of a new cluster. */
    @Transactional
    public String ensureClusterId(String candidate) {
        em.createNativeQuery("insert into cluster (singleton, cluster_id) values (true, ?1) on conflict do nothing")
                .setParameter(1, candidate)
                .executeUpdate();
        return ClusterEntity.<ClusterEntity>findById(true).clusterId;
    }

    @Transactional
    public Snapshot snapshot() {
        Optional<ClusterEntity> cluster = ClusterEntity.findByIdOptional(true);
        List<?> holders = em.createNativeQuery("select holder from controller").getResultList();
        Number holder = holders.isEmpty() ? null : (Number) holders.getFirst();
        List<ClusterStore.SlotRow> slots = new ArrayList<>();
        for (Object row : em.createNativeQuery(
                        "select slot, coordinator, coordinator_epoch from coordinator_slots order by slot")
                .getResultList()) {
            Object[] columns = (Object[]) row;
            slots.add(new ClusterStore.SlotRow(
                    ((Number) columns[0]).intValue(),
                    ((Number) columns[1]).intValue(),
                    ((Number) columns[2]).intValue()));
        }
        return new Snapshot(
                cluster.map(c -> c.clusterId).orElse(""),
                cluster.map(c -> c.metadataVersion).orElse(0L),
                BrokerEntity.list("order by nodeId"),
                holder == null ? -1 : holder.intValue(),
                TopicEntity.listAll(),
                PartitionEntity.listAll(),
                TopicConfigEntity.listAll(),
                slots);
    }

    /** Creates a topic with its partitions and config overrides. */
    @Transactional
    public void createTopic(TopicEntity topic, Collection<PartitionEntity> partitions, Map<String, String> configs) {
        em.persist(topic);
        partitions.forEach(em::persist);
        configs.forEach((name, value) -> em.persist(config(topic.topicId, name, value)));
    }

    /** Deletes a topic, its partitions and configs; false when it was already gone. */
    @Transactional
    public boolean deleteTopic(UUID topicId) {
        return TopicEntity.deleteById(topicId);
    }

    /** Adds partitions to a topic. */
    @Transactional
    public void addPartitions(Collection<PartitionEntity> partitions) {
        partitions.forEach(em::persist);
    }

    /** Replaces all config overrides of a topic. */
    @Transactional
    public void replaceConfigs(UUID topicId, Map<String, String> configs) {
        TopicConfigEntity.delete("topicId", topicId);
        em.flush();
        configs.forEach((name, value) -> em.persist(config(topicId, name, value)));
    }

    private static TopicConfigEntity config(UUID topicId, String name, String value) {
        TopicConfigEntity entity = new TopicConfigEntity();
        entity.topicId = topicId;
        entity.name = name;
        entity.value = value;
        return entity;
    }

    /** Takes the next {@code size} producer ids for this broker; returns the first of them. */
    @Transactional
    public long allocateProducerIds(int size) {
        Number next = (Number) em.createNativeQuery(
                        "update producer_id_blocks set next_producer_id = next_producer_id + ?1 returning next_producer_id")
                .setParameter(1, size)
                .getSingleResult();
        return next.longValue() - size;
    }
}
