#!/usr/bin/env python3
"""Runnel vs Apache Kafka 4.1.1 benchmark harness. Started by bench/run.sh (which builds
everything first); see bench/README.md.

One broker runs at a time. Each round starts a fresh broker with an empty data directory, runs
every workload against it, restarts it once on the data it now holds (warm start-up), stops it
and deletes its data. Rounds alternate: Kafka 1, Runnel 1, Kafka 2, Runnel 2, ...
Tables report the median over rounds.
"""

import argparse
import base64
import datetime
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.request
import uuid

# bench/replication.py imports this module as "bench": let it find the running one (run as a script,
# this module is "__main__"), so that both share one set of started processes.
sys.modules.setdefault("bench", sys.modules[__name__])

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
TARGET = os.path.join(BENCH, "target")
LIB = os.path.join(TARGET, "lib")
RESULTS = os.environ.get("BENCH_RESULTS_DIR") or os.path.join(BENCH, "results")
RUNNEL_BUILD = os.path.join(ROOT, "broker", "target", "quarkus-app")
# A private copy, taken when the run starts: every round runs the same build even if the
# working tree is rebuilt meanwhile.
RUNNEL_APP = os.path.join(TARGET, "runnel-app")
RUNNEL_JAR = os.path.join(RUNNEL_APP, "quarkus-run.jar")
JAVA_HOME = os.environ.get("JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64")
JAVA = os.path.join(JAVA_HOME, "bin", "java")
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def env_int(name, default):
    v = os.environ.get(name)
    return int(v) if v not in (None, "") else default


def env_str(name, default):
    v = os.environ.get(name)
    return v if v not in (None, "") else default


# Kafka's own launch flags (bin/kafka-run-class.sh: KAFKA_JVM_PERFORMANCE_OPTS) and the same heap,
# given to BOTH brokers so that only the broker differs.
DEFAULT_BROKER_JVM_OPTS = (
    "-Xms1g -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 "
    "-XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true"
)
# bin/kafka-producer-perf-test.sh and friends use -Xmx512M.
DEFAULT_TOOL_JVM_OPTS = "-Xmx512m -XX:+UseG1GC -Djava.awt.headless=true"
# bin/connect-standalone.sh: KAFKA_HEAP_OPTS="-Xms256M -Xmx2G", then kafka-run-class.sh's flags.
DEFAULT_CONNECT_WORKER_JVM_OPTS = (
    "-Xms256m -Xmx2g -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 "
    "-XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true"
)
STRING_CONVERTER = "org.apache.kafka.connect.storage.StringConverter"

BIG_BATCH = ["batch.size=262144", "linger.ms=5"]

# (id, partitions, acks, extra producer props, payload) -- payload "random" = --record-size 1024,
# "text" = --payload-file with repetitive ~1 KiB lines.
PRODUCER_WORKLOADS = [
    ("p1-acks1-default", 1, "1", [], "random"),
    ("p1-acksall-default", 1, "all", [], "random"),
    ("p6-acks1-default", 6, "1", [], "random"),
    ("p6-acksall-default", 6, "all", [], "random"),
    ("p1-acks1-batch256k", 1, "1", BIG_BATCH, "random"),
    ("p1-acksall-batch256k", 1, "all", BIG_BATCH, "random"),
    ("p6-acks1-batch256k", 6, "1", BIG_BATCH, "random"),
    ("p6-acksall-batch256k", 6, "all", BIG_BATCH, "random"),
    ("p1-acks1-default-lz4", 1, "1", ["compression.type=lz4"], "text"),
    ("p1-acks1-batch256k-lz4", 1, "1", BIG_BATCH + ["compression.type=lz4"], "text"),
]
# ConsumerPerformance reads back these topics (written by the producer workloads of the round).
CONSUMER_WORKLOADS = ["p1-acks1-default", "p6-acks1-default"]


class Failure:
    def __init__(self, msg):
        self.msg = msg

    def __repr__(self):
        return "Failure(%r)" % self.msg


def log(msg):
    ts = datetime.datetime.now().strftime("%H:%M:%S")
    print("[bench %s] %s" % (ts, msg), flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def kafka_uuid():
    while True:
        s = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not s.startswith("-"):
            return s


# ------------------------------------------------------------------------------------ /proc


def read_stat(pid):
    """(utime+stime, cutime+cstime) in seconds, or None when the process is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rindex(")") + 2:].split()
    # fields[0] is field 3 (state); utime is field 14 -> index 11
    ut, st, cut, cst = (int(x) for x in fields[11:15])
    return (ut + st) / CLK_TCK, (cut + cst) / CLK_TCK


def ppid_of(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
        return int(data[data.rindex(")") + 2:].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def status_kb(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def pss_kb(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def all_pids():
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


# ------------------------------------------------------------------------------------ processes

CHILDREN = set()  # Popen objects of everything we started, killed on exit
BROKERS = set()  # brokers started and not yet stopped (Runnel's PostgreSQL is not our child)


def kill_tree(proc, grace=60.0):
    """SIGTERM the process group we created, wait, then SIGKILL it."""
    if proc is None or proc.poll() is not None:
        CHILDREN.discard(proc)
        return
    try:
        # The main process only: it shuts down what it started itself (Runnel stops its
        # embedded PostgreSQL); the whole group is killed only if it does not exit in time.
        os.kill(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)
    CHILDREN.discard(proc)


def run_tool(args, out_path, timeout):
    """Run a client JVM to completion; returns (rc or 'timeout', stdout+stderr text)."""
    with open(out_path, "w") as out:
        out.write("$ " + " ".join(args) + "\n")
        out.flush()
        p = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=TARGET)
        CHILDREN.add(p)
        try:
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_tree(p, grace=5)
            rc = "timeout after %ds" % timeout
        CHILDREN.discard(p)
    with open(out_path, errors="replace") as f:
        return rc, f.read()


def tool_cp():
    jar = [f for f in os.listdir(TARGET) if f.startswith("runnel-bench-") and f.endswith(".jar")]
    return os.path.join(LIB, "*") + (":" + os.path.join(TARGET, jar[0]) if jar else "")


def java_tool(cfg, main, *args):
    return [JAVA] + cfg.tool_jvm_opts.split() + [
        "-Dlog4j2.configurationFile=" + cfg.tools_log4j, "-cp", tool_cp(), main] + [str(a) for a in args]


def tail(path, n):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:]).rstrip()
    except OSError:
        return ""


def kv(text):
    d = {}
    for line in text.splitlines():
        m = re.match(r"^([a-z0-9_]+)=(.*)$", line.strip())
        if m:
            d[m.group(1)] = m.group(2)
    return d


def error_excerpt(text, limit=12):
    lines = [l for l in text.splitlines() if not l.startswith("$ ")]
    keep = [l for l in lines if re.search(r"(Exception|Error|error|WARN|FAIL|timeout|Timeout)", l)
            and not l.startswith("\tat ") and "WARNING:" not in l]
    return "\n".join((keep or lines)[:limit])


# ------------------------------------------------------------------------------------ brokers


class Broker:
    name = "?"

    def __init__(self, cfg, run_dir, log_path):
        self.cfg = cfg
        self.run_dir = run_dir
        self.log_path = log_path
        self.proc = None
        self.port = None

    @property
    def bootstrap(self):
        return "127.0.0.1:%d" % self.port

    def prepare(self):
        pass

    def command(self):
        raise NotImplementedError

    def extra_pids(self):
        return []

    def start(self):
        """Start the broker; returns milliseconds from launch to the first answered ApiVersions."""
        cfg = self.cfg
        probe = subprocess.Popen(
            java_tool(cfg, "io.runnel.bench.Probe", "wait-ready", self.bootstrap, cfg.start_timeout * 1000),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        CHILDREN.add(probe)
        first = probe.stdout.readline()
        if "polling=1" not in first:
            kill_tree(probe, 2)
            raise RuntimeError("readiness probe did not start: " + first)
        logf = open(self.log_path, "a")
        logf.write("\n===== %s start %s =====\n" % (self.name, datetime.datetime.now().isoformat()))
        logf.write("$ " + " ".join(self.command()) + "\n")
        logf.flush()
        t0 = time.time()
        BROKERS.add(self)
        self.proc = subprocess.Popen(self.command(), stdout=logf, stderr=subprocess.STDOUT,
                                     cwd=self.run_dir, start_new_session=True)
        CHILDREN.add(self.proc)
        logf.close()
        deadline = time.time() + cfg.start_timeout + 30
        while probe.poll() is None:
            if self.proc.poll() is not None or time.time() > deadline:
                kill_tree(probe, 2)
                break
            time.sleep(0.05)
        out = probe.stdout.read()
        CHILDREN.discard(probe)
        d = kv(first + out)
        if "ready_epoch_ms" not in d:
            raise RuntimeError("%s did not answer ApiVersions within %ds (%s); exit code %s; last log lines:\n%s"
                               % (self.name, cfg.start_timeout, d.get("error", out.strip()), self.proc.poll(),
                                  tail(self.log_path, 15)))
        return int(d["ready_epoch_ms"]) - t0 * 1000.0

    def stop(self):
        extra = self.extra_pids()
        kill_tree(self.proc, grace=120)
        # Anything left over (e.g. an embedded PostgreSQL after a hard kill), by pid.
        deadline = time.time() + 15
        for pid in extra:
            while os.path.exists("/proc/%d" % pid) and time.time() < deadline:
                time.sleep(0.2)
            if os.path.exists("/proc/%d" % pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.proc = None
        BROKERS.discard(self)

    def log_offset(self):
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return 0

    def log_problems_since(self, offset, limit=15):
        """WARN/ERROR lines (and exception lines) the broker logged since offset."""
        try:
            with open(self.log_path, errors="replace") as f:
                f.seek(offset)
                lines = f.read().splitlines()
        except OSError:
            return ""
        keep = [l for l in lines if re.search(r"\b(WARN|ERROR|FATAL|SEVERE)\b|Exception", l)
                and not l.startswith("WARNING:") and not l.lstrip().startswith("at ")]
        return "\n".join(keep[:limit])

    # -- measurements
    def data_dirs(self):
        return [self.data]

    def data_mb(self):
        total = 0.0
        for d in self.data_dirs():
            if os.path.exists(d):
                out = subprocess.run(["du", "-sm", d], capture_output=True, text=True).stdout.split()
                total += float(out[0]) if out else 0.0
        return total

    def jvm_pid(self):
        return self.proc.pid

    def cpu_jvm(self):
        s = read_stat(self.jvm_pid())
        return s[0] if s else float("nan")

    def tree_pids(self):
        pids = [self.jvm_pid()] + self.extra_pids()
        return pids

    def cpu_tree(self):
        total = 0.0
        roots = self.tree_pids()
        for pid in roots:
            s = read_stat(pid)
            if s:
                total += s[0] + s[1]
        for pid in self.live_children(roots):
            s = read_stat(pid)
            if s:
                total += s[0]
        return total

    @staticmethod
    def live_children(roots):
        roots = set(roots)
        return [p for p in all_pids() if p not in roots and ppid_of(p) in roots]

    def rss_mb(self):
        v = status_kb(self.jvm_pid(), "VmRSS")
        return v / 1024.0 if v is not None else float("nan")

    def hwm_mb(self):
        v = status_kb(self.jvm_pid(), "VmHWM")
        return v / 1024.0 if v is not None else float("nan")

    def pss_tree_mb(self):
        roots = self.tree_pids()
        total = 0
        for pid in roots + self.live_children(roots):
            v = pss_kb(pid)
            total += v or 0
        return total / 1024.0


class KafkaBroker(Broker):
    name = "kafka"

    def prepare(self):
        os.makedirs(self.run_dir, exist_ok=True)
        self.port = free_port()
        self.cport = free_port()
        self.data = os.path.join(self.run_dir, "data")
        self.props = os.path.join(self.run_dir, "server.properties")
        with open(self.props, "w") as f:
            f.write("\n".join([
                "# Generated by bench/bench.py: single-node KRaft (combined broker+controller).",
                "# Otherwise the settings of Kafka's shipped config/server.properties.",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.bootstrap.servers=127.0.0.1:%d" % self.cport,
                "listeners=PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d" % (self.port, self.cport),
                "advertised.listeners=PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d" % (self.port, self.cport),
                "inter.broker.listener.name=PLAINTEXT",
                "controller.listener.names=CONTROLLER",
                "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                "log.dirs=" + self.data,
                "num.partitions=1",
                "default.replication.factor=1",
                "auto.create.topics.enable=true",
                "offsets.topic.replication.factor=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "num.recovery.threads.per.data.dir=1",
                "log.retention.hours=168",
                "log.segment.bytes=1073741824",
                "log.retention.check.interval.ms=300000",
                "",
            ]))
        cmd = [JAVA, "-Xmx256m", "-Dlog4j2.configurationFile=" + self.cfg.tools_log4j, "-cp",
               os.path.join(LIB, "*"), "kafka.tools.StorageTool", "format", "--config", self.props,
               "--cluster-id", kafka_uuid(), "--standalone"]
        rc, out = run_tool(cmd, os.path.join(os.path.dirname(self.log_path),
                                             os.path.basename(self.log_path) + ".format.out"), 180)
        if rc != 0:
            raise RuntimeError("kafka storage format failed (%s): %s" % (rc, error_excerpt(out)))

    def command(self):
        return [JAVA] + self.cfg.broker_jvm_opts.split() + [
            "-Dlog4j2.configurationFile=" + self.cfg.kafka_log4j, "-cp", os.path.join(LIB, "*"),
            "kafka.Kafka", self.props]


class RunnelBroker(Broker):
    name = "runnel"
    # -D settings a mode adds to the defaults (--connect: the offset flush interval).
    extra_sysprops = ()

    def prepare(self):
        os.makedirs(self.run_dir, exist_ok=True)
        self.port = free_port()
        self.http_port = free_port()
        self.data = os.path.join(self.run_dir, "data")

    def command(self):
        return [JAVA] + self.cfg.broker_jvm_opts.split() + [
            "-Drunnel.data-dir=" + self.data,
            "-Drunnel.listeners=PLAINTEXT://127.0.0.1:%d" % self.port,
            "-Dquarkus.http.port=%d" % self.http_port,
            "-Drunnel.group.initial-rebalance-delay-ms=0",
            *self.extra_sysprops,
            "-jar", RUNNEL_JAR]

    def data_dirs(self):
        # Partition logs and PostgreSQL's data; not the PostgreSQL binaries unpacked beside them.
        return [os.path.join(self.data, "logs"), os.path.join(self.data, "postgres")]

    def extra_pids(self):
        """The embedded PostgreSQL postmaster (daemonised, so not a child of the JVM)."""
        marker = "-D " + os.path.join(self.data, "postgres")
        out = []
        for pid in all_pids():
            c = cmdline(pid)
            if marker in c and "postgres" in c.split(" ")[0]:
                out.append(pid)
        return out


class ConnectWorker(Broker):
    """A Kafka Connect standalone worker (ConnectStandalone) beside a KafkaBroker: Kafka needs this
    second JVM to run connectors, Runnel runs them in the broker. Offsets go to a file; no connector
    at start: the harness creates them through the REST API, as on Runnel."""

    name = "kafka-connect"

    def __init__(self, cfg, run_dir, log_path, bootstrap):
        super().__init__(cfg, run_dir, log_path)
        self.kafka_bootstrap = bootstrap
        self.props = os.path.join(run_dir, "connect-standalone.properties")

    @property
    def rest_url(self):
        return "http://127.0.0.1:%d" % self.port

    def prepare(self):
        self.port = free_port()  # the REST listener
        with open(self.props, "w") as f:
            f.write("\n".join([
                "# Generated by bench/bench.py: Kafka's config/connect-standalone.properties with a free REST",
                "# port, offsets in the round's directory and the benchmark's converters and flush interval.",
                "bootstrap.servers=" + self.kafka_bootstrap,
                "key.converter=" + STRING_CONVERTER,
                "value.converter=" + STRING_CONVERTER,
                "offset.storage.file.filename=" + os.path.join(self.run_dir, "connect.offsets"),
                "offset.flush.interval.ms=%d" % self.cfg.connect_flush_ms,
                "listeners=http://127.0.0.1:%d" % self.port,
                # No plugin.path: connect-file is on the worker's classpath (bench/target/lib). An empty
                # "plugin.path=" would not do: Kafka reads an empty element as the working directory.
                "",
            ]))

    def command(self):
        return [JAVA] + self.cfg.connect_worker_jvm_opts.split() + [
            "-Dlog4j2.configurationFile=" + self.cfg.kafka_log4j, "-cp", os.path.join(LIB, "*"),
            "org.apache.kafka.connect.cli.ConnectStandalone", self.props]

    def start(self):
        """Start the worker; returns milliseconds from launch until its REST API answers."""
        with open(self.log_path, "a") as logf:
            logf.write("\n===== %s start %s =====\n" % (self.name, datetime.datetime.now().isoformat()))
            logf.write("$ " + " ".join(self.command()) + "\n")
            logf.flush()
            t0 = time.time()
            BROKERS.add(self)
            self.proc = subprocess.Popen(self.command(), stdout=logf, stderr=subprocess.STDOUT,
                                         cwd=self.run_dir, start_new_session=True)
        CHILDREN.add(self.proc)
        wait_rest(self.rest_url + "/", self.cfg.start_timeout, self)
        return (time.time() - t0) * 1000.0


# ------------------------------------------------------------------------------------ config


class Config:
    pass


def make_config(args):
    cfg = Config()
    cfg.quick = args.quick
    cfg.scale = args.scale
    cfg.rounds = args.rounds or env_int("BENCH_ROUNDS", 1 if args.quick else 3)
    cfg.records = env_int("BENCH_RECORDS", 50_000 if args.quick else 1_000_000)
    cfg.record_size = 1024
    cfg.e2e_messages = env_int("BENCH_E2E_MESSAGES", 1_000 if args.quick else 10_000)
    cfg.e2e_warmup = env_int("BENCH_E2E_WARMUP", 200 if args.quick else 1_000)
    cfg.e2e_acks = env_str("BENCH_E2E_ACKS", "1")
    cfg.idle_secs = env_int("BENCH_IDLE_SECS", 5)
    cfg.start_timeout = env_int("BENCH_START_TIMEOUT", 300)
    cfg.tool_timeout = env_int("BENCH_TOOL_TIMEOUT", 900)
    cfg.broker_jvm_opts = env_str("BENCH_BROKER_JVM_OPTS", DEFAULT_BROKER_JVM_OPTS)
    cfg.tool_jvm_opts = env_str("BENCH_TOOL_JVM_OPTS", DEFAULT_TOOL_JVM_OPTS)
    cfg.scale_partitions = [int(x) for x in env_str("BENCH_SCALE_PARTITIONS", "10,1000,10000").split(",")]
    cfg.scale_records = env_int("BENCH_SCALE_RECORDS", 5_000 if args.quick else 20_000)
    cfg.scale_rate = env_int("BENCH_SCALE_RATE", 1_000 if args.quick else 2_000)
    cfg.scale_rounds = env_int("BENCH_SCALE_ROUNDS", 1)
    cfg.scale_warmup = env_int("BENCH_SCALE_WARMUP", cfg.scale_rate * 2)
    cfg.commit_clients = env_int("BENCH_COMMIT_CLIENTS", 4)
    cfg.commit_partitions = env_int("BENCH_COMMIT_PARTITIONS", 10)
    cfg.commit_seconds = env_int("BENCH_COMMIT_SECONDS", 10 if args.quick else 20)
    cfg.connect_lines = env_int("BENCH_CONNECT_LINES", 100_000 if args.quick else 1_000_000)
    cfg.connect_line_bytes = env_int("BENCH_CONNECT_LINE_BYTES", 100)
    cfg.connect_batch_size = env_int("BENCH_CONNECT_BATCH_SIZE", 2000)
    cfg.connect_flush_ms = env_int("BENCH_CONNECT_FLUSH_MS", 1000)
    cfg.connect_timeout = env_int("BENCH_CONNECT_TIMEOUT", 900)
    cfg.connect_worker_jvm_opts = env_str("BENCH_CONNECT_WORKER_JVM_OPTS", DEFAULT_CONNECT_WORKER_JVM_OPTS)
    cfg.only = [w for w in env_str("BENCH_ONLY", "").split(",") if w]
    cfg.kafka_setup = "KRaft combined mode, one node"
    cfg.stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    cfg.logs = os.path.join(TARGET, "logs", cfg.stamp)
    cfg.runs = os.path.join(TARGET, "run")
    cfg.tools_log4j = os.path.join(TARGET, "conf", "tools-log4j2.properties")
    cfg.kafka_log4j = os.path.join(TARGET, "conf", "kafka-log4j2.properties")
    cfg.payload_file = os.path.join(TARGET, "conf", "payload-text.txt")
    return cfg


def write_support_files(cfg):
    os.makedirs(os.path.dirname(cfg.tools_log4j), exist_ok=True)
    os.makedirs(cfg.logs, exist_ok=True)
    with open(cfg.tools_log4j, "w") as f:
        f.write("status = warn\n"
                "appender.stderr.type = Console\nappender.stderr.name = STDERR\n"
                "appender.stderr.target = SYSTEM_ERR\n"
                "appender.stderr.layout.type = PatternLayout\n"
                "appender.stderr.layout.pattern = [%d] %p %m (%c)%n\n"
                "rootLogger.level = WARN\nrootLogger.appenderRef.stderr.ref = STDERR\n")
    # Like Kafka's config/log4j2.yaml: INFO to the console (redirected to a file by the harness),
    # the request logger at WARN.
    with open(cfg.kafka_log4j, "w") as f:
        f.write("status = warn\n"
                "appender.stdout.type = Console\nappender.stdout.name = STDOUT\n"
                "appender.stdout.layout.type = PatternLayout\n"
                "appender.stdout.layout.pattern = [%d] %p %m (%c)%n\n"
                "rootLogger.level = INFO\nrootLogger.appenderRef.stdout.ref = STDOUT\n"
                "logger.request.name = kafka.request.logger\nlogger.request.level = WARN\n"
                "logger.controller.name = org.apache.kafka.controller\nlogger.controller.level = INFO\n"
                "logger.state.name = state.change.logger\nlogger.state.level = INFO\n")
    # Compressible payload: ~1 KiB lines of repetitive, log-like text (ProducerPerformance picks
    # a random line per record).
    lines = []
    for i in range(200):
        base = ('{"ts":"2025-11-25T01:%02d:%02d.%03dZ","level":"INFO","service":"orders","host":"web-%02d",'
                '"msg":"order accepted","order_id":%d,"customer":"customer-%d","items":[' %
                (i % 60, (i * 7) % 60, (i * 13) % 1000, i % 8, 100000 + i, i % 37))
        items = []
        j = 0
        while len(base) + len(",".join(items)) < 1000:
            items.append('{"sku":"SKU-%04d","qty":%d,"price":%d.99}' % ((i + j) % 50, 1 + j % 3, 5 + j % 20))
            j += 1
        line = (base + ",".join(items) + "]}")
        line = (line + " " * 1024)[:1023] + "}"
        lines.append(line)
    with open(cfg.payload_file, "w") as f:
        f.write("\n".join(lines) + "\n")


# ------------------------------------------------------------------------------------ workloads

# An exception printed by a tool (stack trace or ERROR log line); retriable WARN lines are not failures.
STACK = re.compile(r"(^\S+(Exception|Error)\b|^\s+at [\w.$]+\(| ERROR )", re.M)

PP_FINAL = re.compile(
    r"(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency, "
    r"([\d.]+) ms max latency, ([\d.]+) ms 50th, ([\d.]+) ms 95th, ([\d.]+) ms 99th, ([\d.]+) ms 99.9th")


def producer_run(cfg, broker, wid, partitions, acks, props, payload, out_path):
    res = {}
    rc, out = run_tool(java_tool(cfg, "io.runnel.bench.Probe", "create-topic", broker.bootstrap, wid, partitions,
                                 120_000), out_path + ".create", 180)
    if rc != 0:
        return Failure("create-topic %s: %s (output: %s)" % (
            wid, error_excerpt(out), os.path.relpath(out_path + ".create", ROOT)))
    args = ["--topic", wid, "--num-records", cfg.records, "--throughput", -1]
    if payload == "random":
        args += ["--record-size", cfg.record_size]
    else:
        args += ["--payload-file", cfg.payload_file]
    args += ["--producer-props", "bootstrap.servers=" + broker.bootstrap, "acks=" + acks] + props
    cpu0, tree0 = broker.cpu_jvm(), broker.cpu_tree()
    rc, out = run_tool(java_tool(cfg, "org.apache.kafka.tools.ProducerPerformance", *args), out_path,
                       cfg.tool_timeout)
    cpu1, tree1 = broker.cpu_jvm(), broker.cpu_tree()
    m = None
    for m in PP_FINAL.finditer(out):
        pass
    problems = []
    if rc != 0:
        problems.append("exit code %s" % rc)
    if m is None:
        problems.append("no summary line")
    elif int(m.group(1)) != cfg.records:
        problems.append("%s of %d records acknowledged" % (m.group(1), cfg.records))
    if STACK.search(out):
        problems.append("exceptions in output")
    if problems:
        return Failure("ProducerPerformance %s: %s (output: %s)\n%s" % (
            wid, "; ".join(problems), os.path.relpath(out_path, ROOT), error_excerpt(out)))
    res["recs_per_s"] = float(m.group(2))
    res["mb_per_s"] = float(m.group(3))
    res["lat_avg_ms"] = float(m.group(4))
    res["lat_p50_ms"] = float(m.group(6))
    res["lat_p99_ms"] = float(m.group(8))
    res["lat_p999_ms"] = float(m.group(9))
    res["lat_max_ms"] = float(m.group(5))
    res["broker_cpu_s"] = cpu1 - cpu0
    res["broker_tree_cpu_s"] = tree1 - tree0
    return res


CP_LINE = re.compile(r"^\s*([\d\-: ]+),\s*([\d\-: ]+),\s*([\d.]+),\s*([\d.]+),\s*(\d+),\s*([\d.]+),\s*(-?\d+),"
                     r"\s*(-?\d+),\s*([\d.]+),\s*([\d.]+)\s*$", re.M)


def consumer_run(cfg, broker, topic, round_no, out_path):
    args = ["--bootstrap-server", broker.bootstrap, "--topic", topic, "--messages", cfg.records,
            "--group", "bench-cp-%s-r%d" % (topic, round_no), "--timeout", 30000]
    cpu0, tree0 = broker.cpu_jvm(), broker.cpu_tree()
    rc, out = run_tool(java_tool(cfg, "org.apache.kafka.tools.ConsumerPerformance", *args), out_path,
                       cfg.tool_timeout)
    cpu1, tree1 = broker.cpu_jvm(), broker.cpu_tree()
    m = CP_LINE.search(out)
    problems = []
    if rc != 0:
        problems.append("exit code %s" % rc)
    if m is None:
        problems.append("no result line")
    elif int(m.group(5)) < cfg.records:
        problems.append("consumed %s of %d records" % (m.group(5), cfg.records))
    if "Exiting before consuming" in out or STACK.search(out):
        problems.append("errors in output")
    if problems:
        return Failure("ConsumerPerformance %s: %s (output: %s)\n%s" % (
            topic, "; ".join(problems), os.path.relpath(out_path, ROOT), error_excerpt(out)))
    return {
        "mb_per_s": float(m.group(4)),
        "msgs_per_s": float(m.group(6)),
        "fetch_mb_per_s": float(m.group(9)),
        "fetch_msgs_per_s": float(m.group(10)),
        "rebalance_ms": float(m.group(7)),
        "broker_cpu_s": cpu1 - cpu0,
        "broker_tree_cpu_s": tree1 - tree0,
    }


def e2e_run(cfg, broker, out_path):
    rc, out = run_tool(java_tool(cfg, "io.runnel.bench.Probe", "e2e", broker.bootstrap, "e2e-latency",
                                 cfg.e2e_messages, cfg.e2e_warmup, cfg.e2e_acks, cfg.record_size),
                       out_path, cfg.tool_timeout)
    d = kv(out)
    if rc != 0 or "e2e_p99_us" not in d:
        return Failure("e2e probe: exit %s: %s (output: %s)\n%s" % (
            rc, d.get("error", ""), os.path.relpath(out_path, ROOT), error_excerpt(out)))
    return {k[4:]: float(v) for k, v in d.items() if k.startswith("e2e_") and k != "e2e_count"}


def wrap(fn, what, broker=None):
    """Runs one workload; a failure is recorded (with what the broker logged meanwhile), not raised."""
    off = broker.log_offset() if broker else 0
    try:
        res = fn()
    except Exception as e:  # noqa: BLE001 - a failed workload is recorded, the run goes on
        traceback.print_exc()
        res = Failure("%s: %s" % (what, e))
    if isinstance(res, Failure) and broker is not None:
        lines = broker.log_problems_since(off)
        res.msg += "\n--- %s broker log (WARN/ERROR lines during this workload) ---\n%s" % (
            broker.name, lines or "(none)")
    return res


def new_broker(cfg, cls, run_name):
    """A broker of class cls on an empty run directory, logging to <logs>/<run_name>.log."""
    run_dir = os.path.join(cfg.runs, run_name)
    shutil.rmtree(run_dir, ignore_errors=True)
    log_path = os.path.join(cfg.logs, run_name + ".log")
    return cls(cfg, run_dir, log_path), run_dir, log_path


def one_round(cfg, cls, round_no):
    """Everything measured in one round for one broker: a flat dict metric -> value | Failure."""
    name = cls.name
    b, run_dir, log_path = new_broker(cfg, cls, "%s-r%d" % (name, round_no))
    r = {}
    try:
        b.prepare()
        log("%s round %d: starting (log %s)" % (name, round_no, os.path.relpath(log_path, ROOT)))
        r["startup_cold_ms"] = b.start()
        log("%s round %d: answered ApiVersions after %.0f ms" % (name, round_no, r["startup_cold_ms"]))
        time.sleep(cfg.idle_secs)
        r["rss_idle_mb"] = b.rss_mb()
        r["pss_tree_idle_mb"] = b.pss_tree_mb()
        cpu_round0, tree_round0 = b.cpu_jvm(), b.cpu_tree()
        r["cpu_startup_idle_s"] = cpu_round0
        w = wrap(lambda: run_tool(java_tool(cfg, "io.runnel.bench.Probe", "warmup", b.bootstrap, "bench-warmup"),
                                  os.path.join(cfg.logs, "%s-r%d-warmup.out" % (name, round_no)), 300), "warmup")
        if isinstance(w, Failure) or w[0] != 0:
            r["warmup"] = w if isinstance(w, Failure) else Failure("warmup: " + error_excerpt(w[1]))
            log("%s round %d: warm-up FAILED: %s" % (name, round_no, r["warmup"].msg))
        for wid, parts, acks, props, payload in PRODUCER_WORKLOADS:
            if cfg.only and wid not in cfg.only:
                continue
            out_path = os.path.join(cfg.logs, "%s-r%d-produce-%s.out" % (name, round_no, wid))
            res = wrap(lambda: producer_run(cfg, b, wid, parts, acks, props, payload, out_path), "producer " + wid, b)
            r["produce:" + wid] = res
            if isinstance(res, Failure):
                log("%s round %d: produce %s FAILED: %s" % (name, round_no, wid, res.msg.splitlines()[0]))
            else:
                log("%s round %d: produce %-24s %9.0f rec/s %7.1f MB/s  p99 %5.0f ms  broker cpu %.1f s" % (
                    name, round_no, wid, res["recs_per_s"], res["mb_per_s"], res["lat_p99_ms"], res["broker_cpu_s"]))
            if b.proc.poll() is not None:
                raise RuntimeError("%s exited (code %s) during %s" % (name, b.proc.poll(), wid))
        for topic in CONSUMER_WORKLOADS:
            if cfg.only and topic not in cfg.only:
                continue
            if isinstance(r.get("produce:" + topic), Failure):
                r["consume:" + topic] = Failure("not run: producing %s failed" % topic)
                continue
            out_path = os.path.join(cfg.logs, "%s-r%d-consume-%s.out" % (name, round_no, topic))
            res = wrap(lambda: consumer_run(cfg, b, topic, round_no, out_path), "consumer " + topic, b)
            r["consume:" + topic] = res
            if isinstance(res, Failure):
                log("%s round %d: consume %s FAILED: %s" % (name, round_no, topic, res.msg.splitlines()[0]))
            else:
                log("%s round %d: consume %-24s %7.1f MB/s (fetch %7.1f MB/s)" % (
                    name, round_no, topic, res["mb_per_s"], res["fetch_mb_per_s"]))
        out_path = os.path.join(cfg.logs, "%s-r%d-e2e.out" % (name, round_no))
        res = wrap(lambda: e2e_run(cfg, b, out_path), "e2e", b)
        r["e2e"] = res
        if isinstance(res, Failure):
            log("%s round %d: e2e FAILED: %s" % (name, round_no, res.msg.splitlines()[0]))
        else:
            log("%s round %d: e2e p50 %.0f us p99 %.0f us p99.9 %.0f us" % (
                name, round_no, res["p50_us"], res["p99_us"], res["p999_us"]))
        time.sleep(3)
        r["rss_after_mb"] = b.rss_mb()
        r["rss_peak_mb"] = b.hwm_mb()
        r["pss_tree_after_mb"] = b.pss_tree_mb()
        r["cpu_workloads_s"] = b.cpu_jvm() - cpu_round0
        r["cpu_tree_workloads_s"] = b.cpu_tree() - tree_round0
        r["data_dir_mb"] = b.data_mb()
        log("%s round %d: RSS idle %.0f MB, after load %.0f MB (peak %.0f MB); broker CPU %.1f s" % (
            name, round_no, r["rss_idle_mb"], r["rss_after_mb"], r["rss_peak_mb"], r["cpu_workloads_s"]))
        # Warm start-up: stop cleanly, start again on the data just written.
        t = time.time()
        b.stop()
        r["shutdown_ms"] = (time.time() - t) * 1000
        r["startup_warm_ms"] = wrap(b.start, "warm restart")
        if not isinstance(r["startup_warm_ms"], Failure):
            log("%s round %d: warm restart answered after %.0f ms" % (name, round_no, r["startup_warm_ms"]))
    except Exception as e:  # noqa: BLE001
        traceback.print_exc()
        r["round"] = Failure("%s round %d aborted: %s\n--- last broker log lines ---\n%s"
                             % (name, round_no, e, tail(log_path, 15)))
        log(r["round"].msg)
    finally:
        b.stop()
        shutil.rmtree(run_dir, ignore_errors=True)
    return r


# ------------------------------------------------------------------------------------ scale


def scale_round(cfg, cls, partitions, round_no):
    name = cls.name
    b, run_dir, log_path = new_broker(cfg, cls, "%s-scale%d-r%d" % (name, partitions, round_no))
    r = {}
    try:
        b.prepare()
        log("%s scale %d partitions: starting (log %s)" % (name, partitions, os.path.relpath(log_path, ROOT)))
        r["startup_cold_ms"] = b.start()
        time.sleep(cfg.idle_secs)
        r["rss_idle_mb"] = b.rss_mb()
        cpu0 = b.cpu_jvm()
        out_path = os.path.join(cfg.logs, "%s-scale%d-r%d.out" % (name, partitions, round_no))
        log("%s scale %d partitions: creating the topic, then %d + %d records at %d/s" % (
            name, partitions, cfg.scale_warmup, cfg.scale_records, cfg.scale_rate))
        off = b.log_offset()
        rc, out = run_tool(java_tool(cfg, "io.runnel.bench.Probe", "scale", b.bootstrap, "scale-%d" % partitions,
                                     partitions, cfg.scale_records, cfg.scale_rate, cfg.record_size,
                                     cfg.scale_warmup),
                           out_path, max(cfg.tool_timeout, 1800))
        d = kv(out)
        for k in ("create_ms", "create_requests", "writable_after_leaders_ms", "touch_ms"):
            if k in d:
                r[k] = float(d[k])
        if "create_note" in d:
            r["create_note"] = d["create_note"]
        if rc != 0 or "ack_p99_us" not in d:
            r["produce"] = Failure("scale probe (%d partitions): exit %s: %s\n%s\n--- %s broker log (WARN/ERROR) ---\n%s"
                                   % (partitions, rc, d.get("error", ""), error_excerpt(out), name,
                                      b.log_problems_since(off) or "(none)"))
            log("%s scale %d: FAILED: %s" % (name, partitions, r["produce"].msg.splitlines()[0]))
        else:
            for k in ("ack_p50_us", "ack_p99_us", "ack_p999_us", "ack_max_us", "achieved_rate"):
                r[k] = float(d[k])
            log("%s scale %d: created in %s ms, first writes %s ms, ack p99 %s us, rate %s/s" % (
                name, partitions, d.get("create_ms"), d.get("touch_ms"), d["ack_p99_us"], d["achieved_rate"]))
        if b.proc.poll() is not None:
            raise RuntimeError("%s exited (code %s)" % (name, b.proc.poll()))
        time.sleep(3)
        r["rss_after_mb"] = b.rss_mb()
        r["pss_tree_after_mb"] = b.pss_tree_mb()
        r["cpu_s"] = b.cpu_jvm() - cpu0
        b.stop()
        r["startup_warm_ms"] = wrap(b.start, "warm restart")
        if not isinstance(r["startup_warm_ms"], Failure):
            time.sleep(cfg.idle_secs)
            r["rss_restart_idle_mb"] = b.rss_mb()
    except Exception as e:  # noqa: BLE001
        traceback.print_exc()
        r["round"] = Failure("%s scale %d round %d aborted: %s\n--- last broker log lines ---\n%s"
                             % (name, partitions, round_no, e, tail(log_path, 15)))
        log(r["round"].msg)
    finally:
        b.stop()
        shutil.rmtree(run_dir, ignore_errors=True)
    return r


def commits_round(cfg, cls, round_no):
    """Offset commits per second (OffsetCommitBench): simple commits made durable by the broker."""
    name = cls.name
    b, run_dir, log_path = new_broker(cfg, cls, "%s-commits-r%d" % (name, round_no))
    r = {}
    try:
        b.prepare()
        log("%s commits round %d: starting (log %s)" % (name, round_no, os.path.relpath(log_path, ROOT)))
        b.start()
        run_tool(java_tool(cfg, "io.runnel.bench.Probe", "warmup", b.bootstrap, "bench-warmup"),
                 os.path.join(cfg.logs, "%s-commits-r%d-warmup.out" % (name, round_no)), 300)
        cpu0, tree0 = b.cpu_jvm(), b.cpu_tree()
        out_path = os.path.join(cfg.logs, "%s-commits-r%d.out" % (name, round_no))
        off = b.log_offset()
        rc, out = run_tool(java_tool(cfg, "io.runnel.bench.OffsetCommitBench", b.bootstrap, "commits",
                                     cfg.commit_clients, cfg.commit_partitions, cfg.commit_seconds),
                           out_path, cfg.commit_seconds + 300)
        d = kv(out)
        if rc != 0 or "commit_requests_per_s" not in d:
            r["commits"] = Failure("OffsetCommitBench: exit %s\n%s\n--- %s broker log (WARN/ERROR) ---\n%s" % (
                rc, error_excerpt(out), name, b.log_problems_since(off) or "(none)"))
            log("%s commits round %d: FAILED: %s" % (name, round_no, r["commits"].msg.splitlines()[0]))
        else:
            for k in ("commit_requests_per_s", "committed_offsets_per_s", "commit_latency_p50_us",
                      "commit_latency_p99_us", "commit_latency_p999_us", "commit_failures"):
                if k in d:
                    r[k] = float(d[k])
            r["cpu_s"] = b.cpu_jvm() - cpu0
            r["cpu_tree_s"] = b.cpu_tree() - tree0
            log("%s commits round %d: %.0f commit requests/s (%.0f offsets/s), p99 %s us" % (
                name, round_no, r["commit_requests_per_s"], r["committed_offsets_per_s"],
                d.get("commit_latency_p99_us")))
    except Exception as e:  # noqa: BLE001
        traceback.print_exc()
        r["round"] = Failure("%s commits round %d aborted: %s\n--- last broker log lines ---\n%s"
                             % (name, round_no, e, tail(log_path, 15)))
        log(r["round"].msg)
    finally:
        b.stop()
        shutil.rmtree(run_dir, ignore_errors=True)
    return r


def commits_tables(cfg, cresults):
    return table([
        ("OffsetCommit requests per second (each commitSync, %d partitions)" % cfg.commit_partitions,
         "commit_requests_per_s", HI),
        ("Committed offsets per second", "committed_offsets_per_s", HI),
        ("Commit latency p50 (µs)", "commit_latency_p50_us", LO),
        ("Commit latency p99 (µs)", "commit_latency_p99_us", LO),
        ("Commit latency p99.9 (µs)", "commit_latency_p999_us", LO),
        ("Failed commits", "commit_failures", LO),
        ("Broker CPU during the run (s, JVM)", "cpu_s", LO),
        ("Broker CPU incl. child processes (s; Runnel: + embedded PostgreSQL)", "cpu_tree_s", LO),
    ], cresults["kafka"], cresults["runnel"])


# ------------------------------------------------------------------------------------ connect

CONNECT_TOPIC = "connect-lines"
# Never through an HTTP proxy from the environment: every REST call goes to 127.0.0.1.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http(method, url, body=None, timeout=30):
    """(status, JSON or text) of one REST call; status 0 when nothing answered."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json", "Accept": "application/json"})
    try:
        with HTTP.open(req, timeout=timeout) as resp:
            status, text = resp.status, resp.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode(errors="replace")
    except (urllib.error.URLError, OSError) as e:
        return 0, str(e)
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def wait_rest(url, timeout, server):
    """Until GET url answers 200; raises if the server process exits or the time is up."""
    deadline = time.time() + timeout
    while True:
        status, body = http("GET", url, timeout=5)
        if status == 200:
            return
        if server.proc.poll() is not None or time.time() > deadline:
            raise RuntimeError("%s: no answer from %s (%s); exit code %s; last log lines:\n%s" % (
                server.name, url, body if status else "not listening", server.proc.poll(),
                tail(server.log_path, 15)))
        time.sleep(0.1)


def write_lines(path, n, size):
    """n distinct lines of size bytes each, the '\n' included: a 9-digit number, then letters."""
    filler = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" * (size // 62 + 2)
    with open(path, "w", buffering=1 << 20) as f:
        for i in range(n):
            head = "%09d " % i
            k = i % 62
            f.write(head + filler[k:k + max(0, size - len(head) - 1)] + "\n")


class LineCounter:
    """Counts the '\n' bytes of a file being appended to, reading only what was added since the
    last call (cheap enough to poll every 50 ms while the sink writes)."""

    def __init__(self, path):
        self.path = path
        self.f = None
        self.lines = 0
        self.bytes = 0

    def poll(self):
        if self.f is None:
            try:
                self.f = open(self.path, "rb")
            except FileNotFoundError:
                return self.lines
        while True:
            chunk = self.f.read(1 << 22)
            if not chunk:
                return self.lines
            self.lines += chunk.count(b"\n")
            self.bytes += len(chunk)

    def close(self):
        if self.f is not None:
            self.f.close()


def first_difference(a, b):
    """Byte offset of the first difference between two files, or None when they are equal."""
    pos = 0
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            ca, cb = fa.read(1 << 20), fb.read(1 << 20)
            if ca != cb:
                n = min(len(ca), len(cb))
                return pos + next((i for i in range(n) if ca[i] != cb[i]), n)
            if not ca:
                return None
            pos += len(ca)


def connector_configs(cfg, input_path, output_path):
    """The same two connectors on both sides: both resolve the aliases FileStreamSource and
    FileStreamSink (Kafka: org.apache.kafka.connect.file.*, Runnel: io.runnel.connector.file.*)."""
    common = {"tasks.max": "1", "key.converter": STRING_CONVERTER, "value.converter": STRING_CONVERTER}
    return [
        ("bench-file-source", dict(common, **{"connector.class": "FileStreamSource", "file": input_path,
                                               "topic": CONNECT_TOPIC, "batch.size": str(cfg.connect_batch_size)})),
        ("bench-file-sink", dict(common, **{"connector.class": "FileStreamSink", "file": output_path,
                                             "topics": CONNECT_TOPIC})),
    ]


def connect_diagnostics(rest, servers):
    """Connector states and what the servers logged at WARN/ERROR, for a failed copy."""
    out = []
    if rest:
        for cname in ("bench-file-source", "bench-file-sink"):
            status, body = http("GET", "%s/connectors/%s/status" % (rest, cname), timeout=10)
            out.append("GET /connectors/%s/status: %s %s" % (cname, status, json.dumps(body)[:1500]))
    for server, off in servers:
        out.append("--- %s log (WARN/ERROR lines during the copy) ---\n%s" % (
            server.name, server.log_problems_since(off) or "(none)"))
    return "\n".join(out)


def connect_round(cfg, cls, round_no):
    """A file of cfg.connect_lines lines through a source connector into a 1-partition topic and a
    sink connector back into a file: time from the first POST /connectors until the output has every
    line, and the CPU and memory of everything the side needs for it (Kafka: broker + worker)."""
    name = cls.name
    b, run_dir, log_path = new_broker(cfg, cls, "%s-connect-r%d" % (name, round_no))
    if cls is RunnelBroker:
        b.extra_sysprops = ("-Drunnel.connect.offset-flush-interval-ms=%d" % cfg.connect_flush_ms,)
    w = None
    rest = None
    watched = []
    r = {}
    try:
        b.prepare()
        input_path = os.path.join(run_dir, "input.txt")
        output_path = os.path.join(run_dir, "output.txt")
        write_lines(input_path, cfg.connect_lines, cfg.connect_line_bytes)
        log("%s connect round %d: starting (log %s)" % (name, round_no, os.path.relpath(log_path, ROOT)))
        b.start()
        # Kafka creates __consumer_offsets here, not when the sink's group first commits.
        rc, out = run_tool(java_tool(cfg, "io.runnel.bench.Probe", "warmup", b.bootstrap, "bench-warmup"),
                           os.path.join(cfg.logs, "%s-connect-r%d-warmup.out" % (name, round_no)), 300)
        if rc != 0:
            raise RuntimeError("warm-up: exit %s: %s" % (rc, error_excerpt(out)))
        rc, out = run_tool(java_tool(cfg, "io.runnel.bench.Probe", "create-topic", b.bootstrap, CONNECT_TOPIC, 1,
                                     120_000),
                           os.path.join(cfg.logs, "%s-connect-r%d-create.out" % (name, round_no)), 180)
        if rc != 0:
            raise RuntimeError("create-topic %s: exit %s: %s" % (CONNECT_TOPIC, rc, error_excerpt(out)))
        if cls is KafkaBroker:
            w = ConnectWorker(cfg, run_dir, os.path.join(cfg.logs, "kafka-connect-r%d-worker.log" % round_no),
                              b.bootstrap)
            w.prepare()
            r["worker_startup_ms"] = w.start()
            rest = w.rest_url
            log("kafka connect round %d: Connect worker answered after %.0f ms (log %s)" % (
                round_no, r["worker_startup_ms"], os.path.relpath(w.log_path, ROOT)))
        else:
            rest = "http://127.0.0.1:%d" % b.http_port
            wait_rest(rest + "/connectors", cfg.start_timeout, b)
        jvms = [b] + ([w] if w else [])
        watched = [(s, s.log_offset()) for s in jvms]
        counter = LineCounter(output_path)
        cpu0 = [s.cpu_jvm() for s in jvms]
        tree0 = [s.cpu_tree() for s in jvms]
        t0 = time.time()
        for cname, config in connector_configs(cfg, input_path, output_path):
            status, body = http("POST", rest + "/connectors", {"name": cname, "config": config}, timeout=120)
            if status not in (200, 201):
                raise RuntimeError("POST /connectors %s: HTTP %s: %s" % (cname, status, body))
        deadline = t0 + cfg.connect_timeout
        first = None
        while counter.poll() < cfg.connect_lines:
            now = time.time()
            if first is None and counter.lines > 0:
                first = now
            for s in jvms:
                if s.proc.poll() is not None:
                    raise RuntimeError("%s exited (code %s) during the copy, %d of %d lines in the output" % (
                        s.name, s.proc.poll(), counter.lines, cfg.connect_lines))
            if now > deadline:
                raise RuntimeError("only %d of %d lines in the output after %d s" % (
                    counter.lines, cfg.connect_lines, cfg.connect_timeout))
            time.sleep(0.05)
        t1 = time.time()
        cpu1 = [s.cpu_jvm() for s in jvms]
        tree1 = [s.cpu_tree() for s in jvms]
        if first is None:
            first = t1
        r["copy_s"] = t1 - t0
        r["lines_per_s"] = cfg.connect_lines / (t1 - t0)
        r["mb_per_s"] = counter.bytes / (1024.0 * 1024.0) / (t1 - t0)
        r["first_line_ms"] = (first - t0) * 1000
        r["cpu_s"] = sum(cpu1) - sum(cpu0)
        r["cpu_tree_s"] = sum(tree1) - sum(tree0)
        r["broker_cpu_s"] = cpu1[0] - cpu0[0]
        r["rss_mb"] = sum(s.rss_mb() for s in jvms)
        r["broker_rss_mb"] = b.rss_mb()
        r["pss_tree_mb"] = sum(s.pss_tree_mb() for s in jvms)
        if w:
            r["worker_cpu_s"] = cpu1[1] - cpu0[1]
            r["worker_rss_mb"] = w.rss_mb()
        log("%s connect round %d: %d lines in %.1f s, %.0f lines/s, first line after %.0f ms; CPU %.1f s "
            "(broker %.1f s), RSS %.0f MB" % (name, round_no, cfg.connect_lines, r["copy_s"], r["lines_per_s"],
                                              r["first_line_ms"], r["cpu_s"], r["broker_cpu_s"], r["rss_mb"]))
        # A line delivered twice may arrive after the count is reached: give it time to show.
        time.sleep(2)
        counter.poll()
        counter.close()
        diff = first_difference(input_path, output_path)
        r["output_ok"] = 1.0 if diff is None else 0.0
        if diff is not None:
            r["verify"] = Failure("output differs from input at byte %d: input %d bytes, output %d bytes "
                                  "(%d lines)" % (diff, os.path.getsize(input_path), os.path.getsize(output_path),
                                                  counter.lines))
            log("%s connect round %d: %s" % (name, round_no, r["verify"].msg))
        else:
            log("%s connect round %d: output equals input" % (name, round_no))
    except Exception as e:  # noqa: BLE001
        traceback.print_exc()
        r["output_ok"] = 0.0
        r["round"] = Failure("%s connect round %d aborted: %s\n%s" % (
            name, round_no, e, connect_diagnostics(rest, watched) if watched else
            "--- last broker log lines ---\n" + tail(log_path, 15)))
        log(r["round"].msg)
    finally:
        if w:
            w.stop()
        b.stop()
        shutil.rmtree(run_dir, ignore_errors=True)
    return r


def connect_tables(cfg, cresults):
    k, r = cresults["kafka"], cresults["runnel"]
    both = "Kafka: broker + Connect worker JVMs; Runnel: broker JVM"
    verified = "Output byte-identical to input: Kafka %d of %d rounds, Runnel %d of %d rounds." % (
        sum(1 for x in k if x.get("output_ok") == 1.0), len(k), sum(1 for x in r if x.get("output_ok") == 1.0), len(r))
    return ("### File → topic → file (FileStreamSource + FileStreamSink, %s lines of %d bytes, 1 partition)\n\n" % (
        "{:,}".format(cfg.connect_lines), cfg.connect_line_bytes) + table([
            ("Copy time: first POST /connectors until the output file has every line (s)", "copy_s", LO),
            ("Lines per second, end to end", "lines_per_s", HI),
            ("MB/s, end to end", "mb_per_s", HI),
            ("First line in the output file (ms after the first POST)", "first_line_ms", LO),
            ("CPU during the copy (s; %s)" % both, "cpu_s", LO),
            ("... of which the broker JVM (s; Runnel's runs the connectors too)", "broker_cpu_s", LO),
            ("... of which the Kafka Connect worker JVM (s)", "worker_cpu_s", LO),
            ("CPU during the copy incl. child processes (s; Runnel: + embedded PostgreSQL)", "cpu_tree_s", LO),
            ("RSS at the end (MB; %s)" % both, "rss_mb", LO),
            ("... of which the broker JVM (MB)", "broker_rss_mb", LO),
            ("... of which the Kafka Connect worker JVM (MB)", "worker_rss_mb", LO),
            ("PSS at the end incl. child processes (MB; Runnel: + embedded PostgreSQL)", "pss_tree_mb", LO),
            ("Kafka Connect worker start-up until its REST API answers (ms; not in the copy time)",
             "worker_startup_ms", LO),
        ], k, r) + "\n\n" + verified)


def connect_params(cfg):
    configs = connector_configs(cfg, "<round>/input.txt", "<round>/output.txt")
    return "\n".join([
        "- Rounds: %d per side, alternating (Kafka 1, Runnel 1, Kafka 2, ...); each round starts the broker on an "
        "empty data dir; only one side runs at a time; cells are medians over rounds%s" % (
            cfg.rounds, " — **QUICK MODE**" if cfg.quick else ""),
        "- Broker JVM (both): `%s`" % cfg.broker_jvm_opts,
        "- Kafka Connect worker JVM: `%s` (`bin/connect-standalone.sh`'s heap and `kafka-run-class.sh`'s flags); "
        "`org.apache.kafka.connect.cli.ConnectStandalone` of `connect-runtime` 4.1.1 with `connect-file` 4.1.1 on "
        "its classpath (Maven Central)" % cfg.connect_worker_jvm_opts,
        "- Kafka: the generated `server.properties` of the main benchmark; Connect worker properties: "
        "`bootstrap.servers`, `key.converter`/`value.converter=%s`, `offset.storage.file.filename=<round>/"
        "connect.offsets`, `offset.flush.interval.ms=%d`, `listeners=http://127.0.0.1:<free port>`, no `plugin.path` "
        "(the file connectors are on the classpath)" % (STRING_CONVERTER, cfg.connect_flush_ms),
        "- Runnel: `-Drunnel.data-dir -Drunnel.listeners -Dquarkus.http.port -Drunnel.group.initial-rebalance-"
        "delay-ms=0 -Drunnel.connect.offset-flush-interval-ms=%d`, defaults otherwise; connectors run in the "
        "broker (REST API on its HTTP port)" % cfg.connect_flush_ms,
        "- Input: %s lines of %d bytes (`\\n` included; a 9-digit number, then letters), written to a file before "
        "the broker starts. Then: one record produced and consumed in a group with a commit (Kafka creates "
        "`__consumer_offsets`), topic `%s` created with 1 partition (replication factor 1), Kafka's Connect "
        "worker started" % ("{:,}".format(cfg.connect_lines), cfg.connect_line_bytes, CONNECT_TOPIC),
        "- Connectors, created with `POST /connectors` one after the other, the same JSON on both sides: %s" % (
            "; ".join("`%s`: `%s`" % (n, json.dumps(c)) for n, c in configs)),
        "- Copy time: from just before the first POST until the output file holds %s `\\n` (its new bytes read every "
        "50 ms); then, 2 s later, the output is compared byte for byte with the input" % "{:,}".format(
            cfg.connect_lines),
        "- CPU: utime+stime from `/proc/<pid>/stat` over the copy, of the broker JVM (+ Connect worker JVM); "
        "\"incl. child processes\" adds Runnel's embedded PostgreSQL. RSS (`VmRSS`) and PSS read when the copy is "
        "done",
    ])


# ------------------------------------------------------------------------------------ report


def get(r, key):
    """Value for 'a/b' keys: r['a']['b'] (the workload dict) or r['a']."""
    if "/" in key:
        top, sub = key.split("/", 1)
        v = r.get(top)
        if isinstance(v, Failure):
            return v
        if isinstance(v, dict):
            return v.get(sub)
        return r.get("round") if isinstance(r.get("round"), Failure) else None
    v = r.get(key)
    if v is None and isinstance(r.get("round"), Failure):
        return r["round"]
    return v


def median_cell(rounds, key):
    vals = [get(r, key) for r in rounds]
    ok = [v for v in vals if isinstance(v, (int, float)) and v == v]
    failed = [v for v in vals if isinstance(v, Failure)]
    if not ok:
        return None, ("FAILED" if failed else "n/a")
    med = statistics.median(ok)
    note = "" if len(ok) == len(rounds) else " (%d/%d ok)" % (len(ok), len(rounds))
    return med, fmt(med) + note


def fmt(v):
    if v == int(v) and abs(v) < 1000:
        return "%d" % v
    a = abs(v)
    if a >= 1000:
        return "{:,.0f}".format(v)
    if a >= 100:
        return "%.0f" % v
    if a >= 10:
        return "%.1f" % v
    return "%.2f" % v


def table(rows, k_rounds, r_rounds, first_col="Metric"):
    out = ["| %s | Better | Kafka 4.1.1 | Runnel | Runnel/Kafka |" % first_col, "|---|---|---:|---:|---:|"]
    for label, key, better in rows:
        kv_, ks = median_cell(k_rounds, key)
        rv, rs = median_cell(r_rounds, key)
        if kv_ is not None and rv is not None and kv_ != 0:
            q = rv / kv_
            ratio = "%.2f" % q if abs(q) >= 0.01 else "%.2g" % q
        else:
            ratio = "n/a"
        out.append("| %s | %s | %s | %s | %s |" % (label, better, ks, rs, ratio))
    return "\n".join(out)


HI = "higher"
LO = "lower"


def main_tables(cfg, results):
    k, r = results["kafka"], results["runnel"]
    parts = []
    parts.append("### Start-up, memory, CPU\n\n" + table([
        ("Start-up to first ApiVersions answer, empty data dir (ms)", "startup_cold_ms", LO),
        ("Start-up to first ApiVersions answer, restart on the round's data (ms)", "startup_warm_ms", LO),
        ("Clean shutdown (ms)", "shutdown_ms", LO),
        ("RSS idle, %d s after start (MB, broker JVM VmRSS)" % cfg.idle_secs, "rss_idle_mb", LO),
        ("RSS after all workloads (MB, broker JVM VmRSS)", "rss_after_mb", LO),
        ("Peak RSS (MB, broker JVM VmHWM)", "rss_peak_mb", LO),
        ("PSS idle incl. child processes (MB; Runnel: + embedded PostgreSQL)", "pss_tree_idle_mb", LO),
        ("PSS after load incl. child processes (MB)", "pss_tree_after_mb", LO),
        ("Broker CPU for start-up + idle (s, JVM utime+stime)", "cpu_startup_idle_s", LO),
        ("Broker CPU for all workloads of a round (s, JVM)", "cpu_workloads_s", LO),
        ("Broker CPU for all workloads incl. child processes (s)", "cpu_tree_workloads_s", LO),
        ("Data on disk after the round (MB; Runnel: logs + PostgreSQL data)", "data_dir_mb", LO),
    ], k, r))
    rows = []
    for wid, parts_, acks, props, payload in PRODUCER_WORKLOADS:
        if cfg.only and wid not in cfg.only:
            continue
        key = "produce:" + wid
        rows += [
            ("%s records/s" % wid, key + "/recs_per_s", HI),
            ("%s MB/s" % wid, key + "/mb_per_s", HI),
            ("%s latency avg (ms)" % wid, key + "/lat_avg_ms", LO),
            ("%s latency p50 (ms)" % wid, key + "/lat_p50_ms", LO),
            ("%s latency p99 (ms)" % wid, key + "/lat_p99_ms", LO),
            ("%s latency p99.9 (ms)" % wid, key + "/lat_p999_ms", LO),
            ("%s broker CPU (s)" % wid, key + "/broker_cpu_s", LO),
        ]
    parts.append("### Producer (ProducerPerformance, %s records of 1 KiB, --throughput -1)\n\n" %
                 "{:,}".format(cfg.records) + table(rows, k, r, "Workload / metric"))
    rows = []
    for topic in CONSUMER_WORKLOADS:
        if cfg.only and topic not in cfg.only:
            continue
        key = "consume:" + topic
        rows += [
            ("%s MB/s (incl. group join)" % topic, key + "/mb_per_s", HI),
            ("%s records/s (incl. group join)" % topic, key + "/msgs_per_s", HI),
            ("%s fetch MB/s (excl. group join)" % topic, key + "/fetch_mb_per_s", HI),
            ("%s group join / rebalance (ms)" % topic, key + "/rebalance_ms", LO),
            ("%s broker CPU (s)" % topic, key + "/broker_cpu_s", LO),
        ]
    parts.append("### Consumer (ConsumerPerformance, reads back the %s records of the topic)\n\n" %
                 "{:,}".format(cfg.records) + table(rows, k, r, "Topic / metric"))
    parts.append("### End-to-end latency (send to receipt by a consumer, one record at a time, %s records, "
                 "acks=%s, µs)\n\n" % ("{:,}".format(cfg.e2e_messages), cfg.e2e_acks) + table([
                     ("avg (µs)", "e2e/avg_us", LO),
                     ("p50 (µs)", "e2e/p50_us", LO),
                     ("p99 (µs)", "e2e/p99_us", LO),
                     ("p99.9 (µs)", "e2e/p999_us", LO),
                     ("max (µs)", "e2e/max_us", LO),
                 ], k, r))
    return "\n\n".join(parts)


def scale_tables(cfg, sresults):
    out = []
    for p in cfg.scale_partitions:
        k = sresults["kafka"].get(p, [])
        r = sresults["runnel"].get(p, [])
        out.append("### %s partitions\n\n" % "{:,}".format(p) + table([
            ("Create topic until every partition is writable (ms)", "create_ms", LO),
            ("... of which: after Metadata showed every leader, until ListOffsets succeeded on all (ms)",
             "writable_after_leaders_ms", LO),
            ("CreateTopics/CreatePartitions requests needed", "create_requests", LO),
            ("First write to every partition: one record each, until all acknowledged (ms)", "touch_ms", LO),
            ("Produce ack latency p50 (µs)", "ack_p50_us", LO),
            ("Produce ack latency p99 (µs)", "ack_p99_us", LO),
            ("Produce ack latency p99.9 (µs)", "ack_p999_us", LO),
            ("Achieved produce rate (records/s; target %d)" % cfg.scale_rate, "achieved_rate", HI),
            ("Broker RSS after create + produce (MB)", "rss_after_mb", LO),
            ("PSS incl. child processes after (MB)", "pss_tree_after_mb", LO),
            ("Broker CPU for create + produce (s)", "cpu_s", LO),
            ("Restart with the topic: start-up to first ApiVersions (ms)", "startup_warm_ms", LO),
            ("RSS idle after that restart (MB)", "rss_restart_idle_mb", LO),
        ], k, r))
    return "\n\n".join(out)


def failures_section(named_rounds):
    lines = []
    for label, rounds in named_rounds:
        for i, r in enumerate(rounds, 1):
            for key, v in r.items():
                if isinstance(v, Failure):
                    lines.append("- **%s, round %d, %s**:\n\n```\n%s\n```" % (label, i, key, v.msg.strip()))
    return "\n".join(lines) if lines else "None."


def sh(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30, shell=True)
        return r.stdout.strip() or r.stderr.strip()
    except Exception:  # noqa: BLE001
        return "?"


def machine_info(cfg):
    mem = sh("awk '/MemTotal/ {printf \"%.1f GiB\", $2/1048576}' /proc/meminfo")
    cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
    jdk = sh("'%s' -version 2>&1 | head -2 | tr '\\n' ' '" % JAVA)
    commit = sh("git -C '%s' rev-parse --short HEAD" % ROOT)
    dirty = sh("git -C '%s' status --porcelain -- broker | wc -l" % ROOT)
    return "\n".join([
        "- Machine: `nproc` = %s, memory %s, CPU %s, kernel %s" % (os.cpu_count(), mem, cpu, sh("uname -r")),
        "- JDK (both brokers and all tools): %s (`%s`)" % (jdk, JAVA),
        "- Load average at start: %s" % cfg.load_start,
        "- Load average at end: %s" % sh("cut -d' ' -f1-3 /proc/loadavg"),
        "- Runnel: commit %s%s, `broker/target/quarkus-app` built %s (copied to `bench/target/runnel-app` "
        "for the run)" % (commit, " + %s uncommitted file(s) under broker/" % dirty
                          if dirty not in ("0", "?") else "", cfg.runnel_built),
        "- Apache Kafka 4.1.1 from Maven Central (`kafka_2.13`, `kafka-tools`), %s" % cfg.kafka_setup,
    ])


def params(cfg):
    return "\n".join([
        "- Rounds: %d per broker, alternating (Kafka 1, Runnel 1, Kafka 2, ...); each round starts the broker on "
        "an empty data dir; cells are medians over rounds%s" % (cfg.rounds, " — **QUICK MODE**" if cfg.quick else ""),
        "- Broker JVM (both): `%s`" % cfg.broker_jvm_opts,
        "- Tool JVMs: `%s`" % cfg.tool_jvm_opts,
        "- Kafka: generated `server.properties` (process.roles=broker,controller, node.id=1, loopback listeners on "
        "free ports, num.partitions=1, offsets.topic.replication.factor=1, group.initial.rebalance.delay.ms=0, "
        "log.segment.bytes=1 GiB, no flush settings: the OS flushes); Runnel: `-Drunnel.data-dir -Drunnel.listeners "
        "-Dquarkus.http.port -Drunnel.group.initial-rebalance-delay-ms=0`, defaults otherwise (no per-message fsync)",
        "- Topics created explicitly (replication factor 1) before each workload; one fresh topic per workload",
        "- Producer: `ProducerPerformance --num-records %d --throughput -1 --record-size %d` (random uppercase "
        "letters) or `--payload-file` (200 distinct ~1 KiB lines of repetitive JSON text) for the lz4 rows; "
        "`--producer-props acks=1|all` plus, per row, nothing (client defaults: batch.size=16384, linger.ms=5), "
        "`batch.size=262144 linger.ms=5`, `compression.type=lz4`. acks=all uses the default idempotent producer; "
        "acks=1 turns idempotence off. Latency percentiles are whole milliseconds (the tool's resolution)"
        % (cfg.records, cfg.record_size),
        "- Consumer: `ConsumerPerformance --messages %d --topic <topic> --group <new group> --timeout 30000` "
        "(classic group protocol, fetch-size 1 MiB)" % cfg.records,
        "- End-to-end: `io.runnel.bench.Probe e2e` (bench/src): %d warm-up + %d measured 1 KiB records, acks=%s, "
        "linger.ms=0, one in flight, a consumer assigned to the partition; latency = send to receipt"
        % (cfg.e2e_warmup, cfg.e2e_messages, cfg.e2e_acks),
        "- Before the workloads: %d s idle (idle RSS), then one record produced and consumed in a group with a "
        "commit (Kafka creates `__consumer_offsets` then, outside the measurements)" % cfg.idle_secs,
        "- CPU: utime+stime from `/proc/<pid>/stat` of the broker JVM before/after each workload; \"incl. child "
        "processes\" adds Runnel's embedded PostgreSQL (postmaster and its children, with reaped children)",
    ])


def update_readme(section, body):
    path = os.path.join(BENCH, "README.md")
    with open(path) as f:
        text = f.read()
    begin, end = "<!-- BEGIN %s -->" % section, "<!-- END %s -->" % section
    if begin in text and end in text:
        text = text[:text.index(begin) + len(begin)] + "\n" + body.strip() + "\n" + text[text.index(end):]
        with open(path, "w") as f:
            f.write(text)


def strip_failures(obj):
    if isinstance(obj, Failure):
        return {"failure": obj.msg}
    if isinstance(obj, dict):
        return {str(k): strip_failures(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [strip_failures(v) for v in obj]
    return obj


# ------------------------------------------------------------------------------------ main


def cleanup(*_):
    for b in list(BROKERS):
        try:
            b.stop()
        except Exception:  # noqa: BLE001
            pass
    for p in list(CHILDREN):
        try:
            kill_tree(p, grace=20)
        except Exception:  # noqa: BLE001
            pass


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small record counts, 1 round: validates the harness")
    ap.add_argument("--scale", action="store_true", help="run the partition scale series instead")
    ap.add_argument("--commits", action="store_true",
                    help="offset commits per second instead (OffsetCommitBench; env BENCH_COMMIT_CLIENTS, "
                         "BENCH_COMMIT_PARTITIONS, BENCH_COMMIT_SECONDS)")
    ap.add_argument("--connect", action="store_true",
                    help="file -> source connector -> topic -> sink connector -> file instead: Kafka Connect "
                         "standalone vs Runnel's connectors (env BENCH_CONNECT_LINES, ...)")
    ap.add_argument("--replication", action="store_true",
                    help="three-broker clusters instead: acks=all throughput with replication factor 3, and the "
                         "stall of a steady producer when the leader of a partition is killed or stopped (env "
                         "BENCH_REPL_*, see bench/README.md)")
    ap.add_argument("--rounds", type=int, help="rounds per broker (default 3, quick 1; env BENCH_ROUNDS)")
    ap.add_argument("--no-readme", action="store_true", help="do not update bench/README.md")
    args = ap.parse_args()

    def on_signal(signum, _frame):
        log("signal %d: stopping brokers" % signum)
        cleanup()
        sys.exit(128 + signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    cfg = make_config(args)
    cfg.load_start = sh("cut -d' ' -f1-3 /proc/loadavg")
    if not os.path.isfile(os.path.join(RUNNEL_BUILD, "quarkus-run.jar")):
        sys.exit("bench: %s is missing: build Runnel first (bench/run.sh does)" % RUNNEL_BUILD)
    shutil.rmtree(RUNNEL_APP, ignore_errors=True)
    shutil.copytree(RUNNEL_BUILD, RUNNEL_APP)
    cfg.runnel_built = datetime.datetime.fromtimestamp(
        os.path.getmtime(os.path.join(RUNNEL_BUILD, "quarkus-run.jar"))).strftime("%Y-%m-%d %H:%M")
    write_support_files(cfg)
    if args.replication:
        import replication
        replication.configure(cfg)
    os.makedirs(RESULTS, exist_ok=True)
    date = datetime.date.today().isoformat()
    suffix = ("-commits" if args.commits else "-connect" if args.connect else "-replication" if args.replication
              else "-scale" if cfg.scale else "") + ("-quick" if cfg.quick else "")
    md_path = os.path.join(RESULTS, "%s%s.md" % (date, suffix))
    log("logs in %s" % os.path.relpath(cfg.logs, ROOT))
    t_start = time.time()
    try:
        if args.commits:
            cresults = {"kafka": [], "runnel": []}
            for rnd in range(1, cfg.rounds + 1):
                for cls in (KafkaBroker, RunnelBroker):
                    cresults[cls.name].append(commits_round(cfg, cls, rnd))
            tables = commits_tables(cfg, cresults)
            fails = failures_section([("Kafka", cresults["kafka"]), ("Runnel", cresults["runnel"])])
            raw = cresults
            title = "Runnel vs Apache Kafka 4.1.1, offset commits — %s%s" % (date, " (QUICK MODE)" if cfg.quick else "")
            how = "`bench/run.sh --commits%s`" % (" --quick" if cfg.quick else "")
        elif args.connect:
            cresults = {"kafka": [], "runnel": []}
            for rnd in range(1, cfg.rounds + 1):
                for cls in (KafkaBroker, RunnelBroker):
                    cresults[cls.name].append(connect_round(cfg, cls, rnd))
            tables = connect_tables(cfg, cresults)
            fails = failures_section([("Kafka", cresults["kafka"]), ("Runnel", cresults["runnel"])])
            raw = cresults
            title = "Runnel vs Apache Kafka 4.1.1 + Kafka Connect, connectors — %s%s" % (
                date, " (QUICK MODE)" if cfg.quick else "")
            how = "`bench/run.sh --connect%s`" % (" --quick" if cfg.quick else "")
        elif args.replication:
            raw = replication.run(cfg)
            tables = replication.tables(cfg, raw)
            fails = failures_section([("%s, %s" % ("Kafka" if n == "kafka" else "Runnel", s), raw[n].get(s, []))
                                      for s in cfg.repl_scenarios for n in ("kafka", "runnel")])
            title = "Runnel vs Apache Kafka 4.1.1, replication (3 brokers) — %s%s" % (
                date, " (QUICK MODE)" if cfg.quick else "")
            how = "`bench/run.sh --replication%s`" % (" --quick" if cfg.quick else "")
        elif not cfg.scale:
            results = {"kafka": [], "runnel": []}
            for rnd in range(1, cfg.rounds + 1):
                for cls in (KafkaBroker, RunnelBroker):
                    results[cls.name].append(one_round(cfg, cls, rnd))
            tables = main_tables(cfg, results)
            fails = failures_section([("Kafka", results["kafka"]), ("Runnel", results["runnel"])])
            raw = results
            title = "Runnel vs Apache Kafka 4.1.1 — %s%s" % (date, " (QUICK MODE: 1 small round, not for comparison)"
                                                           if cfg.quick else "")
            how = "`bench/run.sh%s`" % (" --quick" if cfg.quick else "")
        else:
            sresults = {"kafka": {}, "runnel": {}}
            for p in cfg.scale_partitions:
                for rnd in range(1, cfg.scale_rounds + 1):
                    for cls in (KafkaBroker, RunnelBroker):
                        sresults[cls.name].setdefault(p, []).append(scale_round(cfg, cls, p, rnd))
            tables = scale_tables(cfg, sresults)
            fails = failures_section(
                [("%s, %d partitions" % (n.capitalize(), p), sresults[n][p]) for p in cfg.scale_partitions
                 for n in ("kafka", "runnel")])
            raw = sresults
            title = "Runnel vs Apache Kafka 4.1.1, partition scale series — %s%s" % (
                date, " (QUICK MODE)" if cfg.quick else "")
            how = "`bench/run.sh --scale%s`" % (" --quick" if cfg.quick else "")
    finally:
        cleanup()
    minutes = (time.time() - t_start) / 60
    scale_params = ""
    if cfg.scale:
        scale_params = (
            "\n- Scale series: per partition count and broker, a fresh broker; `io.runnel.bench.Probe scale` creates "
            "one topic with that many partitions (until Metadata names every leader and ListOffsets succeeds on every "
            "partition), writes one record to every partition (until all are acknowledged), then produces %d warm-up "
            "+ %d measured records of 1 KiB round-robin over all partitions at a fixed %d records/s (open loop, "
            "acks=1, linger.ms=0); latency = scheduled send time to acknowledgement. Then the broker is restarted "
            "once on that data. Rounds: %d" % (cfg.scale_warmup, cfg.scale_records, cfg.scale_rate, cfg.scale_rounds))
    doc = "\n\n".join([
        "# " + title,
        "Produced by %s in %.0f min. Throughput rows: higher is better; latency, memory, start-up and CPU rows: "
        "lower is better (column *Better*). *Runnel/Kafka* is the ratio of the medians: above 1 means Runnel's "
        "number is larger." % (how, minutes),
        "## Machine\n\n" + machine_info(cfg),
        "## Parameters\n\n" + (connect_params(cfg) if args.connect else
                                replication.params(cfg, replication.BenchPostgres(cfg).version) if args.replication
                                else params(cfg)) + scale_params,
        "## Results (medians)\n\n" + tables,
        "## Failures\n\n" + fails,
        "Logs of this run: `bench/target/logs/%s/` (%s, tool output `*.out`)." % (
            cfg.stamp, "broker logs `<system>-<scenario>-r<N>-node-<id>.log`, PostgreSQL `postgres.log.server`, "
            "every acknowledgement of a failover in `*-steady.out.acks.csv`" if args.replication
            else "broker logs `<broker>-r<N>.log`"),
    ]) + "\n"
    with open(md_path, "w") as f:
        f.write(doc)
    with open(md_path[:-3] + ".json", "w") as f:
        json.dump(strip_failures(raw), f, indent=1, default=str)
    log("wrote %s" % os.path.relpath(md_path, ROOT))
    if not args.no_readme:
        body = ("Latest: [`results/%s`](results/%s) — %s\n\n" % (os.path.basename(md_path), os.path.basename(md_path),
                                                                   title.split(" — ", 1)[-1]) +
                "#### Machine\n\n" + machine_info(cfg) + "\n\n" + tables.replace("### ", "#### ") +
                "\n\nFailures: " + ("none." if fails == "None." else "see the results file."))
        update_readme("COMMIT RESULTS" if args.commits else "CONNECT RESULTS" if args.connect else
                      "REPLICATION RESULTS" if args.replication else
                      "SCALE RESULTS" if cfg.scale else "RESULTS", body)
    print(doc)


if __name__ == "__main__":
    try:
        main()
    finally:
        cleanup()
