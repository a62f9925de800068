package io.runnel.group;

import io.runnel.testing.TestJvm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/** The test's side of a {@link CrashableConsumerMain}: starts it, follows its reports, kills it. */
final class CrashableConsumer implements AutoCloseable {

    /** A record the consumer processed. */
    record Processed(int partition, long offset) {}

    private final String name;
    private final Process process;
    private final Path stderr;
    private final List<String> lines = new CopyOnWriteArrayList<>();

    private CrashableConsumer(String name, Process process, Path stderr) {
        this.name = name;
        this.process = process;
        this.stderr = stderr;
        Thread.ofPlatform().daemon().name("reader-" + name).start(this::read);
    }

    /**
     * Starts a consumer JVM. {@code options} are {@link CrashableConsumerMain}'s {@code key=value}
     * arguments besides bootstrap, group and topic.
     */
    static CrashableConsumer start(String name, String bootstrap, String group, String topic, String... options) {
        List<String> args = new ArrayList<>(List.of("bootstrap=" + bootstrap, "group=" + group, "topic=" + topic));
        args.addAll(Arrays.asList(options));
        try {
            Path dir = Files.createDirectories(Path.of("target", "test-jvm").toAbsolutePath());
            Path stderr = Files.createTempFile(dir, name + "-", ".err");
            Process process = TestJvm.builder(CrashableConsumerMain.class.getName(), List.of(), args)
                    .redirectError(stderr.toFile())
                    .start();
            return new CrashableConsumer(name, process, stderr);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void read() {
        try (BufferedReader in =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("@@ ")) {
                    lines.add(line.substring(3));
                }
            }
        } catch (IOException e) {
            // killed
        }
    }

    /** Waits until a report matches; fails with the reports so far when none does in time. */
    void await(String what, Duration timeout, Predicate<CrashableConsumer> condition) {
        try {
            Awaitility.await(name + ": " + what)
                    .atMost(timeout)
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> {
                        if (!process.isAlive() && !condition.test(this)) {
                            throw new IllegalStateException(
                                    name + " exited with " + process.exitValue() + ":\n" + diagnostics());
                        }
                        return condition.test(this);
                    });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(name + " did not report " + what + " within " + timeout + ":\n" + diagnostics());
        }
    }

    /** Its latest assignment (partition numbers); empty before the first. */
    Set<Integer> assignment() {
        for (int i = lines.size() - 1; i >= 0; i--) {
            String line = lines.get(i);
            if (line.startsWith("ASSIGNMENT")) {
                Set<Integer> partitions = new TreeSet<>();
                String list = line.substring("ASSIGNMENT".length()).trim();
                if (!list.isEmpty()) {
                    for (String p : list.split(",")) {
                        partitions.add(Integer.parseInt(p));
                    }
                }
                return partitions;
            }
        }
        return Set.of();
    }

    /** How many assignment reports it made (one per rebalance callback). */
    long assignmentReports() {
        return lines.stream().filter(l -> l.startsWith("ASSIGNMENT")).count();
    }

    List<Processed> processed() {
        return lines.stream()
                .filter(l -> l.startsWith("PROCESSED "))
                .map(l -> l.split(" "))
                .map(f -> new Processed(Integer.parseInt(f[1]), Long.parseLong(f[2])))
                .toList();
    }

    /** The last offset it committed per partition (acknowledged by the broker). */
    Map<Integer, Long> committed() {
        Map<Integer, Long> committed = new HashMap<>();
        for (String l : lines) {
            if (l.startsWith("COMMITTED ")) {
                String[] f = l.split(" ");
                committed.put(Integer.parseInt(f[1]), Long.parseLong(f[2]));
            }
        }
        return committed;
    }

    boolean hanging() {
        return lines.contains("HANGING");
    }

    /** SIGKILL: the consumer neither leaves its group nor commits anything more. */
    void kill() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException(name + " survived SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    String diagnostics() {
        String err;
        try {
            List<String> all = Files.readAllLines(stderr);
            err = String.join("\n", all.subList(Math.max(0, all.size() - 30), all.size()));
        } catch (IOException e) {
            err = "(no stderr)";
        }
        List<String> reports = List.copyOf(lines);
        return "reports: " + reports.subList(Math.max(0, reports.size() - 40), reports.size()) + "\nstderr tail:\n"
                + err;
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            kill();
        }
    }
}
