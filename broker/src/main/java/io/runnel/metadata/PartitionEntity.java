package io.runnel.metadata;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.util.List;
import java.util.UUID;

/** The replicated state of one partition: replicas, ISR, leader and the epochs that fence changes. */
@Entity
@Table(name = "partitions")
@IdClass(PartitionEntity.Key.class)
public class PartitionEntity extends PanacheEntityBase {

    @Id
    @Column(name = "topic_id")
    public UUID topicId;

    @Id
    @Column(name = "partition_index")
    public int partitionIndex;

    @Column(nullable = false)
    public int[] replicas;

    @Column(nullable = false)
    public int[] isr;

    @Column(nullable = false)
    public int leader;

    @Column(name = "leader_epoch", nullable = false)
    public int leaderEpoch;

    @Column(name = "partition_epoch", nullable = false)
    public int partitionEpoch;

    public static List<PartitionEntity> ofTopic(UUID topicId) {
        return list("topicId = ?1 order by partitionIndex", topicId);
    }

    public record Key(UUID topicId, int partitionIndex) implements Serializable {
        public Key() {
            this(null, 0);
        }
    }
}
