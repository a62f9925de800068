package io.runnel.metadata;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * A registered broker and its lease. Whether it is alive is the controller's judgement, {@link #fenced},
 * not the lease as each reader sees it: after a PostgreSQL outage every lease looks lapsed.
 */
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

    /** New with every registration (KIP-380), so a replica of an earlier registration is recognised. */
    @Column(name = "broker_epoch", nullable = false)
    public long brokerEpoch;

    /** Set by a registration and by the controller when the lease lapses; cleared only by the controller. */
    @Column(nullable = false)
    public boolean fenced;

    /** Set by the broker when it begins a controlled shutdown. */
    @Column(name = "controlled_shutdown", nullable = false)
    public boolean controlledShutdown;
}
