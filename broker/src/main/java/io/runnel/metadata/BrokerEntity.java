package io.runnel.metadata;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;
import java.util.UUID;

/** A registered broker and its lease; a broker whose lease expired is considered dead. */
@Entity
@Table(name = "brokers")
public class BrokerEntity extends PanacheEntityBase {

    @Id
    @Column(name = "node_id")
    public int nodeId;

    public String rack;

    /** Advertised listeners, {@code NAME://host:port} comma separated. */
    @Column(nullable = false)
    public String listeners;

    @Column(name = "incarnation_id", nullable = false)
    public UUID incarnationId;

    @Column(name = "registered_at", nullable = false)
    public OffsetDateTime registeredAt;

    @Column(name = "lease_expires_at", nullable = false)
    public OffsetDateTime leaseExpiresAt;
}
