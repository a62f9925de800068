package io.runnel.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.cluster.ClusterView;
import io.runnel.cluster.ControllerLogic;
import io.runnel.cluster.PartitionState;
import io.runnel.log.AppendResult;
import io.runnel.log.PartitionLog;
import io.runnel.log.TestLogs;
import io.runnel.metadata.ClusterStore.Changes;
import io.runnel.metadata.ClusterStore.PartitionRow;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.Record;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.record.Records;
import org.apache.kafka.common.record.SimpleRecord;

/**
 * A seeded, single-threaded simulation of a three-broker cluster: the production
 * {@link ControllerLogic}, {@link Partition} (ISR, high watermark, acks=all), follower response
 * handling ({@link ReplicaFetcher#handleResponse}) and real {@link PartitionLog}s on disk, connected
 * by a virtual clock and a simulated network and store with random delays, crashes, restarts,
 * pauses and store outages. Every choice comes from one {@link Random}, so a seed replays exactly.
 *
 * <p>Checked after events: I1 one broker acts as leader per (partition, leader epoch); I2 stored
 * epochs only grow ({@link SimStore}); I3 a leader's high watermark never goes back and every offset
 * ever exposed to consumers is, with the same record, in every later leader's log; I4 every
 * acknowledged record is at its offset in the log of every stored ISR member; I6 an ISR written
 * with more than one member holds no fenced broker ({@link SimStore}). At the end, with every fault healed: every partition led, ISR =
 * replicas, the replicas' logs equal and every acknowledged record present.
 */
final class ClusterSimulation {

    static final int BROKERS = 3;
    static final int PARTITIONS = 2;
    static final long SESSION_MS = 3_000;
    static final long HEARTBEAT_MS = 500;
    static final long LAG_MS = 2_000;
    static final long CONTROLLER_TICK_MS = 250;
    static final long FETCH_WAIT_MS = 200;
    static final long RUN_MS = 60_000;
    static final long HEAL_MS = 30_000;
    /** The virtual clock starts at the wall clock: logs mix both (a follower append rolls by wall time). */
    private final long START = System.currentTimeMillis();

    private static final Uuid TOPIC_ID = new Uuid(1, 1);
    private static final int HISTORY = Integer.getInteger("runnel.simulation.history", 200);

    private record Event(long time, long sequence, String description, Runnable action) {}

    private record Acked(int partition, long offset, long payload) {}

    private final Random random;
    private final Path dir;
    private final PriorityQueue<Event> events = new PriorityQueue<>(
            (a, b) -> a.time != b.time ? Long.compare(a.time, b.time) : Long.compare(a.sequence, b.sequence));
    private final Deque<String> history = new ArrayDeque<>();
    private final SimStore store = new SimStore(SESSION_MS);
    private final List<SimBroker> brokers = new ArrayList<>();
    private final List<Acked> acked = new ArrayList<>();
    private final Map<String, Integer> leaderOfEpoch = new HashMap<>();
    /** Per partition: offset -> {payload, leader epoch of the leader that first exposed it}. */
    private final Map<Integer, Map<Long, long[]>> exposed = new HashMap<>();

    private long sequence;
    private long now = START;
    private long nextPayload;
    private boolean faults = true;

    ClusterSimulation(long seed, Path dir) {
        this.random = new Random(seed);
        this.dir = dir;
    }

    // ---- the event loop

    private void at(long delay, String description, Runnable action) {
        events.add(new Event(now + Math.max(0, delay), sequence++, description, action));
    }

    private long jitter(long min, long max) {
        return min + (long) (random.nextDouble() * (max - min));
    }

    void run() {
        for (int id = 1; id <= BROKERS; id++) {
            SimBroker broker = new SimBroker(id);
            brokers.add(broker);
            broker.start();
        }
        // the topic is created once the brokers are registered and unfenced, as through CreateTopics
        at(1_500, "create topic", () -> {
            store.createPartitions(PARTITIONS, List.of(1, 2, 3), BROKERS);
            refreshAllSoon();
        });
        at(2_000, "produce", this::produce);
        at(3_000, "fault", this::fault);
        long end = START + RUN_MS;
        long events = 0;
        try {
            while (!this.events.isEmpty() && now < end + HEAL_MS) {
                Event event = this.events.poll();
                now = event.time;
                if (faults && now >= end) {
                    heal();
                }
                remember(event.description);
                event.action.run();
                checkLeaders();
                if (++events % 200 == 0) {
                    checkInvariants();
                }
            }
            checkInvariants();
            checkHealed();
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(e.getMessage() + "\nLast events:\n" + String.join("\n", history), e);
        } finally {
            brokers.forEach(SimBroker::closeLogs);
        }
    }

    private void remember(String description) {
        history.addLast((now - START) + " ms: " + description);
        if (history.size() > HISTORY) {
            history.removeFirst();
        }
    }

    // ---- faults

    private void fault() {
        if (!faults) {
            return;
        }
        SimBroker broker = brokers.get(random.nextInt(BROKERS));
        switch (random.nextInt(5)) {
            case 0 -> {
                if (broker.alive && brokers.stream().filter(b -> b.alive).count() > 1) {
                    broker.crash();
                    at(jitter(500, 8_000), "restart " + broker.id, broker::restart);
                }
            }
            case 1 -> broker.pause(jitter(100, 5_000));
            case 2 -> {
                store.available = false;
                remember("store unavailable");
                at(jitter(200, 8_000), "store available", () -> store.available = true);
            }
            default -> {} // quiet spell
        }
        at(jitter(500, 4_000), "fault", this::fault);
    }

    private void heal() {
        faults = false;
        store.available = true;
        for (SimBroker broker : brokers) {
            broker.pausedUntil = 0;
            if (!broker.alive) {
                broker.restart();
            }
        }
        remember("healed");
    }

    // ---- the producer: acks=all, one record at a time per partition, to whom the store names leader

    private void produce() {
        if (now < START + RUN_MS + HEAL_MS / 2) {
            int partition = random.nextInt(PARTITIONS);
            int leader = store.partitions.get(partition).leader();
            if (leader > 0) {
                long payload = nextPayload++;
                SimBroker broker = brokers.get(leader - 1);
                at(
                        jitter(1, 20),
                        "produce " + payload + " to broker " + leader,
                        () -> broker.produce(partition, payload));
            }
            at(jitter(5, 60), "produce", this::produce);
        }
    }

    // ---- invariants

    /** I1 after every event: one broker acts as leader per (partition, leader epoch). */
    private void checkLeaders() {
        for (SimBroker broker : brokers) {
            if (!broker.alive) {
                continue;
            }
            for (Map.Entry<Integer, Partition> entry : broker.partitions.entrySet()) {
                int epoch = entry.getValue().leaderEpochIfLeader();
                if (epoch >= 0) {
                    Integer claimed = leaderOfEpoch.putIfAbsent(entry.getKey() + "/" + epoch, broker.id);
                    assertThat(claimed == null || claimed == broker.id)
                            .as("I1: partition %d epoch %d led by %d and %d", entry.getKey(), epoch, claimed, broker.id)
                            .isTrue();
                }
            }
        }
    }

    private void checkInvariants() {
        for (SimBroker broker : brokers) {
            if (!broker.alive) {
                continue;
            }
            for (int p = 0; p < PARTITIONS; p++) {
                Partition partition = broker.partitions.get(p);
                int epoch = partition.leaderEpochIfLeader();
                if (epoch >= 0) {
                    Integer claimed = leaderOfEpoch.putIfAbsent(p + "/" + epoch, broker.id);
                    assertThat(claimed == null || claimed == broker.id)
                            .as("I1: partition %d epoch %d led by %d and %d", p, epoch, claimed, broker.id)
                            .isTrue();
                    checkExposed(broker, p, partition.log(), epoch);
                }
            }
        }
        for (int p = 0; p < store.partitions.size(); p++) {
            PartitionRow row = store.partitions.get(p);
            for (int member : row.isr()) {
                PartitionLog log = brokers.get(member - 1).logs.get(p);
                Map<Long, Long> payloads = payloads(log, 0, log.logEndOffset());
                for (Acked ack : acked) {
                    if (ack.partition == p) {
                        assertThat(payloads.get(ack.offset))
                                .as(
                                        "I4: acked record %d at %d-%d on ISR member %d (its log %s, end %d, row %s)",
                                        ack.payload, p, ack.offset, member, payloads, log.logEndOffset(), row)
                                .isEqualTo(ack.payload);
                    }
                }
            }
        }
    }

    /**
     * I3: what a leader exposes below its high watermark never changes, and every leader at that
     * epoch or a later one has it (a deposed leader that has not heard of its successor may lack
     * what the successor exposed since).
     */
    private void checkExposed(SimBroker broker, int p, PartitionLog log, int leaderEpoch) {
        Map<Long, long[]> truth = exposed.computeIfAbsent(p, k -> new HashMap<>());
        long highWatermark = log.highWatermark();
        Map<Long, Long> payloads = payloads(log, log.logStartOffset(), log.logEndOffset());
        for (Map.Entry<Long, long[]> entry : truth.entrySet()) {
            if (entry.getValue()[1] <= leaderEpoch) {
                assertThat(payloads.get(entry.getKey()))
                        .as(
                                "I3: offset %d of partition %d, exposed at epoch %d, on leader %d at epoch %d",
                                entry.getKey(), p, entry.getValue()[1], broker.id, leaderEpoch)
                        .isEqualTo(entry.getValue()[0]);
            }
        }
        payloads.forEach((offset, payload) -> {
            if (offset < highWatermark) {
                truth.putIfAbsent(offset, new long[] {payload, leaderEpoch});
            }
        });
    }

    private void checkHealed() {
        for (int p = 0; p < PARTITIONS; p++) {
            PartitionRow row = store.partitions.get(p);
            assertThat(row.leader()).as("partition %d led after healing", p).isPositive();
            assertThat(row.isr())
                    .as("partition %d ISR after healing", p)
                    .containsExactlyInAnyOrderElementsOf(row.replicas());
            Map<Long, Long> first = null;
            for (SimBroker broker : brokers) {
                PartitionLog log = broker.logs.get(p);
                Map<Long, Long> payloads = payloads(log, 0, log.logEndOffset());
                if (first == null) {
                    first = payloads;
                } else {
                    assertThat(payloads)
                            .as("partition %d on broker %d equals the others", p, broker.id)
                            .isEqualTo(first);
                }
            }
            for (Acked ack : acked) {
                if (ack.partition == p) {
                    assertThat(first.get(ack.offset))
                            .as("acked %d at %d-%d", ack.payload, p, ack.offset)
                            .isEqualTo(ack.payload);
                }
            }
        }
        assertThat(acked).as("something was acknowledged").isNotEmpty();
    }

    private static Map<Long, Long> payloads(PartitionLog log, long from, long to) {
        Map<Long, Long> payloads = new HashMap<>();
        long next = from;
        while (next < to) {
            Records records = log.read(next, 1 << 20, true, io.runnel.log.FetchIsolation.LOG_END)
                    .records();
            long before = next;
            for (RecordBatch batch : records.batches()) {
                for (Record record : batch) {
                    if (record.offset() < to) {
                        payloads.put(
                                record.offset(),
                                record.value().getLong(record.value().position()));
                    }
                }
                next = batch.nextOffset();
            }
            if (next == before) {
                break;
            }
        }
        return payloads;
    }

    // ---- a broker

    private final class SimBroker {

        final int id;
        int incarnation;
        boolean alive;
        long pausedUntil;
        long brokerEpoch = -1;
        int controllerEpoch = -1;
        long trustedSince = START;
        boolean storeFailing;
        boolean ready;
        long lastPreferredCheck = START;
        final Map<Integer, PartitionLog> logs = new HashMap<>();
        final Map<Integer, Partition> partitions = new HashMap<>();
        /** Partition -> {leader, leader epoch} it is fetched from. */
        final Map<Integer, int[]> fetching = new HashMap<>();

        SimBroker(int id) {
            this.id = id;
        }

        void start() {
            incarnation++;
            alive = true;
            for (int p = 0; p < PARTITIONS; p++) {
                PartitionLog log = TestLogs.open(
                        dir.resolve("broker-" + id).resolve("sim-" + p),
                        new TopicPartition("sim", p),
                        TOPIC_ID,
                        Map.of("min.insync.replicas", "2"),
                        incarnation == 1,
                        now);
                logs.put(p, log);
                partitions.put(p, new Partition(log, TOPIC_ID, id, this::alterIsr, this::eligible));
            }
            fetching.clear();
            ready = false;
            brokerEpoch = -1;
            controllerEpoch = -1;
            int inc = incarnation;
            every(0, "register " + id, inc, this::register);
        }

        /** Runs {@code action} for this incarnation, later while paused, never after a crash. */
        void every(long delay, String description, int inc, Runnable action) {
            at(delay, description, () -> {
                if (!alive || incarnation != inc) {
                    return;
                }
                if (now < pausedUntil) {
                    every(pausedUntil - now, description, inc, action);
                    return;
                }
                action.run();
            });
        }

        private void register() {
            int inc = incarnation;
            try {
                brokerEpoch = store.register(id, incarnation, now);
                every(HEARTBEAT_MS, "heartbeat " + id, inc, this::heartbeat);
                every(CONTROLLER_TICK_MS, "controller " + id, inc, this::controllerTick);
                every(LAG_MS / 2, "isr expiry " + id, inc, this::isrExpiry);
                refreshSoon();
            } catch (SimStore.Unavailable e) {
                every(1_000, "register " + id, inc, this::register);
            }
        }

        private void heartbeat() {
            int inc = incarnation;
            try {
                if (!store.renew(id, incarnation, now)) {
                    brokerEpoch = store.register(id, incarnation, now);
                }
            } catch (SimStore.Unavailable e) {
                // brokers never fence themselves for a missing store
            }
            refreshSoon();
            every(HEARTBEAT_MS, "heartbeat " + id, inc, this::heartbeat);
        }

        private void controllerTick() {
            int inc = incarnation;
            try {
                OptionalInt epoch = store.controllerLease(id, controllerEpoch, now);
                if (storeFailing) {
                    storeFailing = false;
                    trustedSince = now;
                }
                if (epoch.isPresent()) {
                    if (epoch.getAsInt() != controllerEpoch) {
                        trustedSince = Math.max(trustedSince, now);
                    }
                    controllerEpoch = epoch.getAsInt();
                    ClusterView view = store.view();
                    boolean preferredDue = now - lastPreferredCheck >= 2_000;
                    Changes changes = ControllerLogic.plan(
                            view,
                            Instant.ofEpochMilli(now),
                            Instant.ofEpochMilli(trustedSince),
                            new ControllerLogic.Settings(Duration.ofMillis(SESSION_MS), preferredDue));
                    if (preferredDue) {
                        lastPreferredCheck = now;
                    }
                    if (!changes.isEmpty() && store.apply(id, controllerEpoch, view.brokers(), changes, now)) {
                        remember("controller " + id + " applied " + changes);
                        refreshAllSoon();
                    }
                } else {
                    controllerEpoch = -1;
                }
            } catch (SimStore.Unavailable e) {
                storeFailing = true;
            }
            every(CONTROLLER_TICK_MS, "controller " + id, inc, this::controllerTick);
        }

        private void isrExpiry() {
            int inc = incarnation;
            for (Partition partition : partitions.values()) {
                partition.maybeShrinkIsr(now, LAG_MS);
            }
            every(LAG_MS / 2, "isr expiry " + id, inc, this::isrExpiry);
        }

        void refreshSoon() {
            every(jitter(1, 50), "refresh " + id, incarnation, this::refresh);
        }

        /** The metadata image: a fresh read of the store, applied as ReplicaManager applies images. */
        private void refresh() {
            List<PartitionRow> rows;
            try {
                store.view();
                rows = List.copyOf(store.partitions);
            } catch (SimStore.Unavailable e) {
                return;
            }
            SimStore.BrokerRow self = store.brokers.get(id);
            if (!ready && (self == null || self.fenced || self.brokerEpoch != brokerEpoch)) {
                return; // start-up waits until this registration is unfenced (BrokerRegistration)
            }
            ready = true;
            for (PartitionRow row : rows) {
                Partition partition = partitions.get(row.partition());
                PartitionState state = new PartitionState(
                        row.partition(),
                        row.replicas(),
                        row.isr(),
                        row.leader(),
                        row.leaderEpoch(),
                        row.partitionEpoch());
                switch (partition.applyState(state, now)) {
                    case BECAME_FOLLOWER -> follow(row.partition(), row.leader(), row.leaderEpoch());
                    case BECAME_LEADER, OFFLINE -> fetching.remove(row.partition());
                    case UNCHANGED -> {}
                }
            }
        }

        private boolean eligible(int brokerId, long epoch) {
            SimStore.BrokerRow row = store.brokers.get(brokerId);
            return row != null && !row.fenced && row.brokerEpoch == epoch;
        }

        private void alterIsr(Partition.AlterIsr change) {
            int inc = incarnation;
            int p = change.partition().topicPartition().partition();
            at(jitter(1, 30), "alter isr " + id + " " + change.newIsr(), () -> {
                if (!alive || incarnation != inc) {
                    return;
                }
                OptionalInt committed;
                try {
                    committed = store.alterIsr(
                            p,
                            id,
                            brokerEpoch,
                            change.leaderEpoch(),
                            change.partitionEpoch(),
                            change.newIsr(),
                            change.addedBrokerEpochs());
                } catch (SimStore.Unavailable e) {
                    every(1_000, "retry alter isr " + id, inc, () -> alterIsr(change));
                    return;
                }
                every(jitter(1, 30), "alter isr answer " + id, inc, () -> {
                    if (committed.isPresent()) {
                        change.partition().onIsrCommitted(change, committed.getAsInt());
                        refreshAllSoon();
                    } else {
                        change.partition().onIsrRejected(change);
                        refreshSoon();
                    }
                });
            });
        }

        private void follow(int p, int leader, int leaderEpoch) {
            boolean running = fetching.containsKey(p);
            fetching.put(p, new int[] {leader, leaderEpoch});
            if (!running) {
                every(jitter(1, 20), "fetch " + id + "/" + p, incarnation, () -> fetch(p));
            }
        }

        /** One follower fetch round trip: request, the leader's {@link Partition#fetch}, response. */
        private void fetch(int p) {
            int[] target = fetching.get(p);
            if (target == null) {
                return;
            }
            int leaderId = target[0];
            int leaderEpoch = target[1];
            int inc = incarnation;
            Partition partition = partitions.get(p);
            PartitionLog log = partition.log();
            long fetchOffset = log.logEndOffset();
            int lastFetchedEpoch = log.latestEpoch().orElse(-1);
            long logStart = log.logStartOffset();
            SimBroker leader = brokers.get(leaderId - 1);
            at(jitter(1, 20), "fetch request " + id + "->" + leaderId + "/" + p, () -> {
                if (!leader.alive || now < leader.pausedUntil) {
                    every(FETCH_WAIT_MS, "fetch " + id + "/" + p, inc, () -> fetch(p));
                    return;
                }
                FetchResponseData.PartitionData data =
                        leader.answerFetch(p, id, brokerEpoch, leaderEpoch, fetchOffset, lastFetchedEpoch, logStart);
                boolean empty = data.records() == null || data.records().sizeInBytes() == 0;
                every(jitter(1, 20), "fetch response " + id + "/" + p, inc, () -> {
                    int[] current = fetching.get(p);
                    if (current == null || current[1] != leaderEpoch) {
                        if (current != null) {
                            every(0, "fetch " + id + "/" + p, inc, () -> fetch(p));
                        }
                        return;
                    }
                    ReplicaFetcher.handleResponse(partition, leaderEpoch, fetchOffset, data, leaderId);
                    every(empty ? jitter(10, FETCH_WAIT_MS) : 0, "fetch " + id + "/" + p, inc, () -> fetch(p));
                });
            });
        }

        /** The leader side of a follower fetch, as FetchHandler does it. */
        FetchResponseData.PartitionData answerFetch(
                int p,
                int replicaId,
                long replicaEpoch,
                int currentLeaderEpoch,
                long fetchOffset,
                int lastFetchedEpoch,
                long logStart) {
            Partition partition = partitions.get(p);
            PartitionLog log = partition.log();
            FetchResponseData.PartitionData data =
                    new FetchResponseData.PartitionData().setPartitionIndex(p).setRecords(MemoryRecords.EMPTY);
            int epoch = partition.leaderEpochIfLeader();
            if (epoch < 0) {
                return data.setErrorCode(Errors.NOT_LEADER_OR_FOLLOWER.code());
            }
            if (epoch != currentLeaderEpoch) {
                return data.setErrorCode(
                        (currentLeaderEpoch > epoch ? Errors.UNKNOWN_LEADER_EPOCH : Errors.FENCED_LEADER_EPOCH).code());
            }
            try {
                Partition.FetchResult result = partition.fetch(
                        replicaId, replicaEpoch, fetchOffset, lastFetchedEpoch, logStart, 64 * 1024, true, now);
                data.setHighWatermark(log.highWatermark()).setLogStartOffset(log.logStartOffset());
                if (result.divergingEpoch() != null) {
                    data.divergingEpoch()
                            .setEpoch(result.divergingEpoch().leaderEpoch())
                            .setEndOffset(result.divergingEpoch().offset());
                    return data;
                }
                return data.setRecords(copy(result.data().records()));
            } catch (OffsetOutOfRangeException e) {
                return data.setErrorCode(Errors.OFFSET_OUT_OF_RANGE.code())
                        .setHighWatermark(log.highWatermark())
                        .setLogStartOffset(log.logStartOffset());
            }
        }

        void produce(int p, long payload) {
            if (!alive || now < pausedUntil) {
                return; // the request times out at the client
            }
            Partition partition = partitions.get(p);
            MemoryRecords records = MemoryRecords.withRecords(
                    Compression.NONE,
                    new SimpleRecord(
                            now, ByteBuffer.allocate(8).putLong(0, payload).array()));
            AppendResult result;
            try {
                result = partition.appendRecordsToLeader(records, (short) -1, now);
            } catch (ApiException e) {
                return;
            }
            CompletableFuture<Errors> replicated = partition.awaitReplication(result.lastOffset() + 1);
            int inc = incarnation;
            at(5_000, "produce timeout " + payload, () -> replicated.complete(Errors.REQUEST_TIMED_OUT));
            replicated.thenAccept(error -> {
                if (error == Errors.NONE && alive && incarnation == inc) {
                    acked.add(new Acked(p, result.firstOffset(), payload));
                }
            });
        }

        void pause(long ms) {
            if (alive) {
                pausedUntil = Math.max(pausedUntil, now + ms);
                remember("pause " + id + " for " + ms + " ms");
            }
        }

        void crash() {
            alive = false;
            remember("crash " + id);
        }

        void restart() {
            if (alive) {
                return;
            }
            closeLogs();
            pausedUntil = 0;
            start();
        }

        void closeLogs() {
            for (PartitionLog log : logs.values()) {
                try {
                    log.close();
                } catch (IOException | RuntimeException e) {
                    // a crash leaves whatever it leaves
                }
            }
        }
    }

    private void refreshAllSoon() {
        for (SimBroker broker : brokers) {
            if (broker.alive) {
                broker.refreshSoon();
            }
        }
    }

    /** The bytes of a file region as in-memory records, as they arrive at a follower over the network. */
    private static MemoryRecords copy(Records records) {
        ByteBuffer buffer = ByteBuffer.allocate(records.sizeInBytes());
        for (RecordBatch batch : records.batches()) {
            batch.writeTo(buffer);
        }
        buffer.flip();
        return MemoryRecords.readableRecords(buffer);
    }
}
