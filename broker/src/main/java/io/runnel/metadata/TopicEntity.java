package io.runnel.metadata;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.util.Optional;
import java.util.UUID;

@Entity
@Table(name = "topics")
public class TopicEntity extends PanacheEntityBase {

    @Id
    @Column(name = "topic_id")
    public UUID topicId;

    @Column(nullable = false, unique = true)
    public String name;

    public static Optional<TopicEntity> findByName(String name) {
        return find("name", name).firstResultOptional();
    }
}
