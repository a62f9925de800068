package io.runnel.group;

import io.runnel.testing.Clients;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.awaitility.Awaitility;

/**
 * A group member in the test JVM: a real {@link KafkaConsumer} subscribed to one topic, polling on a
 * thread of its own as an application would, recording every rebalance callback and every record. It
 * can commit what it has consumed after each poll, and runs other work on its thread between polls.
 */
final class MemberThread implements AutoCloseable {

    enum Kind {
        ASSIGNED,
        REVOKED,
        LOST
    }

    /** One rebalance callback with its partitions. */
    record Event(Kind kind, Set<Integer> partitions, long atNanos) {}

    private final String name;
    private final Thread thread;
    private final List<Event> events = new CopyOnWriteArrayList<>();
    private final List<ConsumerRecord<byte[], byte[]>> records = new CopyOnWriteArrayList<>();
    private final List<Map<TopicPartition, OffsetAndMetadata>> commits = new CopyOnWriteArrayList<>();
    private final AtomicInteger refusedCommits = new AtomicInteger();
    private final BlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private volatile Set<Integer> assignment = Set.of();
    private volatile int generation = -1;
    private volatile String memberId = "";
    private volatile boolean closing;
    private volatile Throwable failure;
    private KafkaConsumer<byte[], byte[]> consumer;

    private MemberThread(String name, Map<String, Object> props, String topic, boolean commitAfterPoll) {
        this.name = name;
        this.thread = Thread.ofPlatform().name("member-" + name).start(() -> run(props, topic, commitAfterPoll));
    }

    /**
     * Starts a member of {@code group} on {@code topic}; {@code overrides} are consumer settings on top
     * of earliest offset reset, no auto commit and a client id of {@code name}.
     */
    static MemberThread start(
            String name,
            String bootstrap,
            String group,
            String topic,
            boolean commitAfterPoll,
            Map<String, Object> overrides) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, name);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.putAll(overrides);
        return new MemberThread(name, props, topic, commitAfterPoll);
    }

    private void run(Map<String, Object> props, String topic, boolean commitAfterPoll) {
        try (KafkaConsumer<byte[], byte[]> c = Clients.consumer((String) props.get("bootstrap.servers"), props)) {
            consumer = c;
            c.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    record(Kind.REVOKED, partitions);
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    record(Kind.ASSIGNED, partitions);
                }

                @Override
                public void onPartitionsLost(Collection<TopicPartition> partitions) {
                    record(Kind.LOST, partitions);
                }
            });
            while (!closing) {
                ConsumerRecords<byte[], byte[]> batch = c.poll(Duration.ofMillis(50));
                generation = c.groupMetadata().generationId();
                memberId = c.groupMetadata().memberId();
                Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
                for (ConsumerRecord<byte[], byte[]> r : batch) {
                    records.add(r);
                    next.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
                }
                if (commitAfterPoll && !next.isEmpty()) {
                    commit(c, next);
                }
                Runnable task;
                while ((task = tasks.poll()) != null) {
                    task.run();
                }
            }
        } catch (Throwable e) {
            failure = e;
        } finally {
            consumer = null;
            closed.complete(null);
        }
    }

    /**
     * Commits what the last poll returned. A commit refused because the group is rebalancing or has
     * moved to a newer generation is left out, as an application with at-least-once processing does:
     * the next owner of those partitions starts at the last commit that went through.
     */
    private void commit(KafkaConsumer<byte[], byte[]> c, Map<TopicPartition, OffsetAndMetadata> offsets) {
        try {
            c.commitSync(offsets);
            commits.add(Map.copyOf(offsets));
        } catch (CommitFailedException | RebalanceInProgressException e) {
            refusedCommits.incrementAndGet();
        }
    }

    private void record(Kind kind, Collection<TopicPartition> partitions) {
        Set<Integer> numbers = new TreeSet<>();
        partitions.forEach(tp -> numbers.add(tp.partition()));
        events.add(new Event(kind, numbers, System.nanoTime()));
        generation = consumer.groupMetadata().generationId();
        memberId = consumer.groupMetadata().memberId();
        Set<Integer> current = new TreeSet<>();
        consumer.assignment().forEach(tp -> current.add(tp.partition()));
        assignment = current;
    }

    /** Runs {@code work} with the consumer on the member's thread, between two polls. */
    <T> T call(Function<KafkaConsumer<byte[], byte[]>, T> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        tasks.add(() -> {
            try {
                result.complete(work.apply(consumer));
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        try {
            return result.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(name + " could not run a task: " + e, e);
        }
    }

    String name() {
        return name;
    }

    /** Its partitions (numbers) after its latest rebalance callback. */
    Set<Integer> assignment() {
        checkAlive();
        return assignment;
    }

    int generation() {
        return generation;
    }

    String memberId() {
        return memberId;
    }

    List<Event> events() {
        return List.copyOf(events);
    }

    List<Event> events(Kind kind) {
        return events.stream().filter(e -> e.kind() == kind).toList();
    }

    List<ConsumerRecord<byte[], byte[]>> records() {
        return List.copyOf(records);
    }

    /** The offsets of every commit that went through, in order (with commits after each poll). */
    List<Map<TopicPartition, OffsetAndMetadata>> commits() {
        return List.copyOf(commits);
    }

    /** How many commits the group refused because it was rebalancing. */
    int refusedCommits() {
        return refusedCommits.get();
    }

    private void checkAlive() {
        if (failure != null) {
            throw new AssertionError(name + " failed: " + failure, failure);
        }
    }

    /** Closes the consumer the way an application does: it commits nothing more and leaves the group. */
    @Override
    public void close() {
        closing = true;
        try {
            closed.get(60, TimeUnit.SECONDS);
            thread.join(Duration.ofSeconds(10));
        } catch (Exception e) {
            throw new AssertionError(name + " did not close: " + e, e);
        }
    }

    /** Waits until every member's assignment together is {@code partitions}, with no partition twice. */
    static void awaitAssignment(Duration timeout, int partitions, MemberThread... members) {
        Awaitility.await("assignment of " + partitions + " partitions over " + members.length + " members")
                .atMost(timeout)
                .pollInterval(Duration.ofMillis(20))
                .until(() -> {
                    int total = 0;
                    Set<Integer> union = new TreeSet<>();
                    for (MemberThread m : members) {
                        total += m.assignment().size();
                        union.addAll(m.assignment());
                    }
                    return total == partitions && union.size() == partitions;
                });
    }

    @Override
    public String toString() {
        return name + assignment;
    }
}
