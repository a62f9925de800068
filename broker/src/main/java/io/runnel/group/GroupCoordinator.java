package io.runnel.group;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.runnel.cluster.BrokerImage;
import io.runnel.cluster.CoordinatorSlot;
import io.runnel.cluster.MetadataCache;
import io.runnel.cluster.MetadataImage;
import io.runnel.cluster.TopicImage;
import io.runnel.config.RunnelConfig;
import io.runnel.metadata.GroupRepository;
import io.runnel.metadata.GroupRepository.OffsetRow;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.jboss.logging.Logger;

/**
 * The classic group protocol (Kafka's group coordinator): JoinGroup, SyncGroup, Heartbeat and
 * LeaveGroup with generations, member ids (MEMBER_ID_REQUIRED), session and rebalance timeouts,
 * static membership and the initial rebalance delay; offset commits validated against membership.
 *
 * <p>A group is coordinated by the broker holding its {@link CoordinatorSlot} (K15: Kafka's
 * {@code __consumer_offsets} partition leader), as the controller placed it. {@link GroupMetadataManager}
 * loads the groups and committed offsets of a slot this broker gains (meanwhile its groups get
 * COORDINATOR_LOAD_IN_PROGRESS) and drops those of a slot it loses (whatever waits on them gets
 * NOT_COORDINATOR); its writes are fenced by the slot's epoch, so a coordinator that lost its slot
 * cannot overwrite its successor.
 *
 * <p>All group state lives on one coordinator thread, so the protocol's state machine needs no locks;
 * requests hand their work to it and get a future back. Each completed generation is stored before
 * its members get their assignments (as Kafka does), so the next coordinator carries on with the same
 * members and generation.
 */
@ApplicationScoped
public class GroupCoordinator {

    private static final Logger LOG = Logger.getLogger(GroupCoordinator.class);
    private static final long SWEEP_INTERVAL_MS = 200;
    /** How long start-up waits for the slots to be placed and this broker's to be loaded. */
    private static final long READY_TIMEOUT_MS = 30_000;

    @Inject
    RunnelConfig config;

    @Inject
    GroupRepository repository;

    @Inject
    MetadataCache metadata;

    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("runnel-group-coordinator").daemon().factory());
    private volatile GroupMetadataManager manager;
    private final Consumer<MetadataImage> imageListener = image -> thread.execute(() -> manager.applyImage(image));

    /**
     * Starts before the listeners open (20) and waits, bounded, until the controller has placed every
     * slot and this broker has loaded its own: a single broker opens with all its groups served.
     */
    void onStart(@Observes @Priority(16) StartupEvent event) {
        manager = new GroupMetadataManager(config.nodeId(), repository, thread, this::onGroupUnloaded);
        metadata.onUpdate(imageListener);
        imageListener.accept(metadata.image());
        thread.scheduleWithFixedDelay(this::sweepSafely, SWEEP_INTERVAL_MS, SWEEP_INTERVAL_MS, TimeUnit.MILLISECONDS);
        long retentionCheck = config.group().offsetsRetentionCheckIntervalMs();
        thread.scheduleWithFixedDelay(this::expireOffsetsSafely, retentionCheck, retentionCheck, TimeUnit.MILLISECONDS);
        try {
            manager.ready().get(READY_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            LOG.infof(
                    "Group coordinator holds %d of %d slots: %d groups loaded (%d with committed offsets)",
                    manager.heldSlots(),
                    CoordinatorSlot.COUNT,
                    run(() -> manager.groups().size()).join(),
                    manager.groupsWithOffsets());
        } catch (TimeoutException e) {
            LOG.warnf(
                    "Group coordinator slots were not all placed and loaded within %d ms; their groups get"
                            + " COORDINATOR_NOT_AVAILABLE or COORDINATOR_LOAD_IN_PROGRESS (retriable) until they are",
                    READY_TIMEOUT_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    void onStop(@Observes @Priority(5) ShutdownEvent event) {
        metadata.removeListener(imageListener);
        thread.shutdownNow();
        if (manager != null) {
            manager.stop();
        }
    }

    /** Runs {@code work} on the coordinator thread. */
    <T> CompletableFuture<T> run(Callable<T> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        thread.execute(() -> {
            try {
                result.complete(work.call());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    // ---- coordinator placement

    /**
     * The broker that coordinates a group: the active holder of the group's slot in the image (every
     * broker computes the same one), or null while there is none (COORDINATOR_NOT_AVAILABLE).
     */
    public static BrokerImage coordinatorFor(String groupId, MetadataImage image) {
        CoordinatorSlot slot = image.coordinatorSlot(CoordinatorSlot.slotOf(groupId));
        return slot == null ? null : image.brokers().get(slot.coordinator());
    }

    /**
     * Whether this broker serves the group now (NONE), or why not: NOT_COORDINATOR when it does not
     * hold the group's slot, COORDINATOR_LOAD_IN_PROGRESS while loading it. Readable from any thread.
     */
    public Errors coordinatorError(String groupId) {
        GroupMetadataManager groups = manager;
        return groups == null ? Errors.COORDINATOR_NOT_AVAILABLE : groups.coordinatorError(groupId);
    }

    /** A slot moved away: whoever waits on one of its groups is told to find the new coordinator (Kafka's unload). */
    private void onGroupUnloaded(ClassicGroup group) {
        for (GroupMember member : group.members.values()) {
            failWaiting(member, Errors.NOT_COORDINATOR);
        }
    }

    // ---- JoinGroup

    /** The parts of a JoinGroup request the coordinator needs. */
    public record JoinRequest(
            String groupId,
            String memberId,
            String groupInstanceId,
            String protocolType,
            LinkedHashMap<String, byte[]> protocols,
            int sessionTimeoutMs,
            int rebalanceTimeoutMs,
            String clientId,
            String clientHost,
            short version) {}

    public CompletableFuture<JoinGroupResponseData> join(JoinRequest request) {
        return run(() -> doJoin(request)).thenCompose(f -> f);
    }

    private CompletableFuture<JoinGroupResponseData> doJoin(JoinRequest r) {
        long now = System.currentTimeMillis();
        if (r.groupId() == null || r.groupId().isEmpty()) {
            return joinError(Errors.INVALID_GROUP_ID, r.memberId());
        }
        Errors notHere = coordinatorError(r.groupId());
        if (notHere != Errors.NONE) {
            return joinError(notHere, r.memberId());
        }
        if (r.sessionTimeoutMs() < config.group().minSessionTimeoutMs()
                || r.sessionTimeoutMs() > config.group().maxSessionTimeoutMs()) {
            return joinError(Errors.INVALID_SESSION_TIMEOUT, r.memberId());
        }
        boolean unknownMember = r.memberId() == null || r.memberId().isEmpty();
        ClassicGroup group = manager.group(r.groupId());
        if (group == null) {
            if (!unknownMember) {
                return joinError(Errors.UNKNOWN_MEMBER_ID, r.memberId());
            }
            group = new ClassicGroup(r.groupId(), now);
            manager.add(group);
        }
        if (group.is(GroupState.DEAD)) {
            return joinError(Errors.COORDINATOR_NOT_AVAILABLE, r.memberId());
        }
        if (!group.supports(r.protocolType(), r.protocols().keySet())) {
            return joinError(Errors.INCONSISTENT_GROUP_PROTOCOL, r.memberId());
        }
        if (unknownMember) {
            if (r.groupInstanceId() != null) {
                return joinStaticWithoutId(group, r, now);
            }
            String memberId = newMemberId(r.clientId());
            if (r.version() >= 4) {
                group.pendingMembers.put(memberId, now + r.sessionTimeoutMs());
                return joinError(Errors.MEMBER_ID_REQUIRED, memberId);
            }
            return addMemberAndRebalance(group, r, memberId, now);
        }
        if (group.pendingMembers.remove(r.memberId()) != null) {
            return addMemberAndRebalance(group, r, r.memberId(), now);
        }
        if (r.groupInstanceId() != null) {
            String holder = group.staticMembers.get(r.groupInstanceId());
            if (holder != null && !holder.equals(r.memberId())) {
                return joinError(Errors.FENCED_INSTANCE_ID, r.memberId());
            }
        }
        GroupMember member = group.members.get(r.memberId());
        if (member == null) {
            return joinError(Errors.UNKNOWN_MEMBER_ID, r.memberId());
        }
        switch (group.state) {
            case PREPARING_REBALANCE -> {
                update(member, r);
                return park(group, member, now);
            }
            case COMPLETING_REBALANCE -> {
                if (member.sameProtocols(r.protocols())) {
                    return CompletableFuture.completedFuture(currentGeneration(group, member, false));
                }
                update(member, r);
                prepareRebalance(group, now, "member " + member.memberId + " changed its protocols");
                return park(group, member, now);
            }
            case STABLE -> {
                if (member.memberId.equals(group.leaderId) || !member.sameProtocols(r.protocols())) {
                    update(member, r);
                    prepareRebalance(group, now, "member " + member.memberId + " rejoined");
                    return park(group, member, now);
                }
                return CompletableFuture.completedFuture(currentGeneration(group, member, false));
            }
            default -> {
                return joinError(Errors.UNKNOWN_MEMBER_ID, r.memberId());
            }
        }
    }

    /** A static member joining without a member id: new, or back after a restart. */
    private CompletableFuture<JoinGroupResponseData> joinStaticWithoutId(ClassicGroup group, JoinRequest r, long now) {
        String newId = newMemberId(r.groupInstanceId());
        String oldId = group.staticMembers.get(r.groupInstanceId());
        GroupMember old = oldId == null ? null : group.members.get(oldId);
        if (old == null) {
            return addMemberAndRebalance(group, r, newId, now);
        }
        GroupMember replacement = old.replacedBy(newId, r.clientId(), r.clientHost());
        update(replacement, r);
        failWaiting(old, Errors.FENCED_INSTANCE_ID);
        boolean wasLeader = oldId.equals(group.leaderId);
        group.members.remove(oldId);
        group.joinedThisRound.remove(oldId);
        group.add(replacement);
        if (wasLeader) {
            group.leaderId = newId;
        }
        replacement.sessionDeadlineMs = now + replacement.sessionTimeoutMs;
        LOG.infof("Static member %s of group %s is back as %s", r.groupInstanceId(), group.groupId, newId);
        // As in Kafka, a returning static member triggers no rebalance unless it changes which
        // protocol the group would select (its subscription bytes may differ: owned partitions).
        if (group.is(GroupState.STABLE) && java.util.Objects.equals(group.selectProtocol(), group.protocolName)) {
            storeGroupInBackground(group);
            // Same generation, same assignment: no rebalance. A leader is told to skip assignment (v9+).
            return CompletableFuture.completedFuture(currentGeneration(group, replacement, true));
        }
        if (!group.is(GroupState.PREPARING_REBALANCE)) {
            prepareRebalance(group, now, "static member " + r.groupInstanceId() + " rejoined with new protocols");
        }
        return park(group, replacement, now);
    }

    private CompletableFuture<JoinGroupResponseData> addMemberAndRebalance(
            ClassicGroup group, JoinRequest r, String memberId, long now) {
        GroupMember member = new GroupMember(
                memberId,
                r.groupInstanceId(),
                r.clientId(),
                r.clientHost(),
                r.sessionTimeoutMs(),
                r.rebalanceTimeoutMs(),
                r.protocolType(),
                r.protocols());
        member.sessionDeadlineMs = now + r.sessionTimeoutMs();
        group.add(member);
        if (group.protocolType == null) {
            group.protocolType = r.protocolType();
        }
        if (!group.is(GroupState.PREPARING_REBALANCE)) {
            prepareRebalance(group, now, "member " + memberId + " joined");
        }
        return park(group, member, now);
    }

    private static void update(GroupMember member, JoinRequest r) {
        member.protocols = r.protocols();
        member.protocolType = r.protocolType();
        member.sessionTimeoutMs = r.sessionTimeoutMs();
        member.rebalanceTimeoutMs = r.rebalanceTimeoutMs();
    }

    private CompletableFuture<JoinGroupResponseData> park(ClassicGroup group, GroupMember member, long now) {
        if (member.awaitingJoin != null) {
            member.awaitingJoin.complete(joinResponse(Errors.REBALANCE_IN_PROGRESS, member.memberId));
        }
        CompletableFuture<JoinGroupResponseData> future = new CompletableFuture<>();
        member.awaitingJoin = future;
        group.joinedThisRound.add(member.memberId);
        group.rebalanceDeadlineMs = Math.max(group.rebalanceDeadlineMs, now + member.rebalanceTimeoutMs);
        maybeCompleteJoin(group, now);
        return future;
    }

    private void prepareRebalance(ClassicGroup group, long now, String reason) {
        if (group.is(GroupState.COMPLETING_REBALANCE)) {
            for (GroupMember member : group.members.values()) {
                failWaitingSync(member, Errors.REBALANCE_IN_PROGRESS);
                member.assignment = new byte[0];
            }
        }
        boolean first = group.is(GroupState.EMPTY);
        group.transitionTo(GroupState.PREPARING_REBALANCE, now);
        group.joinedThisRound.clear();
        for (GroupMember member : group.members.values()) {
            if (member.awaitingJoin != null) {
                group.joinedThisRound.add(member.memberId);
            }
        }
        group.rebalanceDeadlineMs = now + group.maxRebalanceTimeoutMs();
        group.initialDelayUntilMs = first ? now + config.group().initialRebalanceDelayMs() : 0;
        LOG.infof("Preparing to rebalance group %s in generation %d: %s", group.groupId, group.generationId, reason);
    }

    private void maybeCompleteJoin(ClassicGroup group, long now) {
        if (!group.is(GroupState.PREPARING_REBALANCE)) {
            return;
        }
        boolean allJoined = group.joinedThisRound.size() == group.members.size() && group.pendingMembers.isEmpty();
        boolean deadline = now >= group.rebalanceDeadlineMs;
        if ((allJoined && now >= group.initialDelayUntilMs) || deadline) {
            completeJoin(group, now);
        }
    }

    private void completeJoin(ClassicGroup group, long now) {
        for (GroupMember member : List.copyOf(group.members.values())) {
            if (member.awaitingJoin == null) {
                LOG.infof("Removing member %s of group %s: it did not rejoin in time", member.memberId, group.groupId);
                group.remove(member.memberId);
            }
        }
        group.pendingMembers.clear();
        group.generationId++;
        if (group.members.isEmpty()) {
            group.protocolName = null;
            group.transitionTo(GroupState.EMPTY, now);
            storeGroupInBackground(group);
            return;
        }
        group.protocolName = group.selectProtocol();
        group.protocolType = group.members.values().iterator().next().protocolType;
        if (group.leaderId == null || !group.members.containsKey(group.leaderId)) {
            group.leaderId = group.members.keySet().iterator().next();
        }
        group.transitionTo(GroupState.COMPLETING_REBALANCE, now);
        group.rebalanceDeadlineMs = now + group.maxRebalanceTimeoutMs();
        LOG.infof(
                "Group %s is in generation %d with %d members (protocol %s)",
                group.groupId, group.generationId, group.members.size(), group.protocolName);
        for (GroupMember member : group.members.values()) {
            CompletableFuture<JoinGroupResponseData> waiting = member.awaitingJoin;
            member.awaitingJoin = null;
            member.sessionDeadlineMs = now + member.sessionTimeoutMs;
            waiting.complete(currentGeneration(group, member, false));
        }
        group.joinedThisRound.clear();
    }

    private JoinGroupResponseData currentGeneration(ClassicGroup group, GroupMember member, boolean skipAssignment) {
        JoinGroupResponseData response = new JoinGroupResponseData()
                .setGenerationId(group.generationId)
                .setProtocolType(group.protocolType)
                .setProtocolName(group.protocolName)
                .setLeader(group.leaderId)
                .setMemberId(member.memberId)
                .setSkipAssignment(skipAssignment);
        if (member.memberId.equals(group.leaderId)) {
            for (GroupMember m : group.members.values()) {
                response.members()
                        .add(new JoinGroupResponseData.JoinGroupResponseMember()
                                .setMemberId(m.memberId)
                                .setGroupInstanceId(m.groupInstanceId)
                                .setMetadata(m.metadata(group.protocolName)));
            }
        }
        return response;
    }

    private static CompletableFuture<JoinGroupResponseData> joinError(Errors error, String memberId) {
        return CompletableFuture.completedFuture(joinResponse(error, memberId));
    }

    private static JoinGroupResponseData joinResponse(Errors error, String memberId) {
        return new JoinGroupResponseData()
                .setErrorCode(error.code())
                .setGenerationId(-1)
                .setProtocolName(null)
                .setLeader("")
                .setMemberId(memberId == null ? "" : memberId);
    }

    private static String newMemberId(String prefix) {
        return (prefix == null ? "" : prefix) + "-" + UUID.randomUUID();
    }

    // ---- SyncGroup

    public record SyncRequest(
            String groupId,
            int generationId,
            String memberId,
            String groupInstanceId,
            String protocolType,
            String protocolName,
            Map<String, byte[]> assignments) {}

    public CompletableFuture<SyncGroupResponseData> sync(SyncRequest request) {
        return run(() -> doSync(request)).thenCompose(f -> f);
    }

    private CompletableFuture<SyncGroupResponseData> doSync(SyncRequest r) {
        long now = System.currentTimeMillis();
        Errors notHere = coordinatorError(r.groupId());
        if (notHere == Errors.COORDINATOR_LOAD_IN_PROGRESS) {
            // As Kafka: the rebalance this sync belongs to is lost with the previous coordinator; the
            // member rejoins without rediscovering the coordinator.
            return syncError(Errors.REBALANCE_IN_PROGRESS);
        } else if (notHere != Errors.NONE) {
            return syncError(notHere);
        }
        ClassicGroup group = manager.group(r.groupId());
        Errors error = checkMember(group, r.memberId(), r.groupInstanceId());
        if (error != Errors.NONE) {
            return syncError(error);
        }
        if (r.generationId() != group.generationId) {
            return syncError(Errors.ILLEGAL_GENERATION);
        }
        if ((r.protocolType() != null && !r.protocolType().equals(group.protocolType))
                || (r.protocolName() != null && !r.protocolName().equals(group.protocolName))) {
            return syncError(Errors.INCONSISTENT_GROUP_PROTOCOL);
        }
        GroupMember member = group.members.get(r.memberId());
        member.sessionDeadlineMs = now + member.sessionTimeoutMs;
        switch (group.state) {
            case PREPARING_REBALANCE -> {
                return syncError(Errors.REBALANCE_IN_PROGRESS);
            }
            case STABLE -> {
                return CompletableFuture.completedFuture(syncResponse(group, member));
            }
            case COMPLETING_REBALANCE -> {
                CompletableFuture<SyncGroupResponseData> future = new CompletableFuture<>();
                failWaitingSync(member, Errors.REBALANCE_IN_PROGRESS);
                member.awaitingSync = future;
                if (member.memberId.equals(group.leaderId)) {
                    for (GroupMember m : group.members.values()) {
                        m.assignment = r.assignments().getOrDefault(m.memberId, new byte[0]);
                    }
                    // Kafka stores the generation before anyone gets an assignment, so the next
                    // coordinator knows every generation a member may have seen.
                    int generation = group.generationId;
                    manager.storeGroup(group).thenAccept(stored -> completeSync(group, generation, stored));
                }
                return future;
            }
            default -> {
                return syncError(Errors.UNKNOWN_MEMBER_ID);
            }
        }
    }

    /** The leader's assignment was stored (or not): the group becomes Stable and members get their share. */
    private void completeSync(ClassicGroup group, int generation, Errors stored) {
        if (manager.group(group.groupId) != group
                || !group.is(GroupState.COMPLETING_REBALANCE)
                || group.generationId != generation) {
            return; // the group moved on, or was unloaded, while the generation was stored
        }
        long now = System.currentTimeMillis();
        if (stored != Errors.NONE) {
            for (GroupMember m : group.members.values()) {
                m.assignment = new byte[0];
                failWaitingSync(m, stored);
            }
            prepareRebalance(group, now, "its generation could not be stored (" + stored + ")");
            return;
        }
        group.transitionTo(GroupState.STABLE, now);
        for (GroupMember m : group.members.values()) {
            if (m.awaitingSync != null) {
                CompletableFuture<SyncGroupResponseData> waiting = m.awaitingSync;
                m.awaitingSync = null;
                waiting.complete(syncResponse(group, m));
            }
        }
    }

    private static SyncGroupResponseData syncResponse(ClassicGroup group, GroupMember member) {
        return new SyncGroupResponseData()
                .setProtocolType(group.protocolType)
                .setProtocolName(group.protocolName)
                .setAssignment(member.assignment);
    }

    private static CompletableFuture<SyncGroupResponseData> syncError(Errors error) {
        return CompletableFuture.completedFuture(
                new SyncGroupResponseData().setErrorCode(error.code()).setAssignment(new byte[0]));
    }

    // ---- Heartbeat

    public CompletableFuture<Errors> heartbeat(String groupId, String memberId, String instanceId, int generation) {
        return run(() -> {
            Errors notHere = coordinatorError(groupId);
            if (notHere != Errors.NONE) {
                // As Kafka: while the group loads, a member's heartbeat is answered blindly.
                return notHere == Errors.COORDINATOR_LOAD_IN_PROGRESS ? Errors.NONE : notHere;
            }
            ClassicGroup group = manager.group(groupId);
            Errors error = checkMember(group, memberId, instanceId);
            if (error != Errors.NONE) {
                return error;
            }
            GroupMember member = group.members.get(memberId);
            member.sessionDeadlineMs = System.currentTimeMillis() + member.sessionTimeoutMs;
            if (generation != group.generationId) {
                return Errors.ILLEGAL_GENERATION;
            }
            return group.is(GroupState.PREPARING_REBALANCE) ? Errors.REBALANCE_IN_PROGRESS : Errors.NONE;
        });
    }

    private static Errors checkMember(ClassicGroup group, String memberId, String instanceId) {
        if (group == null || group.is(GroupState.DEAD)) {
            return Errors.UNKNOWN_MEMBER_ID;
        }
        if (instanceId != null) {
            String holder = group.staticMembers.get(instanceId);
            if (holder != null && !holder.equals(memberId)) {
                return Errors.FENCED_INSTANCE_ID;
            }
        }
        return group.members.containsKey(memberId) ? Errors.NONE : Errors.UNKNOWN_MEMBER_ID;
    }

    // ---- LeaveGroup

    /** A member leaving: by member id, or by group instance id for static members. */
    public record Leaving(String memberId, String groupInstanceId) {}

    /** Returns a group-level error, or NONE and one error per leaving member, in order. */
    public CompletableFuture<Map.Entry<Errors, List<Errors>>> leave(String groupId, List<Leaving> leaving) {
        return run(() -> {
            long now = System.currentTimeMillis();
            Errors notHere = coordinatorError(groupId);
            if (notHere != Errors.NONE) {
                return Map.entry(notHere, List.<Errors>of());
            }
            ClassicGroup group = manager.group(groupId);
            List<Errors> results = new ArrayList<>(leaving.size());
            boolean removed = false;
            for (Leaving l : leaving) {
                if (group == null || group.is(GroupState.DEAD)) {
                    results.add(Errors.UNKNOWN_MEMBER_ID);
                    continue;
                }
                String memberId = l.memberId();
                if (l.groupInstanceId() != null) {
                    String holder = group.staticMembers.get(l.groupInstanceId());
                    if (holder == null) {
                        results.add(Errors.UNKNOWN_MEMBER_ID);
                        continue;
                    }
                    if (memberId != null && !memberId.isEmpty() && !holder.equals(memberId)) {
                        results.add(Errors.FENCED_INSTANCE_ID);
                        continue;
                    }
                    memberId = holder;
                }
                GroupMember member = group.members.get(memberId);
                if (member != null) {
                    failWaiting(member, Errors.UNKNOWN_MEMBER_ID);
                    group.remove(memberId);
                    removed = true;
                    results.add(Errors.NONE);
                    LOG.infof("Member %s left group %s", memberId, groupId);
                } else if (group.pendingMembers.remove(memberId) != null) {
                    results.add(Errors.NONE);
                } else {
                    results.add(Errors.UNKNOWN_MEMBER_ID);
                }
            }
            if (removed) {
                membershipChanged(group, now, "members left");
            }
            return Map.entry(Errors.NONE, results);
        });
    }

    /** After members went away: rebalance the rest, or finish the join phase without them. */
    private void membershipChanged(ClassicGroup group, long now, String reason) {
        switch (group.state) {
            case STABLE, COMPLETING_REBALANCE -> {
                prepareRebalance(group, now, reason);
                maybeCompleteJoin(group, now);
            }
            case PREPARING_REBALANCE -> maybeCompleteJoin(group, now);
            default -> {}
        }
    }

    private static void failWaiting(GroupMember member, Errors error) {
        if (member.awaitingJoin != null) {
            CompletableFuture<JoinGroupResponseData> waiting = member.awaitingJoin;
            member.awaitingJoin = null;
            waiting.complete(joinResponse(error, member.memberId));
        }
        failWaitingSync(member, error);
    }

    private static void failWaitingSync(GroupMember member, Errors error) {
        if (member.awaitingSync != null) {
            CompletableFuture<SyncGroupResponseData> waiting = member.awaitingSync;
            member.awaitingSync = null;
            waiting.complete(
                    new SyncGroupResponseData().setErrorCode(error.code()).setAssignment(new byte[0]));
        }
    }

    // ---- timers

    private void sweepSafely() {
        try {
            sweep(System.currentTimeMillis());
        } catch (Throwable e) {
            LOG.warnf(e, "Group session sweep failed");
        }
    }

    private void sweep(long now) {
        for (ClassicGroup group : manager.groups()) {
            group.pendingMembers.values().removeIf(deadline -> deadline < now);
            boolean expired = false;
            for (GroupMember member : List.copyOf(group.members.values())) {
                if (!member.isWaiting() && now > member.sessionDeadlineMs) {
                    LOG.infof(
                            "Member %s of group %s missed its session timeout of %d ms; removing it",
                            member.memberId, group.groupId, member.sessionTimeoutMs);
                    group.remove(member.memberId);
                    expired = true;
                }
            }
            if (group.is(GroupState.COMPLETING_REBALANCE) && now > group.rebalanceDeadlineMs) {
                for (GroupMember member : List.copyOf(group.members.values())) {
                    if (member.awaitingSync == null) {
                        LOG.infof(
                                "Member %s of group %s did not sync in time; removing it",
                                member.memberId, group.groupId);
                        group.remove(member.memberId);
                        expired = true;
                    }
                }
            }
            if (expired) {
                membershipChanged(group, now, "members expired");
            } else {
                maybeCompleteJoin(group, now);
            }
        }
    }

    /** Stores the group's generation; nobody waits for it. */
    private void storeGroupInBackground(ClassicGroup group) {
        manager.storeGroup(group).thenAccept(error -> {
            if (error == Errors.NOT_COORDINATOR) {
                LOG.infof("Group %s was not saved: its coordinator slot moved away", group.groupId);
            }
        });
    }

    // ---- offsets

    /** One partition of an OffsetCommit. */
    public record OffsetToCommit(String topic, int partition, long offset, int leaderEpoch, String metadata) {}

    /**
     * Validates an offset commit against the group's membership and stores the offsets. Returns one
     * error per partition, in order, once the offsets are durable (or the commit was refused).
     */
    public CompletableFuture<List<Errors>> commitOffsets(
            String groupId, int generationId, String memberId, String instanceId, List<OffsetToCommit> commits) {
        return run(() -> doCommit(groupId, generationId, memberId, instanceId, commits))
                .thenCompose(f -> f);
    }

    private CompletableFuture<List<Errors>> doCommit(
            String groupId, int generationId, String memberId, String instanceId, List<OffsetToCommit> commits) {
        long now = System.currentTimeMillis();
        if (groupId == null || groupId.isEmpty()) {
            return CompletableFuture.completedFuture(repeat(Errors.INVALID_GROUP_ID, commits.size()));
        }
        Errors notHere = coordinatorError(groupId);
        if (notHere != Errors.NONE) {
            return CompletableFuture.completedFuture(repeat(notHere, commits.size()));
        }
        ClassicGroup group = manager.group(groupId);
        Errors error = Errors.NONE;
        if (group == null) {
            if (generationId >= 0) {
                error = Errors.UNKNOWN_MEMBER_ID;
            } else {
                group = new ClassicGroup(groupId, now);
                manager.add(group);
            }
        } else if (group.is(GroupState.DEAD)) {
            error = Errors.COORDINATOR_NOT_AVAILABLE;
        } else if (generationId < 0 && group.is(GroupState.EMPTY)) {
            error = Errors.NONE; // a simple commit, from a consumer that assigns partitions itself
        } else {
            error = checkMember(group, memberId, instanceId);
            if (error == Errors.NONE && generationId != group.generationId) {
                error = Errors.ILLEGAL_GENERATION;
            } else if (error == Errors.NONE && group.is(GroupState.COMPLETING_REBALANCE)) {
                error = Errors.REBALANCE_IN_PROGRESS;
            }
            if (error == Errors.NONE) {
                GroupMember member = group.members.get(memberId);
                member.sessionDeadlineMs = now + member.sessionTimeoutMs;
            }
        }
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(repeat(error, commits.size()));
        }
        MetadataImage image = metadata.image();
        List<Errors> results = new ArrayList<>(commits.size());
        List<OffsetRow> rows = new ArrayList<>(commits.size());
        for (OffsetToCommit c : commits) {
            TopicImage topic = image.topic(c.topic());
            if (topic == null || topic.partition(c.partition()) == null) {
                results.add(Errors.UNKNOWN_TOPIC_OR_PARTITION);
            } else if (c.metadata() != null
                    && c.metadata().length() > config.group().offsetMetadataMaxBytes()) {
                results.add(Errors.OFFSET_METADATA_TOO_LARGE);
            } else {
                results.add(Errors.NONE);
                rows.add(new OffsetRow(
                        groupId, c.topic(), c.partition(), c.offset(), c.leaderEpoch(), c.metadata(), now));
            }
        }
        return manager.storeOffsets(groupId, rows)
                .thenApply(stored -> stored == Errors.NONE ? results : replaceNone(results, stored));
    }

    private static List<Errors> replaceNone(List<Errors> results, Errors error) {
        List<Errors> replaced = new ArrayList<>(results.size());
        for (Errors e : results) {
            replaced.add(e == Errors.NONE ? error : e);
        }
        return replaced;
    }

    private static List<Errors> repeat(Errors error, int n) {
        List<Errors> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(error);
        }
        return list;
    }

    /** The committed offsets of a group (readable from any thread). */
    public Map<TopicPartition, OffsetStore.Committed> committedOffsets(String groupId) {
        GroupMetadataManager groups = manager;
        return groups == null ? Map.of() : groups.offsets(groupId);
    }

    private void expireOffsetsSafely() {
        try {
            expireOffsets(System.currentTimeMillis());
        } catch (Throwable e) {
            LOG.warnf(e, "Offset expiration failed");
        }
    }

    /**
     * Removes the offsets of groups that have been empty for longer than offsets.retention.minutes
     * (for groups without a protocol, counted per offset from its commit), and those of deleted
     * topics; a group left empty with no offsets is removed.
     */
    void expireOffsets(long now) {
        long retentionMs = TimeUnit.MINUTES.toMillis(config.group().offsetsRetentionMinutes());
        MetadataImage image = metadata.image();
        for (ClassicGroup group : List.copyOf(manager.groups())) {
            if (!group.is(GroupState.EMPTY)) {
                continue;
            }
            for (Map.Entry<TopicPartition, OffsetStore.Committed> entry :
                    List.copyOf(manager.offsets(group.groupId).entrySet())) {
                TopicPartition tp = entry.getKey();
                long since = group.protocolType == null ? entry.getValue().commitTimeMs() : group.stateTimeMs;
                boolean topicGone = image.topic(tp.topic()) == null;
                if (topicGone || now - since > retentionMs) {
                    manager.deleteOffset(group.groupId, tp);
                }
            }
            if (!manager.hasOffsets(group.groupId) && now - group.stateTimeMs > retentionMs) {
                group.transitionTo(GroupState.DEAD, now);
                manager.deleteGroup(group);
            }
        }
    }

    // ---- admin: describe, list, delete

    /**
     * A group as DescribeGroups shows it.
     *
     * @param error NONE, or why this broker cannot describe it (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS)
     */
    public record GroupDescription(
            String groupId,
            String state,
            String protocolType,
            String protocolName,
            List<MemberDescription> members,
            boolean exists,
            Errors error) {}

    public record MemberDescription(
            String memberId,
            String groupInstanceId,
            String clientId,
            String clientHost,
            byte[] metadata,
            byte[] assignment) {}

    public CompletableFuture<List<GroupDescription>> describe(List<String> groupIds) {
        return run(() -> {
            List<GroupDescription> result = new ArrayList<>();
            for (String id : groupIds) {
                Errors notHere = coordinatorError(id);
                ClassicGroup group = manager.group(id);
                if (notHere != Errors.NONE || group == null) {
                    result.add(new GroupDescription(id, GroupState.DEAD.kafkaName, "", "", List.of(), false, notHere));
                    continue;
                }
                List<MemberDescription> members = new ArrayList<>();
                boolean stable = group.is(GroupState.STABLE);
                for (GroupMember m : group.members.values()) {
                    members.add(new MemberDescription(
                            m.memberId,
                            m.groupInstanceId,
                            m.clientId,
                            m.clientHost,
                            stable ? m.metadata(group.protocolName) : new byte[0],
                            stable ? m.assignment : new byte[0]));
                }
                result.add(new GroupDescription(
                        id,
                        group.state.kafkaName,
                        group.protocolType == null ? "" : group.protocolType,
                        stable && group.protocolName != null ? group.protocolName : "",
                        members,
                        true,
                        Errors.NONE));
            }
            return result;
        });
    }

    /** A group as ListGroups shows it. */
    public record GroupListing(String groupId, String protocolType, String state) {}

    /**
     * The groups this broker coordinates, with COORDINATOR_LOAD_IN_PROGRESS (retriable) while one of its
     * slots is loading, as Kafka answers ListGroups.
     */
    public CompletableFuture<Map.Entry<Errors, List<GroupListing>>> list() {
        return run(() -> {
            if (!manager.allLoaded()) {
                return Map.entry(Errors.COORDINATOR_LOAD_IN_PROGRESS, List.<GroupListing>of());
            }
            List<GroupListing> result = new ArrayList<>();
            for (ClassicGroup group : manager.groups()) {
                if (!group.is(GroupState.DEAD)) {
                    result.add(new GroupListing(
                            group.groupId,
                            group.protocolType == null ? "" : group.protocolType,
                            group.state.kafkaName));
                }
            }
            return Map.entry(Errors.NONE, result);
        });
    }

    /**
     * Deletes empty groups with their offsets: NONE, GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP or
     * NOT_COORDINATOR per group.
     */
    public CompletableFuture<List<Errors>> delete(List<String> groupIds) {
        return run(() -> {
                    List<CompletableFuture<Errors>> results = new ArrayList<>();
                    long now = System.currentTimeMillis();
                    for (String id : groupIds) {
                        Errors notHere = coordinatorError(id);
                        ClassicGroup group = manager.group(id);
                        if (notHere != Errors.NONE) {
                            results.add(CompletableFuture.completedFuture(notHere));
                        } else if (group == null || group.is(GroupState.DEAD)) {
                            results.add(CompletableFuture.completedFuture(Errors.GROUP_ID_NOT_FOUND));
                        } else if (!group.is(GroupState.EMPTY)) {
                            results.add(CompletableFuture.completedFuture(Errors.NON_EMPTY_GROUP));
                        } else {
                            group.transitionTo(GroupState.DEAD, now);
                            results.add(manager.deleteGroup(group));
                        }
                    }
                    return allOf(results);
                })
                .thenCompose(f -> f);
    }

    /**
     * OffsetDelete: removes a group's offsets for partitions of topics it is not subscribed to.
     * Returns a group-level error, or the per-partition errors in order.
     */
    public CompletableFuture<Map.Entry<Errors, List<Errors>>> deleteOffsets(
            String groupId, List<TopicPartition> partitions) {
        return run(() -> {
                    Errors notHere = coordinatorError(groupId);
                    if (notHere != Errors.NONE) {
                        return CompletableFuture.completedFuture(Map.entry(notHere, List.<Errors>of()));
                    }
                    ClassicGroup group = manager.group(groupId);
                    if (group == null || group.is(GroupState.DEAD)) {
                        return CompletableFuture.completedFuture(
                                Map.entry(Errors.GROUP_ID_NOT_FOUND, List.<Errors>of()));
                    }
                    java.util.Set<String> subscribed =
                            group.is(GroupState.EMPTY) ? java.util.Set.of() : Subscriptions.topicsOf(group);
                    List<CompletableFuture<Errors>> results = new ArrayList<>();
                    for (TopicPartition tp : partitions) {
                        if (subscribed.contains(tp.topic())) {
                            results.add(CompletableFuture.completedFuture(Errors.GROUP_SUBSCRIBED_TO_TOPIC));
                            continue;
                        }
                        results.add(manager.deleteOffset(groupId, tp));
                    }
                    return allOf(results).thenApply(errors -> Map.entry(Errors.NONE, errors));
                })
                .thenCompose(f -> f);
    }

    private static CompletableFuture<List<Errors>> allOf(List<CompletableFuture<Errors>> results) {
        return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
                .thenApply(done -> results.stream().map(CompletableFuture::join).toList());
    }
}
