package io.runnel.group;

import io.runnel.cluster.CoordinatorSlot;
import io.runnel.metadata.GroupRepository.GroupRow;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One classic group's state: members, generation, the chosen protocol and the leader. Only the group
 * coordinator's thread touches it.
 */
final class ClassicGroup {

    final String groupId;
    /** The coordinator slot the group belongs to. */
    final int slot;

    GroupState state = GroupState.EMPTY;
    int generationId;
    String protocolType;
    String protocolName;
    String leaderId;
    final LinkedHashMap<String, GroupMember> members = new LinkedHashMap<>();
    /** group.instance.id to the member id currently holding it. */
    final Map<String, String> staticMembers = new HashMap<>();
    /** Member ids handed out with MEMBER_ID_REQUIRED, not yet joined, with their expiry time. */
    final Map<String, Long> pendingMembers = new HashMap<>();
    /** When the state last changed (offsets of an empty group expire counting from here). */
    long stateTimeMs;
    /** When the current join phase ends whoever has rejoined by then. */
    long rebalanceDeadlineMs;
    /** The group's first rebalance waits this long for more members (group.initial.rebalance.delay.ms). */
    long initialDelayUntilMs;
    /** Members that have joined in the current join phase. */
    final Set<String> joinedThisRound = new HashSet<>();

    ClassicGroup(String groupId, long nowMs) {
        this.groupId = groupId;
        this.slot = CoordinatorSlot.slotOf(groupId);
        this.stateTimeMs = nowMs;
    }

    /**
     * A group as its last stored generation left it: Stable with its members and their assignments
     * (Empty without members), each member's session starting now, so members that kept their
     * generation carry on by heartbeating.
     */
    static ClassicGroup fromRow(GroupRow row, long nowMs) {
        ClassicGroup group = new ClassicGroup(row.groupId(), row.stateTimeMs());
        group.protocolType = row.protocolType();
        group.protocolName = row.protocolName();
        group.generationId = row.generationId();
        for (GroupMember member : GroupMember.decodeAll(row.members())) {
            member.sessionDeadlineMs = nowMs + member.sessionTimeoutMs;
            group.add(member);
        }
        if (group.members.containsKey(row.leaderId())) {
            group.leaderId = row.leaderId();
        }
        group.state = group.members.isEmpty() ? GroupState.EMPTY : GroupState.STABLE;
        return group;
    }

    /** The row that stores this generation. */
    GroupRow toRow() {
        return new GroupRow(
                groupId,
                protocolType,
                protocolName,
                generationId,
                leaderId,
                stateTimeMs,
                GroupMember.encodeAll(members.values()));
    }

    void transitionTo(GroupState next, long nowMs) {
        state = next;
        stateTimeMs = nowMs;
    }

    boolean is(GroupState s) {
        return state == s;
    }

    void add(GroupMember member) {
        members.put(member.memberId, member);
        if (member.isStatic()) {
            staticMembers.put(member.groupInstanceId, member.memberId);
        }
        if (leaderId == null) {
            leaderId = member.memberId;
        }
    }

    void remove(String memberId) {
        GroupMember removed = members.remove(memberId);
        joinedThisRound.remove(memberId);
        if (removed != null && removed.isStatic() && memberId.equals(staticMembers.get(removed.groupInstanceId))) {
            staticMembers.remove(removed.groupInstanceId);
        }
        if (memberId.equals(leaderId)) {
            leaderId = members.isEmpty() ? null : members.keySet().iterator().next();
        }
    }

    /** Whether the protocol type matches and at least one protocol is supported by every member. */
    boolean supports(String type, Set<String> protocols) {
        if (members.isEmpty()) {
            return !protocols.isEmpty();
        }
        if (protocolType != null && !protocolType.equals(type)) {
            return false;
        }
        Set<String> common = new HashSet<>(protocols);
        for (GroupMember member : members.values()) {
            common.retainAll(member.protocols.keySet());
        }
        return !common.isEmpty();
    }

    /** The protocol every member supports that most members prefer (Kafka's vote). */
    String selectProtocol() {
        Set<String> candidates = null;
        for (GroupMember member : members.values()) {
            if (candidates == null) {
                candidates = new HashSet<>(member.protocols.keySet());
            } else {
                candidates.retainAll(member.protocols.keySet());
            }
        }
        if (candidates == null || candidates.isEmpty()) {
            return null;
        }
        Map<String, Integer> votes = new LinkedHashMap<>();
        for (GroupMember member : members.values()) {
            for (String protocol : member.protocols.keySet()) {
                if (candidates.contains(protocol)) {
                    votes.merge(protocol, 1, Integer::sum);
                    break;
                }
            }
        }
        return votes.entrySet().stream()
                .max(Map.Entry.comparingByValue())
                .map(Map.Entry::getKey)
                .orElse(null);
    }

    int maxRebalanceTimeoutMs() {
        int max = 0;
        for (GroupMember member : members.values()) {
            max = Math.max(max, member.rebalanceTimeoutMs);
        }
        return max;
    }
}
