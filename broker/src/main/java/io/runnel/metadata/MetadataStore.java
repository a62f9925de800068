package io.runnel.metadata;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Reads and writes cluster metadata in PostgreSQL. Every method is one transaction; callers run on
 * the broker's metadata thread, never on an event loop.
 */
@ApplicationScoped
public class MetadataStore {

    @Inject
    EntityManager em;

    /** Everything a broker needs to build its metadata image, read in one transaction. */
    public record Snapshot(
            String clusterId,
            List<BrokerEntity> liveBrokers,
            List<TopicEntity> topics,
            List<PartitionEntity> partitions,
            List<TopicConfigEntity> configs) {}

    /** Returns the cluster id, creating it when this is the first broker of a new cluster. */
    @Transactional
    public String ensureClusterId(String candidate) {
        em.createNativeQuery("insert into cluster (singleton, cluster_id) values (true, ?1) on conflict do nothing")
                .setParameter(1, candidate)
                .executeUpdate();
        return ClusterEntity.<ClusterEntity>findById(true).clusterId;
    }

    /** Registers (or re-registers) this broker with a lease that expires on the database's clock. */
    @Transactional
    public void registerBroker(int nodeId, Optional<String> rack, String listeners, UUID incarnation, Duration lease) {
        em.createNativeQuery("""
                        insert into brokers (node_id, rack, listeners, incarnation_id, registered_at, lease_expires_at)
                        values (?1, ?2, ?3, ?4, now(), now() + make_interval(secs => ?5))
                        on conflict (node_id) do update set rack = excluded.rack, listeners = excluded.listeners,
                            incarnation_id = excluded.incarnation_id, registered_at = excluded.registered_at,
                            lease_expires_at = excluded.lease_expires_at
                        """)
                .setParameter(1, nodeId)
                .setParameter(2, rack.orElse(null))
                .setParameter(3, listeners)
                .setParameter(4, incarnation)
                .setParameter(5, lease.toMillis() / 1000.0)
                .executeUpdate();
    }

    /** Extends this incarnation's lease; false when another process took over the node id. */
    @Transactional
    public boolean renewBrokerLease(int nodeId, UUID incarnation, Duration lease) {
        return em.createNativeQuery("""
                        update brokers set lease_expires_at = now() + make_interval(secs => ?3)
                        where node_id = ?1 and incarnation_id = ?2
                        """)
                        .setParameter(1, nodeId)
                        .setParameter(2, incarnation)
                        .setParameter(3, lease.toMillis() / 1000.0)
                        .executeUpdate()
                == 1;
    }

    /** Gives up this incarnation's lease at once, on a clean shutdown. */
    @Transactional
    public void expireBrokerLease(int nodeId, UUID incarnation) {
        em.createNativeQuery("update brokers set lease_expires_at = now() where node_id = ?1 and incarnation_id = ?2")
                .setParameter(1, nodeId)
                .setParameter(2, incarnation)
                .executeUpdate();
    }

    @Transactional
    public Snapshot snapshot() {
        List<BrokerEntity> live = BrokerEntity.list("leaseExpiresAt > current_timestamp() order by nodeId");
        return new Snapshot(
                ClusterEntity.<ClusterEntity>findByIdOptional(true)
                        .map(c -> c.clusterId)
                        .orElse(""),
                live,
                TopicEntity.listAll(),
                PartitionEntity.listAll(),
                TopicConfigEntity.listAll());
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
