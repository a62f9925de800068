package io.runnel.metadata;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Query;
import jakarta.transaction.Transactional;
import java.util.ArrayList;
import java.util.List;

/**
 * Consumer group state in PostgreSQL: committed offsets (written in batches, one multi-row upsert
 * per batch) and each group's last completed generation. Callers run off the event loops.
 */
@ApplicationScoped
public class GroupRepository {

    /** Rows per statement; PostgreSQL allows 65535 bind parameters, 7 per row. */
    private static final int ROWS_PER_STATEMENT = 1000;

    @Inject
    EntityManager em;

    public record OffsetRow(
            String groupId,
            String topic,
            int partition,
            long offset,
            int leaderEpoch,
            String metadata,
            long commitTimeMs) {}

    public record GroupRow(
            String groupId,
            String protocolType,
            String protocolName,
            int generationId,
            String leaderId,
            long stateTimeMs,
            byte[] members) {}

    /** Upserts the rows in one transaction; a later row for the same partition wins. */
    @Transactional
    public void upsertOffsets(List<OffsetRow> rows) {
        for (int from = 0; from < rows.size(); from += ROWS_PER_STATEMENT) {
            List<OffsetRow> chunk = dedupe(rows.subList(from, Math.min(rows.size(), from + ROWS_PER_STATEMENT)));
            StringBuilder sql = new StringBuilder("insert into committed_offsets (group_id, topic, partition_index,"
                    + " committed_offset, leader_epoch, metadata, commit_time_ms) values ");
            for (int i = 0; i < chunk.size(); i++) {
                int p = i * 7;
                sql.append(i == 0 ? "" : ", ")
                        .append("(?")
                        .append(p + 1)
                        .append(", ?")
                        .append(p + 2)
                        .append(", ?")
                        .append(p + 3)
                        .append(", ?")
                        .append(p + 4)
                        .append(", ?")
                        .append(p + 5)
                        .append(", ?")
                        .append(p + 6)
                        .append(", ?")
                        .append(p + 7)
                        .append(")");
            }
            sql.append(" on conflict (group_id, topic, partition_index) do update set"
                    + " committed_offset = excluded.committed_offset, leader_epoch = excluded.leader_epoch,"
                    + " metadata = excluded.metadata, commit_time_ms = excluded.commit_time_ms");
            Query query = em.createNativeQuery(sql.toString());
            for (int i = 0; i < chunk.size(); i++) {
                OffsetRow row = chunk.get(i);
                int p = i * 7;
                query.setParameter(p + 1, row.groupId())
                        .setParameter(p + 2, row.topic())
                        .setParameter(p + 3, row.partition())
                        .setParameter(p + 4, row.offset())
                        .setParameter(p + 5, row.leaderEpoch())
                        .setParameter(p + 6, row.metadata())
                        .setParameter(p + 7, row.commitTimeMs());
            }
            query.executeUpdate();
        }
    }

    /** One statement may not update the same row twice: keep the last row per partition. */
    private static List<OffsetRow> dedupe(List<OffsetRow> rows) {
        java.util.LinkedHashMap<String, OffsetRow> last = new java.util.LinkedHashMap<>();
        for (OffsetRow row : rows) {
            String key = row.groupId() + '\u0000' + row.topic() + '\u0000' + row.partition();
            last.remove(key);
            last.put(key, row);
        }
        return new ArrayList<>(last.values());
    }

    @Transactional
    @SuppressWarnings("unchecked")
    public List<OffsetRow> loadOffsets() {
        List<Object[]> rows = em.createNativeQuery("select group_id, topic, partition_index, committed_offset,"
                        + " leader_epoch, metadata, commit_time_ms from committed_offsets")
                .getResultList();
        List<OffsetRow> result = new ArrayList<>(rows.size());
        for (Object[] r : rows) {
            result.add(new OffsetRow(
                    (String) r[0],
                    (String) r[1],
                    ((Number) r[2]).intValue(),
                    ((Number) r[3]).longValue(),
                    ((Number) r[4]).intValue(),
                    (String) r[5],
                    ((Number) r[6]).longValue()));
        }
        return result;
    }

    @Transactional
    public void deleteOffsets(String groupId, String topic, int partition) {
        em.createNativeQuery(
                        "delete from committed_offsets where group_id = ?1 and topic = ?2 and partition_index = ?3")
                .setParameter(1, groupId)
                .setParameter(2, topic)
                .setParameter(3, partition)
                .executeUpdate();
    }

    @Transactional
    public void deleteGroup(String groupId) {
        em.createNativeQuery("delete from committed_offsets where group_id = ?1")
                .setParameter(1, groupId)
                .executeUpdate();
        em.createNativeQuery("delete from consumer_groups where group_id = ?1")
                .setParameter(1, groupId)
                .executeUpdate();
    }

    @Transactional
    public void saveGroup(GroupRow group) {
        em.createNativeQuery("insert into consumer_groups (group_id, protocol_type, protocol_name, generation_id,"
                        + " leader_id, state_time_ms, members) values (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                        + " on conflict (group_id) do update set protocol_type = excluded.protocol_type,"
                        + " protocol_name = excluded.protocol_name, generation_id = excluded.generation_id,"
                        + " leader_id = excluded.leader_id, state_time_ms = excluded.state_time_ms,"
                        + " members = excluded.members")
                .setParameter(1, group.groupId())
                .setParameter(2, group.protocolType())
                .setParameter(3, group.protocolName())
                .setParameter(4, group.generationId())
                .setParameter(5, group.leaderId())
                .setParameter(6, group.stateTimeMs())
                .setParameter(7, group.members())
                .executeUpdate();
    }

    @Transactional
    @SuppressWarnings("unchecked")
    public List<GroupRow> loadGroups() {
        List<Object[]> rows = em.createNativeQuery("select group_id, protocol_type, protocol_name, generation_id,"
                        + " leader_id, state_time_ms, members from consumer_groups")
                .getResultList();
        List<GroupRow> result = new ArrayList<>(rows.size());
        for (Object[] r : rows) {
            result.add(new GroupRow(
                    (String) r[0],
                    (String) r[1],
                    (String) r[2],
                    ((Number) r[3]).intValue(),
                    (String) r[4],
                    ((Number) r[5]).longValue(),
                    (byte[]) r[6]));
        }
        return result;
    }
}
