package io.runnel.metadata;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.util.List;
import java.util.UUID;

/** A topic-level config override ({@code retention.ms=...}); defaults are not stored. */
@Entity
@Table(name = "topic_configs")
@IdClass(TopicConfigEntity.Key.class)
public class TopicConfigEntity extends PanacheEntityBase {

    @Id
    @jakarta.persistence.Column(name = "topic_id")
    public UUID topicId;

    @Id
    public String name;

    public String value;

    public static List<TopicConfigEntity> ofTopic(UUID topicId) {
        return list("topicId", topicId);
    }

    public record Key(UUID topicId, String name) implements Serializable {
        public Key() {
            this(null, null);
        }
    }
}
