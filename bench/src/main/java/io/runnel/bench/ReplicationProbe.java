package io.runnel.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.UnsupportedVersionException;

/**
 * Admin-side probes of the replication benchmark ({@code bench/run.sh --replication}), printing
 * {@code key=value} lines the harness parses. Both systems are asked the same questions through the
 * Admin client only. Subcommands:
 *
 * <ul>
 *   <li>{@code cluster BOOTSTRAP BROKERS TIMEOUT_MS} — waits until DescribeCluster lists BROKERS
 *       brokers; prints {@code brokers}, {@code controller} (see {@link #controller}) and
 *       {@code cluster_ms}.
 *   <li>{@code create-topic BOOTSTRAP TOPIC PARTITIONS MIN_ISR ORDER TIMEOUT_MS} — creates the topic
 *       with an explicit replica assignment: ORDER is a comma-separated list of broker ids, and
 *       partition p gets that list rotated left by p (so partition 0's preferred leader is the first
 *       id, and leaders spread evenly); {@code min.insync.replicas=MIN_ISR}. Returns once every
 *       partition is led by its preferred replica with the full ISR and ListOffsets succeeds on all;
 *       prints {@code create_ms}.
 *   <li>{@code await-isr BOOTSTRAP TOPIC TIMEOUT_MS} — waits until every partition's ISR holds all
 *       its replicas; prints {@code isr_ms}.
 *   <li>{@code steady ...} — see {@link FailoverProbe}.
 * </ul>
 */
public final class ReplicationProbe {

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            usage();
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        int rc =
                switch (args[0]) {
                    case "cluster" -> cluster(rest);
                    case "create-topic" -> createTopic(rest);
                    case "await-isr" -> awaitIsr(rest);
                    case "steady" -> FailoverProbe.run(rest);
                    default -> usage();
                };
        System.out.flush();
        System.exit(rc);
    }

    private static int usage() {
        System.err.println("usage: ReplicationProbe cluster|create-topic|await-isr|steady ... (see the class comment)");
        System.exit(2);
        return 2;
    }

    static Admin admin(String bootstrap) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        return Admin.create(p);
    }

    // ---------------------------------------------------------------- cluster

    private static int cluster(String[] a) throws Exception {
        String bootstrap = a[0];
        int brokers = Integer.parseInt(a[1]);
        long timeoutMs = Long.parseLong(a[2]);
        long t0 = System.nanoTime();
        long deadline = System.currentTimeMillis() + timeoutMs;
        try (Admin admin = admin(bootstrap)) {
            List<Integer> ids = List.of();
            while (System.currentTimeMillis() < deadline) {
                try {
                    ids = admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).stream()
                            .map(Node::id)
                            .sorted()
                            .toList();
                    if (ids.size() == brokers) {
                        break;
                    }
                } catch (ExecutionException e) {
                    // not all up yet
                }
                Thread.sleep(100);
            }
            if (ids.size() != brokers) {
                System.out.println("error=DescribeCluster lists " + ids + " after " + timeoutMs + " ms, not "
                        + brokers + " brokers");
                return 1;
            }
            System.out.println("cluster_ms=" + (System.nanoTime() - t0) / 1_000_000);
            System.out.println("brokers=" + ids.stream().map(String::valueOf).collect(Collectors.joining(",")));
            printController(admin);
            return 0;
        }
    }

    /**
     * The active controller: the KRaft quorum leader (DescribeQuorum, which Kafka's brokers forward to
     * the controllers) where the system answers it, else DescribeCluster's controller id (Runnel: the
     * holder of the controller lease). Kafka's brokers answer DescribeCluster with a random broker, so
     * DescribeQuorum is asked first.
     */
    static void printController(Admin admin) throws Exception {
        int[] controller = controller(admin);
        System.out.println("controller=" + controller[0]);
        System.out.println("controller_source=" + (controller[1] == 1 ? "describe-quorum" : "describe-cluster"));
    }

    /** {controller id, 1 if from DescribeQuorum else 0}. */
    static int[] controller(Admin admin) throws Exception {
        try {
            int leader = admin.describeMetadataQuorum()
                    .quorumInfo()
                    .get(10, TimeUnit.SECONDS)
                    .leaderId();
            return new int[] {leader, 1};
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof UnsupportedVersionException)) {
                throw e;
            }
        }
        Node node = admin.describeCluster().controller().get(10, TimeUnit.SECONDS);
        return new int[] {node == null ? -1 : node.id(), 0};
    }

    // ---------------------------------------------------------------- create-topic

    private static int createTopic(String[] a) throws Exception {
        String bootstrap = a[0];
        String topic = a[1];
        int partitions = Integer.parseInt(a[2]);
        String minIsr = a[3];
        List<Integer> order =
                Arrays.stream(a[4].split(",")).map(Integer::valueOf).toList();
        long timeoutMs = Long.parseLong(a[5]);
        Map<Integer, List<Integer>> assignment = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            List<Integer> replicas = new ArrayList<>();
            for (int r = 0; r < order.size(); r++) {
                replicas.add(order.get((p + r) % order.size()));
            }
            assignment.put(p, replicas);
        }
        long t0 = System.nanoTime();
        long deadline = System.currentTimeMillis() + timeoutMs;
        try (Admin admin = admin(bootstrap)) {
            admin.createTopics(List.of(
                            new NewTopic(topic, assignment).configs(Map.of("min.insync.replicas", minIsr))))
                    .all()
                    .get(timeoutMs, TimeUnit.MILLISECONDS);
            awaitPartitions(admin, topic, deadline, true);
            Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
            for (int p = 0; p < partitions; p++) {
                specs.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            while (true) {
                try {
                    admin.listOffsets(specs).all().get(10, TimeUnit.SECONDS);
                    break;
                } catch (ExecutionException e) {
                    if (System.currentTimeMillis() > deadline) {
                        throw e;
                    }
                    Thread.sleep(50);
                }
            }
            System.out.println("create_ms=" + (System.nanoTime() - t0) / 1_000_000);
            return 0;
        } catch (Exception e) {
            System.out.println("error=" + oneLine(e));
            e.printStackTrace();
            return 1;
        }
    }

    // ---------------------------------------------------------------- await-isr

    private static int awaitIsr(String[] a) throws Exception {
        String bootstrap = a[0];
        String topic = a[1];
        long timeoutMs = Long.parseLong(a[2]);
        long t0 = System.nanoTime();
        try (Admin admin = admin(bootstrap)) {
            awaitPartitions(admin, topic, System.currentTimeMillis() + timeoutMs, false);
            System.out.println("isr_ms=" + (System.nanoTime() - t0) / 1_000_000);
            return 0;
        } catch (Exception e) {
            System.out.println("error=" + oneLine(e));
            return 1;
        }
    }

    /**
     * Until every partition has a leader and its ISR holds all its replicas (and, when
     * {@code preferredLeaders}, is led by its first replica).
     */
    private static void awaitPartitions(Admin admin, String topic, long deadline, boolean preferredLeaders)
            throws Exception {
        String last = "not described yet";
        while (System.currentTimeMillis() < deadline) {
            try {
                TopicDescription d = admin.describeTopics(List.of(topic))
                        .allTopicNames()
                        .get(10, TimeUnit.SECONDS)
                        .get(topic);
                boolean ready = true;
                for (TopicPartitionInfo p : d.partitions()) {
                    boolean led = p.leader() != null
                            && p.leader().id() >= 0
                            && (!preferredLeaders
                                    || p.leader().id() == p.replicas().getFirst().id());
                    ready &= led && p.isr().size() == p.replicas().size();
                }
                if (ready) {
                    return;
                }
                last = d.partitions().stream()
                        .map(p -> p.partition() + ": leader " + (p.leader() == null ? "none" : p.leader().id())
                                + " isr " + p.isr().stream().map(Node::id).toList())
                        .collect(Collectors.joining("; "));
            } catch (ExecutionException e) {
                last = oneLine(e);
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("topic " + topic + " not fully replicated in time: " + last);
    }

    /** Leader of every partition, by partition, -1 when none. */
    static Map<Integer, Integer> leaders(Admin admin, String topic) throws Exception {
        TopicDescription d = admin.describeTopics(List.of(topic))
                .allTopicNames()
                .get(10, TimeUnit.SECONDS)
                .get(topic);
        Map<Integer, Integer> leaders = new HashMap<>();
        for (TopicPartitionInfo p : d.partitions()) {
            leaders.put(p.partition(), p.leader() == null ? -1 : p.leader().id());
        }
        return leaders;
    }

    static String oneLine(Throwable e) {
        Throwable t = e;
        if (t instanceof ExecutionException && t.getCause() != null) {
            t = t.getCause();
        }
        return (t.getClass().getName() + ": " + t.getMessage()).replace('\n', ' ');
    }
}
