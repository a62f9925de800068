package io.runnel.connect.storage;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Connector configs, task configs, status and source offsets in PostgreSQL (Kafka Connect keeps
 * them in its config, status and offsets topics). Called from REST requests, the herder and task
 * threads; never from an event loop or the produce/fetch path.
 */
@ApplicationScoped
public class ConnectStore {

    public enum TargetState {
        STARTED,
        PAUSED,
        STOPPED
    }

    public record ConnectorRow(String name, Map<String, String> config, TargetState targetState, int restartSeq) {}

    public record TaskRow(String connector, int task, Map<String, String> config, int restartSeq) {}

    public record StatusRow(String connector, int task, String state, String workerId, String trace) {}

    /** A source partition's committed offset and the producer that writes its records. */
    public record SourceOffsetRow(
            String sourcePartition, String sourceOffset, long producerId, short producerEpoch, String sequences) {}

    @Inject
    EntityManager em;

    // ---- connectors

    @Transactional
    public List<ConnectorRow> connectors() {
        List<?> rows = em.createNativeQuery(
                        "select name, config, target_state, restart_seq from connectors order by name")
                .getResultList();
        List<ConnectorRow> result = new ArrayList<>(rows.size());
        for (Object row : rows) {
            result.add(connectorRow((Object[]) row));
        }
        return result;
    }

    @Transactional
    public Optional<ConnectorRow> connector(String name) {
        List<?> rows = em.createNativeQuery(
                        "select name, config, target_state, restart_seq from connectors where name = ?1")
                .setParameter(1, name)
                .getResultList();
        return rows.isEmpty() ? Optional.empty() : Optional.of(connectorRow((Object[]) rows.get(0)));
    }

    /** Creates the connector; false if one of that name exists. */
    @Transactional
    public boolean createConnector(String name, Map<String, String> config, TargetState state) {
        return em.createNativeQuery("insert into connectors (name, config, target_state) values (?1, ?2, ?3)"
                                + " on conflict (name) do nothing")
                        .setParameter(1, name)
                        .setParameter(2, Json.write(config))
                        .setParameter(3, state.name())
                        .executeUpdate()
                == 1;
    }

    /** Replaces the config of an existing connector; false if there is none. */
    @Transactional
    public boolean updateConfig(String name, Map<String, String> config) {
        return em.createNativeQuery("update connectors set config = ?2 where name = ?1")
                        .setParameter(1, name)
                        .setParameter(2, Json.write(config))
                        .executeUpdate()
                == 1;
    }

    @Transactional
    public boolean setTargetState(String name, TargetState state) {
        return em.createNativeQuery("update connectors set target_state = ?2 where name = ?1")
                        .setParameter(1, name)
                        .setParameter(2, state.name())
                        .executeUpdate()
                == 1;
    }

    @Transactional
    public boolean requestRestart(String name) {
        return em.createNativeQuery("update connectors set restart_seq = restart_seq + 1 where name = ?1")
                        .setParameter(1, name)
                        .executeUpdate()
                == 1;
    }

    @Transactional
    public boolean requestTaskRestart(String name, int task) {
        return em.createNativeQuery(
                                "update connector_tasks set restart_seq = restart_seq + 1 where connector = ?1 and task = ?2")
                        .setParameter(1, name)
                        .setParameter(2, task)
                        .executeUpdate()
                == 1;
    }

    @Transactional
    public boolean deleteConnector(String name) {
        return em.createNativeQuery("delete from connectors where name = ?1")
                        .setParameter(1, name)
                        .executeUpdate()
                == 1;
    }

    // ---- tasks

    @Transactional
    public List<TaskRow> tasks() {
        return taskRows(em.createNativeQuery(
                        "select connector, task, config, restart_seq from connector_tasks order by connector, task")
                .getResultList());
    }

    @Transactional
    public List<TaskRow> tasks(String connector) {
        return taskRows(em.createNativeQuery(
                        "select connector, task, config, restart_seq from connector_tasks where connector = ?1"
                                + " order by task")
                .setParameter(1, connector)
                .getResultList());
    }

    /**
     * Replaces the connector's task configs if they differ from the stored ones (Kafka Connect
     * writes new task configs only when they changed). Rows are updated in place, so a task's owner
     * stays until that broker has stopped it; status rows of tasks that no longer exist go.
     * Returns whether anything changed.
     */
    @Transactional
    public boolean replaceTasks(String connector, List<Map<String, String>> configs) {
        List<TaskRow> current = tasks(connector);
        if (current.size() == configs.size()) {
            boolean same = true;
            for (int i = 0; i < configs.size() && same; i++) {
                same = current.get(i).config().equals(configs.get(i));
            }
            if (same) {
                return false;
            }
        }
        em.createNativeQuery("delete from connector_tasks where connector = ?1 and task >= ?2")
                .setParameter(1, connector)
                .setParameter(2, configs.size())
                .executeUpdate();
        em.createNativeQuery("delete from connector_status where connector = ?1 and task >= ?2")
                .setParameter(1, connector)
                .setParameter(2, configs.size())
                .executeUpdate();
        for (int i = 0; i < configs.size(); i++) {
            em.createNativeQuery("insert into connector_tasks (connector, task, config) values (?1, ?2, ?3)"
                            + " on conflict (connector, task) do update set config = excluded.config")
                    .setParameter(1, connector)
                    .setParameter(2, i)
                    .setParameter(3, Json.write(configs.get(i)))
                    .executeUpdate();
        }
        return true;
    }

    /**
     * Claims a task for a broker: only if nobody runs it, this broker already does, or the controller
     * has fenced its owner. A task moving between brokers thus never runs twice at once: the new
     * owner waits until the old one has stopped it (and made its last commit) or is dead. Fencing,
     * not the lease as seen now, decides: after a PostgreSQL outage every lease looks lapsed, but the
     * controller gives every broker a session to renew first.
     */
    @Transactional
    public boolean claimTask(String connector, int task, int nodeId) {
        return em.createNativeQuery("update connector_tasks set owner = ?3 where connector = ?1 and task = ?2"
                                + " and (owner is null or owner = ?3 or not exists (select 1 from brokers b"
                                + " where b.node_id = connector_tasks.owner and not b.fenced))")
                        .setParameter(1, connector)
                        .setParameter(2, task)
                        .setParameter(3, nodeId)
                        .executeUpdate()
                == 1;
    }

    /** How many of the connector's tasks an unfenced broker still holds. */
    @Transactional
    public int claimedTasks(String connector) {
        return ((Number) em.createNativeQuery("select count(*) from connector_tasks t where t.connector = ?1"
                                + " and t.owner is not null and exists (select 1 from brokers b"
                                + " where b.node_id = t.owner and not b.fenced)")
                        .setParameter(1, connector)
                        .getSingleResult())
                .intValue();
    }

    /** Gives up a broker's claim on a task, once it has stopped running it. */
    @Transactional
    public void releaseTask(String connector, int task, int nodeId) {
        em.createNativeQuery(
                        "update connector_tasks set owner = null where connector = ?1 and task = ?2 and owner = ?3")
                .setParameter(1, connector)
                .setParameter(2, task)
                .setParameter(3, nodeId)
                .executeUpdate();
    }

    // ---- status

    /** Records a state; ignored if the connector was deleted meanwhile. */
    @Transactional
    public void putStatus(String connector, int task, String state, String workerId, String trace) {
        em.createNativeQuery("insert into connector_status (connector, task, state, worker_id, trace)"
                        + " select ?1, ?2, ?3, ?4, ?5 where exists (select 1 from connectors where name = ?1)"
                        + " on conflict (connector, task) do update set state = excluded.state,"
                        + " worker_id = excluded.worker_id, trace = excluded.trace, updated_at = now()")
                .setParameter(1, connector)
                .setParameter(2, task)
                .setParameter(3, state)
                .setParameter(4, workerId)
                .setParameter(5, trace)
                .executeUpdate();
    }

    @Transactional
    public Map<Integer, StatusRow> statuses(String connector) {
        List<?> rows = em.createNativeQuery("select connector, task, state, worker_id, trace from connector_status"
                        + " where connector = ?1 order by task")
                .setParameter(1, connector)
                .getResultList();
        Map<Integer, StatusRow> result = new LinkedHashMap<>();
        for (Object r : rows) {
            Object[] row = (Object[]) r;
            int task = ((Number) row[1]).intValue();
            result.put(task, new StatusRow((String) row[0], task, (String) row[2], (String) row[3], (String) row[4]));
        }
        return result;
    }

    // ---- source offsets

    @Transactional
    public List<SourceOffsetRow> sourceOffsets(String connector) {
        List<?> rows = em.createNativeQuery("select source_partition, source_offset, producer_id, producer_epoch,"
                        + " sequences from connector_source_offsets where connector = ?1 order by source_partition")
                .setParameter(1, connector)
                .getResultList();
        List<SourceOffsetRow> result = new ArrayList<>(rows.size());
        for (Object row : rows) {
            result.add(sourceOffsetRow((Object[]) row));
        }
        return result;
    }

    @Transactional
    public Optional<SourceOffsetRow> sourceOffset(String connector, String sourcePartition) {
        List<?> rows = em.createNativeQuery("select source_partition, source_offset, producer_id, producer_epoch,"
                        + " sequences from connector_source_offsets where connector = ?1 and source_partition = ?2")
                .setParameter(1, connector)
                .setParameter(2, sourcePartition)
                .getResultList();
        if (rows.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(sourceOffsetRow((Object[]) rows.get(0)));
    }

    /**
     * Registers the producer id for a source partition seen for the first time; if another task
     * registered one first, that row is kept and returned.
     */
    @Transactional
    public SourceOffsetRow registerSourcePartition(String connector, String sourcePartition, long producerId) {
        em.createNativeQuery(
                        "insert into connector_source_offsets (connector, source_partition, producer_id,"
                                + " producer_epoch) values (?1, ?2, ?3, 0) on conflict (connector, source_partition) do nothing")
                .setParameter(1, connector)
                .setParameter(2, sourcePartition)
                .setParameter(3, producerId)
                .executeUpdate();
        return sourceOffset(connector, sourcePartition).orElseThrow();
    }

    /**
     * Commits the offsets and sequences of several source partitions in one transaction. A row whose
     * producer epoch moved on (its offsets were altered through the REST API meanwhile) keeps the
     * newer state; returns how many rows were written.
     */
    @Transactional
    public int commitSourceOffsets(String connector, List<SourceOffsetRow> rows) {
        int written = 0;
        for (SourceOffsetRow row : rows) {
            written += em.createNativeQuery(
                            "insert into connector_source_offsets (connector, source_partition, source_offset,"
                                    + " producer_id, producer_epoch, sequences) values (?1, ?2, ?3, ?4, ?5, ?6)"
                                    + " on conflict (connector, source_partition) do update set"
                                    + " source_offset = excluded.source_offset, producer_id = excluded.producer_id,"
                                    + " producer_epoch = excluded.producer_epoch, sequences = excluded.sequences"
                                    + " where connector_source_offsets.producer_epoch = excluded.producer_epoch")
                    .setParameter(1, connector)
                    .setParameter(2, row.sourcePartition())
                    .setParameter(3, row.sourceOffset())
                    .setParameter(4, row.producerId())
                    .setParameter(5, row.producerEpoch())
                    .setParameter(6, row.sequences())
                    .executeUpdate();
        }
        return written;
    }

    /** Records where a source partition's writes to a new topic partition start, before the first one. */
    @Transactional
    public void recordSequences(String connector, String sourcePartition, short epoch, String sequences) {
        em.createNativeQuery("update connector_source_offsets set sequences = ?3"
                        + " where connector = ?1 and source_partition = ?2 and producer_epoch = ?4")
                .setParameter(1, connector)
                .setParameter(2, sourcePartition)
                .setParameter(3, sequences)
                .setParameter(4, epoch)
                .executeUpdate();
    }

    /**
     * Sets or removes (offset null) source offsets by hand (PATCH/DELETE .../offsets). The
     * partition's producer moves to a new epoch: what it wrote before is not to be matched again.
     */
    @Transactional
    public void alterSourceOffset(String connector, String sourcePartition, String sourceOffset) {
        if (sourceOffset == null) {
            em.createNativeQuery("update connector_source_offsets set source_offset = null, sequences = '{}',"
                            + " producer_epoch = producer_epoch + 1 where connector = ?1 and source_partition = ?2")
                    .setParameter(1, connector)
                    .setParameter(2, sourcePartition)
                    .executeUpdate();
            return;
        }
        em.createNativeQuery("update connector_source_offsets set source_offset = ?3, sequences = '{}',"
                        + " producer_epoch = producer_epoch + 1 where connector = ?1 and source_partition = ?2")
                .setParameter(1, connector)
                .setParameter(2, sourcePartition)
                .setParameter(3, sourceOffset)
                .executeUpdate();
    }

    // ----

    private static ConnectorRow connectorRow(Object[] row) {
        return new ConnectorRow(
                (String) row[0],
                Json.readStringMap((String) row[1]),
                TargetState.valueOf((String) row[2]),
                ((Number) row[3]).intValue());
    }

    private static SourceOffsetRow sourceOffsetRow(Object[] row) {
        return new SourceOffsetRow(
                (String) row[0],
                (String) row[1],
                ((Number) row[2]).longValue(),
                ((Number) row[3]).shortValue(),
                (String) row[4]);
    }

    private static List<TaskRow> taskRows(List<?> rows) {
        List<TaskRow> result = new ArrayList<>(rows.size());
        for (Object r : rows) {
            Object[] row = (Object[]) r;
            result.add(new TaskRow(
                    (String) row[0],
                    ((Number) row[1]).intValue(),
                    Json.readStringMap((String) row[2]),
                    ((Number) row[3]).intValue()));
        }
        return result;
    }
}
