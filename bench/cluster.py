"""Three-broker clusters for the replication benchmark (bench/replication.py): Apache Kafka 4.1.1 as
three combined KRaft nodes, Runnel as three brokers sharing one PostgreSQL that the harness runs; and
the batch-by-batch comparison of the replicas' segments."""

import glob
import os
import pwd
import shutil
import signal
import socket
import struct
import subprocess
import time

import bench as B

BROKERS = 3


def probe(cfg, *args):
    """A ReplicationProbe command line (bench/src)."""
    return B.java_tool(cfg, "io.runnel.bench.ReplicationProbe", *args)


# ------------------------------------------------------------------------------------ PostgreSQL


class BenchPostgres:
    """One PostgreSQL server for Runnel's clusters (Debian's postgresql package; run as the
    `postgres` user when the harness runs as root, since PostgreSQL refuses root). Running only while
    a Runnel cluster runs; each cluster gets a fresh database."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.dir = os.path.join(cfg.runs, "repl-postgres")
        self.data = os.path.join(self.dir, "data")
        self.log_path = os.path.join(cfg.logs, "postgres.log")
        self.port = None
        self.initialised = False
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
        if not bins:
            raise RuntimeError("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (Debian: apt-get install "
                               "postgresql)")
        self.bin = os.path.dirname(bins[-1])
        self.version = self.bin.split("/")[4]
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args, timeout=120):
        rc, out = B.run_tool(self.as_user + [os.path.join(self.bin, args[0])] + list(args[1:]),
                             self.log_path + ".cmd", timeout)
        if rc != 0:
            raise RuntimeError("%s failed (%s): %s" % (args[0], rc, B.error_excerpt(out)))
        return out

    def start(self):
        if not self.initialised:
            # A fresh server for every run of the harness, initialised at its first start.
            shutil.rmtree(self.dir, ignore_errors=True)
            os.makedirs(self.dir)
            if self.as_user:
                pw = pwd.getpwnam("postgres")
                os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self._run("initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
            self.initialised = True
        self.port = B.free_port()
        server_log = self.log_path + ".server"
        open(server_log, "a").close()
        if self.as_user:
            pw = pwd.getpwnam("postgres")
            os.chown(server_log, pw.pw_uid, pw.pw_gid)
        # Durability as Runnel's embedded PostgreSQL: fsync and synchronous_commit on (the defaults).
        self._run("pg_ctl", "-D", self.data, "-l", server_log, "-w", "-t", "120", "-o",
                  "-p %d -c listen_addresses=127.0.0.1 -k %s -c max_connections=300" % (self.port, self.dir),
                  "start")

    def create_database(self, name):
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return "jdbc:postgresql://127.0.0.1:%d/%s" % (self.port, name)

    def stop(self):
        if self.port is not None and os.path.exists(os.path.join(self.data, "postmaster.pid")):
            try:
                self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
            except RuntimeError as e:
                B.log("PostgreSQL stop: %s" % e)
        self.port = None

    def pids(self):
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                return [int(f.readline().strip())]
        except (OSError, ValueError):
            return []

    def cpu(self):
        """CPU seconds of the postmaster, its live backends and its reaped children."""
        total = 0.0
        roots = self.pids()
        for pid in roots:
            s = B.read_stat(pid)
            if s:
                total += s[0] + s[1]
        for pid in B.Broker.live_children(roots):
            s = B.read_stat(pid)
            if s:
                total += s[0]
        return total


# ------------------------------------------------------------------------------------ nodes


class Node(B.Broker):
    """One broker process of a cluster, launched without waiting (a KRaft node cannot answer before a
    quorum of its peers is up)."""

    def __init__(self, cfg, cluster, node_id):
        run_dir = os.path.join(cluster.run_dir, "node-%d" % node_id)
        super().__init__(cfg, run_dir, os.path.join(cfg.logs, "%s-node-%d.log" % (cluster.name, node_id)))
        self.cluster = cluster
        self.node_id = node_id
        self.port = B.free_port()
        self.data = os.path.join(run_dir, "data")

    def launch(self):
        os.makedirs(self.run_dir, exist_ok=True)
        with open(self.log_path, "a") as logf:
            logf.write("\n===== %s node %d start %s =====\n" % (self.name, self.node_id, time.strftime("%H:%M:%S")))
            logf.write("$ " + " ".join(self.command()) + "\n")
            logf.flush()
            B.BROKERS.add(self)
            self.proc = subprocess.Popen(self.command(), stdout=logf, stderr=subprocess.STDOUT, cwd=self.run_dir,
                                         start_new_session=True)
        B.CHILDREN.add(self.proc)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def answers_api_versions(self):
        """A raw ApiVersions v0 request answered with error code 0."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.settimeout(5)
                client_id = b"bench-repl"
                body = struct.pack(">hhih", 18, 0, 4242, len(client_id)) + client_id
                s.sendall(struct.pack(">i", len(body)) + body)
                head = b""
                while len(head) < 10:
                    chunk = s.recv(10 - len(head))
                    if not chunk:
                        return False
                    head += chunk
                _, correlation, error = struct.unpack(">iih", head)
                return correlation == 4242 and error == 0
        except OSError:
            return False

    def partition_dir(self, topic, partition):
        raise NotImplementedError

    def before_restart(self):
        pass


class KafkaNode(Node):
    name = "kafka"

    def prepare(self):
        os.makedirs(self.run_dir, exist_ok=True)
        c = self.cluster
        self.props = os.path.join(self.run_dir, "server.properties")
        with open(self.props, "w") as f:
            f.write("\n".join([
                "# Generated by bench/replication.py: three combined KRaft nodes (broker+controller), a static",
                "# controller quorum; otherwise the settings of Kafka's shipped config/server.properties.",
                "process.roles=broker,controller",
                "node.id=%d" % self.node_id,
                "controller.quorum.voters=" + ",".join(
                    "%d@127.0.0.1:%d" % (n.node_id, n.cport) for n in c.nodes.values()),
                "listeners=PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d" % (self.port, self.cport),
                "advertised.listeners=PLAINTEXT://127.0.0.1:%d" % self.port,
                "inter.broker.listener.name=PLAINTEXT",
                "controller.listener.names=CONTROLLER",
                "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                "log.dirs=" + self.data,
                "num.partitions=1",
                "offsets.topic.replication.factor=3",
                "transaction.state.log.replication.factor=3",
                "transaction.state.log.min.isr=2",
                "group.initial.rebalance.delay.ms=0",
                "num.recovery.threads.per.data.dir=1",
                "log.retention.hours=168",
                "log.segment.bytes=1073741824",
                "log.retention.check.interval.ms=300000",
                "broker.session.timeout.ms=%d" % c.session_ms,
                "broker.heartbeat.interval.ms=%d" % c.heartbeat_ms,
                "",
            ]))
        cmd = [B.JAVA, "-Xmx256m", "-Dlog4j2.configurationFile=" + self.cfg.tools_log4j, "-cp",
               os.path.join(B.LIB, "*"), "kafka.tools.StorageTool", "format", "--config", self.props,
               "--cluster-id", c.cluster_id]
        rc, out = B.run_tool(cmd, self.log_path + ".format.out", 180)
        if rc != 0:
            raise RuntimeError("kafka storage format of node %d failed (%s): %s" % (
                self.node_id, rc, B.error_excerpt(out)))

    def command(self):
        return [B.JAVA] + self.cfg.broker_jvm_opts.split() + [
            "-Dlog4j2.configurationFile=" + self.cfg.kafka_log4j, "-cp", os.path.join(B.LIB, "*"),
            "kafka.Kafka", self.props]

    def partition_dir(self, topic, partition):
        return os.path.join(self.data, "%s-%d" % (topic, partition))


class RunnelNode(Node):
    name = "runnel"

    def prepare(self):
        os.makedirs(self.run_dir, exist_ok=True)
        self.http_port = B.free_port()

    def command(self):
        c = self.cluster
        return [B.JAVA] + self.cfg.broker_jvm_opts.split() + [
            "-Drunnel.node-id=%d" % self.node_id,
            "-Drunnel.data-dir=" + self.data,
            "-Drunnel.listeners=PLAINTEXT://127.0.0.1:%d" % self.port,
            "-Dquarkus.http.port=%d" % self.http_port,
            "-Dquarkus.datasource.jdbc.url=" + c.jdbc_url,
            "-Dquarkus.datasource.username=postgres",
            "-Drunnel.cluster.broker-session-timeout-ms=%d" % c.session_ms,
            "-Drunnel.cluster.broker-heartbeat-interval-ms=%d" % c.heartbeat_ms,
            "-Drunnel.group.initial-rebalance-delay-ms=0",
            "-Drunnel.connect.enabled=false",
            "-jar", B.RUNNEL_JAR]

    def partition_dir(self, topic, partition):
        return os.path.join(self.data, "logs", "%s-%d" % (topic, partition))

    def before_restart(self):
        # Another process on this machine may have taken the old HTTP port (as a client's local port)
        # since the first start; it is not part of the broker's identity, unlike its Kafka listener.
        self.http_port = B.free_port()


# ------------------------------------------------------------------------------------ clusters


class Cluster:
    """Three nodes of one system, ids 1..3, on a fresh run directory."""

    node_class = None
    system = "?"

    def __init__(self, cfg, name, session_ms, heartbeat_ms):
        self.cfg = cfg
        self.name = name
        self.session_ms = session_ms
        self.heartbeat_ms = heartbeat_ms
        self.run_dir = os.path.join(cfg.runs, name)
        shutil.rmtree(self.run_dir, ignore_errors=True)
        self.nodes = {}
        for node_id in range(1, BROKERS + 1):
            self.nodes[node_id] = self.node_class(cfg, self, node_id)
        self.controller = None

    @property
    def bootstrap(self):
        return ",".join(n.bootstrap for n in self.nodes.values())

    def alive_bootstrap(self):
        return ",".join(n.bootstrap for n in self.nodes.values() if n.alive())

    def start(self):
        """Starts every node; returns ms from the first launch until DescribeCluster lists all three."""
        for n in self.nodes.values():
            n.prepare()
        t0 = time.time()
        for n in self.nodes.values():
            n.launch()
        self.await_ready(list(self.nodes.values()), t0)
        rc, out = B.run_tool(probe(self.cfg, "cluster", self.bootstrap, len(self.nodes), self.cfg.start_timeout * 1000),
                             os.path.join(self.cfg.logs, "%s-cluster.out" % self.name), self.cfg.start_timeout + 60)
        d = B.kv(out)
        if rc != 0 or "controller" not in d:
            raise RuntimeError("%s: not every broker registered: %s" % (
                self.name, d.get("error", B.error_excerpt(out))))
        self.controller = int(d["controller"])
        return (time.time() - t0) * 1000.0

    def await_ready(self, nodes, t0):
        deadline = t0 + self.cfg.start_timeout
        waiting = list(nodes)
        while waiting:
            for n in list(waiting):
                if not n.alive():
                    raise RuntimeError("%s node %d exited (code %s); last log lines:\n%s" % (
                        self.name, n.node_id, n.proc.poll(), B.tail(n.log_path, 15)))
                if n.answers_api_versions():
                    waiting.remove(n)
            if time.time() > deadline:
                raise RuntimeError("%s: nodes %s did not answer ApiVersions within %d s" % (
                    self.name, [n.node_id for n in waiting], self.cfg.start_timeout))
            time.sleep(0.1)

    def restart(self, node_id):
        n = self.nodes[node_id]
        n.before_restart()
        t0 = time.time()
        n.launch()
        self.await_ready([n], t0)
        return t0

    def stop(self):
        """SIGTERM to every live node at once, SIGKILL after 30 s (nothing is measured here)."""
        live = [n for n in self.nodes.values() if n.alive()]
        for n in live:
            try:
                os.kill(n.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.time() + 30
        for n in live:
            try:
                n.proc.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                pass
        for n in self.nodes.values():
            B.kill_tree(n.proc, grace=0.1)
            B.BROKERS.discard(n)

    def jvm_cpu(self):
        return sum(n.cpu_jvm() for n in self.nodes.values() if n.alive())

    def tree_cpu(self):
        return self.jvm_cpu()

    def rss_mb(self):
        return sum(n.rss_mb() for n in self.nodes.values() if n.alive())

    def close(self):
        self.stop()
        shutil.rmtree(self.run_dir, ignore_errors=True)


class KafkaCluster(Cluster):
    node_class = KafkaNode
    system = "kafka"

    def __init__(self, cfg, name, session_ms, heartbeat_ms):
        super().__init__(cfg, name, session_ms, heartbeat_ms)
        self.cluster_id = B.kafka_uuid()
        for n in self.nodes.values():
            n.cport = B.free_port()


class RunnelCluster(Cluster):
    node_class = RunnelNode
    system = "runnel"

    def __init__(self, cfg, name, session_ms, heartbeat_ms, postgres):
        super().__init__(cfg, name, session_ms, heartbeat_ms)
        self.postgres = postgres
        self.jdbc_url = None

    def start(self):
        self.postgres.start()
        self.jdbc_url = self.postgres.create_database(self.name.replace("-", "_"))
        return super().start()

    def tree_cpu(self):
        return self.jvm_cpu() + self.postgres.cpu()

    def close(self):
        try:
            super().close()
        finally:
            self.postgres.stop()


# ------------------------------------------------------------------------------------ log comparison


def batches(partition_dir):
    """The record batches of a partition's segments, in offset order, as raw bytes (Kafka's log
    format: baseOffset int64, batchLength int32, then batchLength bytes)."""
    out = []
    for path in sorted(glob.glob(os.path.join(partition_dir, "*.log"))):
        with open(path, "rb") as f:
            data = f.read()
        pos = 0
        while pos + 12 <= len(data):
            length = struct.unpack_from(">i", data, pos + 8)[0]
            if length <= 0 or pos + 12 + length > len(data):
                break
            out.append(data[pos:pos + 12 + length])
            pos += 12 + length
    return out


def replicas_identical(cluster, topic, partitions):
    """(True, note) when every node holds the same batches of every partition of the topic."""
    notes = []
    for p in range(partitions):
        logs = {i: batches(n.partition_dir(topic, p)) for i, n in cluster.nodes.items()}
        first = logs[1]
        for i, other in logs.items():
            if other != first:
                diff = next((k for k in range(min(len(first), len(other))) if first[k] != other[k]),
                            min(len(first), len(other)))
                notes.append("partition %d: node 1 has %d batches, node %d has %d, first difference at batch %d" % (
                    p, len(first), i, len(other), diff))
    return not notes, "; ".join(notes)
