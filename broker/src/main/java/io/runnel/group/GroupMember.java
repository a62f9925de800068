package io.runnel.group;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.SyncGroupResponseData;

/**
 * A member of a classic group: its ids, timeouts, the protocols it supports (name to subscription
 * metadata, in its order of preference), and the assignment the leader gave it. The coordinator
 * never looks inside metadata or assignments: they are opaque bytes, so every client assignor works.
 */
final class GroupMember {

    final String memberId;
    final String groupInstanceId;
    final String clientId;
    final String clientHost;
    int sessionTimeoutMs;
    int rebalanceTimeoutMs;
    String protocolType;
    LinkedHashMap<String, byte[]> protocols;
    byte[] assignment = new byte[0];
    /** When the member's session ends unless it heartbeats (coordinator clock, ms). */
    long sessionDeadlineMs;

    CompletableFuture<JoinGroupResponseData> awaitingJoin;
    CompletableFuture<SyncGroupResponseData> awaitingSync;

    GroupMember(
            String memberId,
            String groupInstanceId,
            String clientId,
            String clientHost,
            int sessionTimeoutMs,
            int rebalanceTimeoutMs,
            String protocolType,
            LinkedHashMap<String, byte[]> protocols) {
        this.memberId = memberId;
        this.groupInstanceId = groupInstanceId;
        this.clientId = clientId;
        this.clientHost = clientHost;
        this.sessionTimeoutMs = sessionTimeoutMs;
        this.rebalanceTimeoutMs = rebalanceTimeoutMs;
        this.protocolType = protocolType;
        this.protocols = protocols;
    }

    boolean isStatic() {
        return groupInstanceId != null;
    }

    byte[] metadata(String protocol) {
        return protocols.get(protocol);
    }

    boolean sameProtocols(Map<String, byte[]> other) {
        if (!List.copyOf(protocols.keySet()).equals(List.copyOf(other.keySet()))) {
            return false; // names and order of preference
        }
        for (Map.Entry<String, byte[]> entry : protocols.entrySet()) {
            if (!java.util.Arrays.equals(entry.getValue(), other.get(entry.getKey()))) {
                return false;
            }
        }
        return true;
    }

    /** Whether the member is waiting on the coordinator, so its session cannot expire meanwhile. */
    boolean isWaiting() {
        return awaitingJoin != null || awaitingSync != null;
    }

    /** A copy under a new member id: a static member that rejoined after a restart. */
    GroupMember replacedBy(String newMemberId, String clientId, String clientHost) {
        GroupMember copy = new GroupMember(
                newMemberId,
                groupInstanceId,
                clientId,
                clientHost,
                sessionTimeoutMs,
                rebalanceTimeoutMs,
                protocolType,
                protocols);
        copy.assignment = assignment;
        return copy;
    }

    static byte[] encodeAll(Collection<GroupMember> members) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(1); // format version
            out.writeInt(members.size());
            for (GroupMember m : members) {
                out.writeUTF(m.memberId);
                out.writeBoolean(m.groupInstanceId != null);
                if (m.groupInstanceId != null) {
                    out.writeUTF(m.groupInstanceId);
                }
                out.writeUTF(m.clientId);
                out.writeUTF(m.clientHost);
                out.writeInt(m.sessionTimeoutMs);
                out.writeInt(m.rebalanceTimeoutMs);
                out.writeUTF(m.protocolType == null ? "" : m.protocolType);
                out.writeInt(m.protocols.size());
                for (Map.Entry<String, byte[]> p : m.protocols.entrySet()) {
                    out.writeUTF(p.getKey());
                    out.writeInt(p.getValue().length);
                    out.write(p.getValue());
                }
                out.writeInt(m.assignment.length);
                out.write(m.assignment);
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<GroupMember> decodeAll(byte[] encoded) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(encoded));
            if (in.readInt() != 1) {
                throw new IOException("unknown group member format");
            }
            int count = in.readInt();
            List<GroupMember> members = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                String memberId = in.readUTF();
                String instanceId = in.readBoolean() ? in.readUTF() : null;
                String clientId = in.readUTF();
                String clientHost = in.readUTF();
                int session = in.readInt();
                int rebalance = in.readInt();
                String protocolType = in.readUTF();
                int protocolCount = in.readInt();
                LinkedHashMap<String, byte[]> protocols = new LinkedHashMap<>();
                for (int p = 0; p < protocolCount; p++) {
                    String name = in.readUTF();
                    byte[] metadata = new byte[in.readInt()];
                    in.readFully(metadata);
                    protocols.put(name, metadata);
                }
                GroupMember member = new GroupMember(
                        memberId, instanceId, clientId, clientHost, session, rebalance, protocolType, protocols);
                member.assignment = new byte[in.readInt()];
                in.readFully(member.assignment);
                members.add(member);
            }
            return members;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
