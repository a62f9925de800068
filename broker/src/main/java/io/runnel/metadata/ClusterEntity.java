package io.runnel.metadata;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;

/** The one row that names this cluster. */
@Entity
@Table(name = "cluster")
public class ClusterEntity extends PanacheEntityBase {

    @Id
    public boolean singleton = true;

    @Column(name = "cluster_id", nullable = false)
    public String clusterId;

    @Column(name = "created_at", insertable = false, updatable = false)
    public OffsetDateTime createdAt;

    /** Bumped by the triggers of V5 with every metadata change; brokers poll it as a fallback to NOTIFY. */
    @Column(name = "metadata_version", insertable = false, updatable = false)
    public long metadataVersion;
}
