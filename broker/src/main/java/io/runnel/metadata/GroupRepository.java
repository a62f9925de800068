package io.runnel.metadata;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Query;
import jakarta.transaction.Transactional;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Consumer group state in PostgreSQL: committed offsets (written in batches, one multi-row upsert
 * per batch) and each group's last completed generation, read and written per coordinator slot
 * ({@code group_slot(group_id)}, V5). Callers run off the event loops.
 *
 * <p>Every write is fenced: in its transaction it share-locks the {@code coordinator_slots} rows of the
 * slots it writes for and goes ahead only where the writing broker still holds the slot at the epoch
 * it loaded it at. A controller moving the slot waits for that lock, so a write either commits before
 * the move (and the next coordinator, which loads after the move, reads it) or sees the move and
 * writes nothing.
 */
@ApplicationScoped
public class GroupRepository {

    /** Rows per statement; PostgreSQL allows 65535 bind parameters, 7 per row. */
    private static final int ROWS_PER_STATEMENT = 1000;
    /** How long a fenced write may sit between two statements while holding its slot locks. */
    private static final int IDLE_IN_TRANSACTION_TIMEOUT_MS = 5000;

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

    /** A coordinator slot as its coordinator loaded it: the fence of its writes. */
    public record SlotEpoch(int slot, int coordinatorEpoch) {}

    /** A slot's groups and committed offsets. */
    public record SlotContents(List<GroupRow> groups, List<OffsetRow> offsets) {}

    /**
     * Of these slots, those {@code coordinator} still holds at the given epochs, share-locked until the
     * transaction ends. Locked in slot order, as the controller updates them, so the two never deadlock.
     */
    @SuppressWarnings("unchecked")
    private Set<SlotEpoch> lockHeld(int coordinator, Collection<SlotEpoch> fences) {
        // A broker frozen between two statements would hold the share locks, and with them the
        // controller's moves of these slots, for as long as it is frozen: PostgreSQL ends such a session.
        em.createNativeQuery("select set_config('idle_in_transaction_session_timeout', ?1, true)")
                .setParameter(1, String.valueOf(IDLE_IN_TRANSACTION_TIMEOUT_MS))
                .getSingleResult();
        Set<Integer> slots = new TreeSet<>();
        fences.forEach(f -> slots.add(f.slot()));
        List<Object[]> rows = em.createNativeQuery("select slot, coordinator_epoch from coordinator_slots"
                        + " where coordinator = ?1 and slot in (?2) order by slot for share")
                .setParameter(1, coordinator)
                .setParameter(2, slots)
                .getResultList();
        Set<SlotEpoch> held = new HashSet<>();
        for (Object[] r : rows) {
            held.add(new SlotEpoch(((Number) r[0]).intValue(), ((Number) r[1]).intValue()));
        }
        return held;
    }

    /**
     * Upserts, in one transaction, the rows of every slot {@code coordinator} still holds at the epoch
     * they were committed under; a later row for the same partition wins. Returns the slot epochs that
     * no longer hold, whose rows were not written.
     */
    @Transactional
    public Set<SlotEpoch> upsertOffsets(int coordinator, Map<SlotEpoch, List<OffsetRow>> rowsByFence) {
        Set<SlotEpoch> held = lockHeld(coordinator, rowsByFence.keySet());
        Set<SlotEpoch> refused = new HashSet<>();
        List<OffsetRow> rows = new ArrayList<>();
        rowsByFence.forEach((fence, fenced) -> {
            if (held.contains(fence)) {
                rows.addAll(fenced);
            } else {
                refused.add(fence);
            }
        });
        upsert(rows);
        return refused;
    }

    private void upsert(List<OffsetRow> rows) {
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

    /** Deletes one committed offset, if {@code coordinator} still holds the group's slot at the epoch; else false. */
    @Transactional
    public boolean deleteOffsets(int coordinator, SlotEpoch fence, String groupId, String topic, int partition) {
        if (lockHeld(coordinator, List.of(fence)).isEmpty()) {
            return false;
        }
        em.createNativeQuery(
                        "delete from committed_offsets where group_id = ?1 and topic = ?2 and partition_index = ?3")
                .setParameter(1, groupId)
                .setParameter(2, topic)
                .setParameter(3, partition)
                .executeUpdate();
        return true;
    }

    /** Deletes a group and its offsets, if {@code coordinator} still holds its slot at the epoch; else false. */
    @Transactional
    public boolean deleteGroup(int coordinator, SlotEpoch fence, String groupId) {
        if (lockHeld(coordinator, List.of(fence)).isEmpty()) {
            return false;
        }
        em.createNativeQuery("delete from committed_offsets where group_id = ?1")
                .setParameter(1, groupId)
                .executeUpdate();
        em.createNativeQuery("delete from consumer_groups where group_id = ?1")
                .setParameter(1, groupId)
                .executeUpdate();
        return true;
    }

    /** Saves a group's generation, if {@code coordinator} still holds its slot at the epoch; else false. */
    @Transactional
    public boolean saveGroup(int coordinator, SlotEpoch fence, GroupRow group) {
        if (lockHeld(coordinator, List.of(fence)).isEmpty()) {
            return false;
        }
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
        return true;
    }

    /** The groups and committed offsets of these slots. */
    @Transactional
    @SuppressWarnings("unchecked")
    public SlotContents loadSlots(Collection<Integer> slots) {
        List<Object[]> groupRows = em.createNativeQuery("select group_id, protocol_type, protocol_name,"
                        + " generation_id, leader_id, state_time_ms, members from consumer_groups"
                        + " where group_slot(group_id) in (?1)")
                .setParameter(1, slots)
                .getResultList();
        List<GroupRow> groups = new ArrayList<>(groupRows.size());
        for (Object[] r : groupRows) {
            groups.add(new GroupRow(
                    (String) r[0],
                    (String) r[1],
                    (String) r[2],
                    ((Number) r[3]).intValue(),
                    (String) r[4],
                    ((Number) r[5]).longValue(),
                    (byte[]) r[6]));
        }
        List<Object[]> offsetRows = em.createNativeQuery("select group_id, topic, partition_index, committed_offset,"
                        + " leader_epoch, metadata, commit_time_ms from committed_offsets"
                        + " where group_slot(group_id) in (?1)")
                .setParameter(1, slots)
                .getResultList();
        List<OffsetRow> offsets = new ArrayList<>(offsetRows.size());
        for (Object[] r : offsetRows) {
            offsets.add(new OffsetRow(
                    (String) r[0],
                    (String) r[1],
                    ((Number) r[2]).intValue(),
                    ((Number) r[3]).longValue(),
                    ((Number) r[4]).intValue(),
                    (String) r[5],
                    ((Number) r[6]).longValue()));
        }
        return new SlotContents(groups, offsets);
    }
}
