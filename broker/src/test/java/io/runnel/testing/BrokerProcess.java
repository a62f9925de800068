package io.runnel.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A Runnel broker run the way an operator runs it: {@code java -jar quarkus-run.jar} in its own
 * process, with its own data directory and ports. Tests reach it only over sockets.
 */
public final class BrokerProcess implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private final String name;
    private final Path dataDir;
    private final Map<String, String> settings = new LinkedHashMap<>();
    private final int kafkaPort;
    private final int httpPort;
    private Process process;
    private int starts;

    private BrokerProcess(String name, Path dataDir, int kafkaPort, int httpPort) {
        this.name = name;
        this.dataDir = dataDir;
        this.kafkaPort = kafkaPort;
        this.httpPort = httpPort;
    }

    /** A broker with a fresh data directory under {@code target/brokers/<name>}, not yet started. */
    public static BrokerProcess create(String name) {
        Path dir = Path.of("target", "brokers", name + "-" + System.nanoTime()).toAbsolutePath();
        int kafkaPort = freePort();
        int httpPort = freePort();
        while (httpPort == kafkaPort) { // the port just released may be handed out again at once
            httpPort = freePort();
        }
        BrokerProcess broker = new BrokerProcess(name, dir, kafkaPort, httpPort);
        broker.set("runnel.data-dir", dir.toString());
        broker.set("runnel.listeners", "PLAINTEXT://127.0.0.1:" + broker.kafkaPort);
        broker.set("runnel.advertised-listeners", "PLAINTEXT://127.0.0.1:" + broker.kafkaPort);
        broker.set("quarkus.http.port", String.valueOf(broker.httpPort));
        return broker;
    }

    /** Sets a broker setting (a system property of the broker process) for the next start. */
    public BrokerProcess set(String key, String value) {
        settings.put(key, value);
        return this;
    }

    public BrokerProcess start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " is running");
        }
        try {
            Files.createDirectories(dataDir);
            List<String> command = new ArrayList<>();
            command.add(ProcessHandle.current().info().command().orElse("java"));
            command.add("-Xmx512m");
            command.add("-XX:+UseSerialGC");
            settings.forEach((k, v) -> command.add("-D" + k + "=" + v));
            command.add("-jar");
            command.add(brokerJar().toString());
            Path log = dataDir.resolve("broker-" + (++starts) + ".log");
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            awaitPort(log);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitPort(Path log) {
        try {
            Awaitility.await(name + " start")
                    .atMost(START_TIMEOUT)
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        if (!process.isAlive()) {
                            throw new IllegalStateException(
                                    name + " exited with " + process.exitValue() + ":\n" + tail(log));
                        }
                        return Files.readString(log).contains("Kafka protocol listening")
                                && accepts(kafkaPort)
                                && accepts(httpPort);
                    });
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException(name + " did not start within " + START_TIMEOUT + ":\n" + tail(log));
        }
    }

    /** Stops the broker with SIGTERM, as an orchestrator would, and waits for it to exit. */
    public void stop() {
        if (process != null && process.isAlive()) {
            process.destroy();
            waitFor(Duration.ofSeconds(60));
        }
    }

    /** Kills the broker with SIGKILL: no shutdown hook runs, nothing is flushed. */
    public void kill() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            waitFor(Duration.ofSeconds(30));
        }
    }

    public BrokerProcess restart() {
        stop();
        return start();
    }

    private void waitFor(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Freezes the broker (SIGSTOP): it neither answers nor renews its lease until {@link #resume}. */
    public void pause() {
        run("kill", "-STOP", String.valueOf(pid()));
    }

    /** Lets a paused broker go on (SIGCONT). */
    public void resume() {
        run("kill", "-CONT", String.valueOf(pid()));
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + kafkaPort;
    }

    public int kafkaPort() {
        return kafkaPort;
    }

    public int httpPort() {
        return httpPort;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** The broker's output from its latest start. */
    public String log() {
        try {
            return Files.readString(dataDir.resolve("broker-" + starts + ".log"));
        } catch (IOException e) {
            return "";
        }
    }

    public Admin admin() {
        Properties props = new Properties();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, "30000");
        props.put(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, "60000");
        return Admin.create(props);
    }

    /** Bytes of heap in use after a full collection, as the broker's JVM reports it. */
    public long usedHeapAfterGc() {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        run(jcmd, String.valueOf(pid()), "GC.run");
        String info = run(jcmd, String.valueOf(pid()), "GC.heap_info");
        // "def new generation   total 4800K, used 1234K [...]" and "tenured generation   total ..., used ...K"
        long used = 0;
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("used (\\d+)K").matcher(info);
        while (m.find()) {
            used += Long.parseLong(m.group(1)) * 1024;
        }
        return used;
    }

    private static String run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        stop();
        stopOrphanPostgres();
    }

    /** A SIGKILLed broker leaves its embedded PostgreSQL running; a test must not leave it behind. */
    private void stopOrphanPostgres() {
        Path pidFile = dataDir.resolve("postgres").resolve("postmaster.pid");
        try {
            if (Files.exists(pidFile)) {
                long pid = Long.parseLong(Files.readAllLines(pidFile).getFirst().trim());
                Optional<ProcessHandle> postgres = ProcessHandle.of(pid);
                postgres.ifPresent(p -> {
                    p.destroy();
                    p.onExit()
                            .orTimeout(20, TimeUnit.SECONDS)
                            .exceptionally(e -> {
                                p.destroyForcibly();
                                return p;
                            })
                            .join();
                });
            }
        } catch (IOException | RuntimeException e) {
            // nothing left to stop
        }
    }

    static Path brokerJar() {
        String jar = System.getProperty("runnel.broker.app");
        Path path = jar != null ? Path.of(jar) : Path.of("target", "quarkus-app", "quarkus-run.jar");
        if (!Files.exists(path)) {
            throw new IllegalStateException("No broker build at " + path + "; run the package phase first");
        }
        return path;
    }

    static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    @Override
    public String toString() {
        return name + "@" + bootstrapServers();
    }
}
