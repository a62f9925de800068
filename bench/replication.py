"""Replication benchmark: three Runnel brokers sharing one PostgreSQL against three Apache Kafka 4.1.1
KRaft nodes, on this one machine (bench/run.sh --replication; see bench/README.md).

Every scenario starts a fresh cluster of one system, runs, and stops it; scenarios alternate between
the systems (Kafka, Runnel, Kafka, ...), one cluster at a time:

- throughput: ProducerPerformance, acks=all, 6 partitions, replication factor 3, min.insync.replicas 2;
- kill / kill-short / kill-controller: a steady acks=all idempotent producer (FailoverProbe), then
  SIGKILL of the leader of partition 0 (not the controller; with shorter failure detection on both;
  the leader that is also the active controller);
- term: the same, with SIGTERM (controlled shutdown).

After each failover the signalled broker is started again; once it is back in every ISR, the log
segments of every replica are compared batch by batch.
"""

import os
import shutil
import signal
import subprocess
import threading
import time
import traceback

import bench as B
from cluster import BenchPostgres, KafkaCluster, RunnelCluster, probe, replicas_identical

TOPIC_PARTITIONS = 6
MIN_ISR = 2
BIG_BATCH = ["batch.size=262144", "linger.ms=5"]
# (id, extra producer props) — all acks=all, 1 KiB records, 6 partitions, RF 3.
THROUGHPUT_WORKLOADS = [
    ("rf3-acksall-default", []),
    ("rf3-acksall-batch256k", BIG_BATCH),
]
# (id, signal, target, short failure detection)
FAILOVERS = [
    ("kill", signal.SIGKILL, "leader", False),
    ("kill-short", signal.SIGKILL, "leader", True),
    ("term", signal.SIGTERM, "leader", False),
    ("kill-controller", signal.SIGKILL, "controller", False),
]
SCENARIOS = ["throughput"] + [f[0] for f in FAILOVERS]


def configure(cfg):
    cfg.repl_scenarios = [s for s in B.env_str("BENCH_REPL_SCENARIOS", ",".join(SCENARIOS)).split(",") if s]
    cfg.repl_systems = [s for s in B.env_str("BENCH_REPL_SYSTEMS", "kafka,runnel").split(",") if s]
    cfg.repl_rate = B.env_int("BENCH_REPL_RATE", 2000)
    cfg.repl_settle_ms = B.env_int("BENCH_REPL_SETTLE_MS", 5000 if cfg.quick else 10000)
    cfg.repl_tail_ms = B.env_int("BENCH_REPL_TAIL_MS", 5000)
    cfg.repl_timeout_ms = B.env_int("BENCH_REPL_TIMEOUT_MS", 120000)
    cfg.repl_session_ms = B.env_int("BENCH_REPL_SESSION_MS", 9000)
    cfg.repl_heartbeat_ms = B.env_int("BENCH_REPL_HEARTBEAT_MS", 2000)
    cfg.repl_short_session_ms = B.env_int("BENCH_REPL_SHORT_SESSION_MS", 3000)
    cfg.repl_short_heartbeat_ms = B.env_int("BENCH_REPL_SHORT_HEARTBEAT_MS", 1000)
    cfg.repl_verify_replicas = B.env_int("BENCH_REPL_VERIFY_REPLICAS", 1) == 1
    cfg.kafka_setup = "three combined KRaft nodes (broker + controller, static 3-voter quorum)"
    unknown = [s for s in cfg.repl_scenarios if s not in SCENARIOS]
    if unknown:
        raise SystemExit("bench: unknown BENCH_REPL_SCENARIOS %s (known: %s)" % (unknown, ", ".join(SCENARIOS)))


def new_cluster(cfg, system, name, short, postgres):
    session, heartbeat = ((cfg.repl_short_session_ms, cfg.repl_short_heartbeat_ms) if short
                          else (cfg.repl_session_ms, cfg.repl_heartbeat_ms))
    if system == "kafka":
        return KafkaCluster(cfg, name, session, heartbeat)
    return RunnelCluster(cfg, name, session, heartbeat, postgres)


def create_topic(cfg, cluster, topic, order):
    rc, out = B.run_tool(probe(cfg, "create-topic", cluster.bootstrap, topic, TOPIC_PARTITIONS, MIN_ISR,
                               ",".join(str(i) for i in order), 120_000),
                         os.path.join(cfg.logs, "%s-create-%s.out" % (cluster.name, topic)), 180)
    if rc != 0:
        raise RuntimeError("create-topic %s: %s" % (topic, B.kv(out).get("error", B.error_excerpt(out))))
    return float(B.kv(out)["create_ms"])


# ------------------------------------------------------------------------------------ scenarios


def throughput(cfg, cluster):
    r = {}
    for wid, props in THROUGHPUT_WORKLOADS:
        out_path = os.path.join(cfg.logs, "%s-produce-%s.out" % (cluster.name, wid))
        r["produce:" + wid] = B.wrap(lambda: produce(cfg, cluster, wid, props, out_path), "producer " + wid)
        res = r["produce:" + wid]
        if isinstance(res, B.Failure):
            B.log("%s: produce %s FAILED: %s" % (cluster.name, wid, res.msg.splitlines()[0]))
        else:
            B.log("%s: produce %-22s %8.0f rec/s %6.1f MB/s p50 %4.0f ms p99 %5.0f ms, cluster CPU %.1f s" % (
                cluster.name, wid, res["recs_per_s"], res["mb_per_s"], res["lat_p50_ms"], res["lat_p99_ms"],
                res["cluster_cpu_s"]))
    return r


def produce(cfg, cluster, wid, props, out_path):
    create_topic(cfg, cluster, wid, [1, 2, 3])
    args = ["--topic", wid, "--num-records", cfg.records, "--throughput", -1, "--record-size", cfg.record_size,
            "--producer-props", "bootstrap.servers=" + cluster.bootstrap, "acks=all"] + props
    cpu0, tree0 = cluster.jvm_cpu(), cluster.tree_cpu()
    rc, out = B.run_tool(B.java_tool(cfg, "org.apache.kafka.tools.ProducerPerformance", *args), out_path,
                         cfg.tool_timeout)
    cpu1, tree1 = cluster.jvm_cpu(), cluster.tree_cpu()
    m = None
    for m in B.PP_FINAL.finditer(out):
        pass
    problems = []
    if rc != 0:
        problems.append("exit code %s" % rc)
    if m is None:
        problems.append("no summary line")
    elif int(m.group(1)) != cfg.records:
        problems.append("%s of %d records acknowledged" % (m.group(1), cfg.records))
    if B.STACK.search(out):
        problems.append("exceptions in output")
    if problems:
        return B.Failure("ProducerPerformance %s: %s (output: %s)\n%s" % (
            wid, "; ".join(problems), os.path.relpath(out_path, B.ROOT), B.error_excerpt(out)))
    return {
        "recs_per_s": float(m.group(2)),
        "mb_per_s": float(m.group(3)),
        "lat_avg_ms": float(m.group(4)),
        "lat_p50_ms": float(m.group(6)),
        "lat_p99_ms": float(m.group(8)),
        "lat_p999_ms": float(m.group(9)),
        "cluster_cpu_s": cpu1 - cpu0,
        "cluster_tree_cpu_s": tree1 - tree0,
    }


STEADY_RESULTS = ("gap_before_ms", "latency_before_p50_ms", "latency_before_p99_ms", "gap_max_ms", "gap_p0_ms",
                  "resumed_all_ms", "resumed_p0_ms",
                  "recovered_p0_ms", "recovered_all_ms", "sent", "acked", "failed", "verified", "lost", "out_of_order",
                  "send_lag_max_ms")


def failover(cfg, cluster, scenario, sig, target):
    """A steady producer, a signal to the leader of partition 0, then the signalled broker back."""
    ids = sorted(cluster.nodes)
    others = [i for i in ids if i != cluster.controller]
    # Partition 0's preferred leader: a broker that is not the controller, or the controller itself.
    order = others + [cluster.controller] if target == "leader" else [cluster.controller] + others
    topic = "failover"
    create_topic(cfg, cluster, topic, order)
    r, victim, exited = steady_across_signal(cfg, cluster, scenario, topic, sig, order[0])
    if not exited.wait(120):
        raise RuntimeError("broker %d did not exit within 120 s of the signal" % victim)
    if cfg.repl_verify_replicas:
        r.update(rejoin_and_compare(cfg, cluster, scenario, topic, victim))
    return r


def steady_across_signal(cfg, cluster, scenario, topic, sig, expected_leader):
    """Runs FailoverProbe steady and signals the leader of partition 0 once the probe is steady.
    Returns (results, the signalled node id, an Event set when that broker process has exited)."""
    r = {}
    out_path = os.path.join(cfg.logs, "%s-steady.out" % cluster.name)
    args = probe(cfg, "steady", cluster.bootstrap, topic, TOPIC_PARTITIONS, cfg.repl_rate, cfg.record_size,
                 cfg.repl_settle_ms, cfg.repl_tail_ms, cfg.repl_timeout_ms)
    errf = open(out_path + ".stderr", "w")
    # Every acknowledgement (partition, offset, sequence, sent and acknowledged relative to the signal).
    env = dict(os.environ, BENCH_ACKS_FILE=out_path + ".acks.csv")
    p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errf, text=True,
                         start_new_session=True, cwd=B.TARGET, env=env)
    B.CHILDREN.add(p)
    lines = []
    exited = threading.Event()
    try:
        while True:
            line = p.stdout.readline()
            if not line:
                raise RuntimeError("steady probe exited before it was steady:\n%s\n%s" % (
                    "".join(lines), B.tail(out_path + ".stderr", 15)))
            lines.append(line)
            if line.startswith("controller_source="):
                break
        before = B.kv("".join(lines))
        victim = int(before["leader_0"])
        r["target_was_controller"] = 1.0 if victim == int(before["controller"]) else 0.0
        if victim != expected_leader:
            B.log("%s: partition 0 is led by %d, not its preferred replica %d" % (
                cluster.name, victim, expected_leader))
        node = cluster.nodes[victim]
        B.log("%s: %s broker %d (leader of partition 0%s)" % (
            cluster.name, "SIGKILL" if sig == signal.SIGKILL else "SIGTERM", victim,
            ", the controller" if r["target_was_controller"] else ""))
        t_signal = time.time()
        os.kill(node.proc.pid, sig)
        p.stdin.write("event %d\n" % int(t_signal * 1e6))
        p.stdin.flush()
        p.stdin.close()

        def await_exit():
            node.proc.wait()
            r["signalled_exit_ms"] = (time.time() - t_signal) * 1000.0
            exited.set()

        threading.Thread(target=await_exit, daemon=True).start()
        rest = []
        reader = threading.Thread(target=lambda: rest.append(p.stdout.read()), daemon=True)
        reader.start()
        reader.join((cfg.repl_timeout_ms + cfg.repl_tail_ms) / 1000.0 + 400)
        if reader.is_alive():
            raise RuntimeError("steady probe did not finish")
        p.wait(timeout=30)
        lines.extend(rest)
    finally:
        if p.poll() is None:
            B.kill_tree(p, grace=5)
        B.CHILDREN.discard(p)
        errf.close()
        with open(out_path, "w") as f:
            f.write("$ " + " ".join(str(a) for a in args) + "\n" + "".join(lines))
    d = B.kv("".join(lines))
    where = "(probe output: %s)" % os.path.relpath(out_path, B.ROOT)
    for k in STEADY_RESULTS:
        try:
            r[k] = float(d[k])
        except (KeyError, ValueError):
            r[k] = B.Failure("%s: no %s %s" % (scenario, k, where))
    if d.get("recovered") != "1":
        r["recovery"] = B.Failure("%s: not every partition acknowledged a new record within %d ms of the signal %s"
                                  % (scenario, cfg.repl_timeout_ms, where))
    if d.get("failed", "0") != "0":
        r["send_errors"] = B.Failure("%s: %s sends failed; the first: %s %s" % (
            scenario, d["failed"], d.get("first_error", "?"), where))
    if d.get("lost", "0") != "0" or d.get("out_of_order", "0") != "0" or "verify_error" in d:
        r["read_back"] = B.Failure("%s: read back: %s acknowledged records missing, %s out of order%s %s" % (
            scenario, d.get("lost"), d.get("out_of_order"),
            "; " + d["verify_error"] if "verify_error" in d else "", where))
    r["leader_after_0"] = d.get("leader_after_0")
    B.log("%s: longest gap between acks %s ms, resumed %s ms after the signal (partition 0: %s ms, resumed after "
          "%s ms); a new record acknowledged on every partition after %s ms; %s failed sends, %s lost, %s out of "
          "order; baseline ack latency p99 %s ms" % (
              cluster.name, d.get("gap_max_ms"), d.get("resumed_all_ms"), d.get("gap_p0_ms"), d.get("resumed_p0_ms"),
              d.get("recovered_all_ms"), d.get("failed"), d.get("lost"), d.get("out_of_order"),
              d.get("latency_before_p99_ms")))
    return r, victim, exited


def rejoin_and_compare(cfg, cluster, scenario, topic, victim):
    """Starts the signalled broker again, waits until it is back in every ISR, compares the replicas."""
    r = {}
    t0 = cluster.restart(victim)
    node = cluster.nodes[victim]
    out_path = os.path.join(cfg.logs, "%s-await-isr.out" % cluster.name)
    with open(out_path, "w") as f:
        p = subprocess.Popen(probe(cfg, "await-isr", cluster.bootstrap, topic, 300_000), stdout=f,
                             stderr=subprocess.STDOUT, start_new_session=True, cwd=B.TARGET)
    B.CHILDREN.add(p)
    deadline = time.time() + 330
    # Watch the restarted broker too: if it dies, no ISR will ever be complete.
    while p.poll() is None and node.alive() and time.time() < deadline:
        time.sleep(0.2)
    if p.poll() is None:
        B.kill_tree(p, grace=2)
    B.CHILDREN.discard(p)
    if not node.alive():
        r["rejoin"] = B.Failure("%s: broker %d exited (code %s) after its restart; last log lines:\n%s" % (
            scenario, victim, node.proc.poll(), B.tail(node.log_path, 8)))
        return r
    rc = p.returncode
    with open(out_path, errors="replace") as f:
        out = f.read()
    if rc != 0:
        r["rejoin"] = B.Failure("%s: broker %d not back in every ISR: %s" % (
            scenario, victim, B.kv(out).get("error", B.error_excerpt(out))))
        return r
    r["rejoin_isr_ms"] = (time.time() - t0) * 1000.0
    same, note = False, ""
    for _ in range(10):  # a follower may still be one fetch behind the leader's log end
        same, note = replicas_identical(cluster, topic, TOPIC_PARTITIONS)
        if same:
            break
        time.sleep(1)
    r["replicas_identical"] = 1.0 if same else 0.0
    if not same:
        r["identical"] = B.Failure("%s: replicas differ: %s" % (scenario, note))
    B.log("%s: broker %d back in every ISR %.1f s after its restart; replicas %s" % (
        cluster.name, victim, r["rejoin_isr_ms"] / 1000.0, "identical" if same else "DIFFER: " + note))
    return r


def scenario_run(cfg, system, scenario, round_no, postgres):
    name = "%s-%s-r%d" % (system, scenario, round_no)
    fo = next((f for f in FAILOVERS if f[0] == scenario), None)
    cluster = new_cluster(cfg, system, name, fo is not None and fo[3], postgres)
    r = {}
    try:
        B.log("%s: starting 3 brokers (session timeout %d ms, heartbeat %d ms)" % (
            name, cluster.session_ms, cluster.heartbeat_ms))
        r["cluster_start_ms"] = cluster.start()
        r["controller"] = cluster.controller
        B.log("%s: all 3 brokers registered after %.0f ms, controller %d" % (
            name, r["cluster_start_ms"], cluster.controller))
        time.sleep(2)
        r["rss_idle_mb"] = cluster.rss_mb()
        if scenario == "throughput":
            r.update(throughput(cfg, cluster))
        else:
            r.update(failover(cfg, cluster, scenario, fo[1], fo[2]))
    except Exception as e:  # noqa: BLE001 - a failed scenario is recorded, the run goes on
        traceback.print_exc()
        r["round"] = B.Failure("%s aborted: %s\n%s" % (name, e, "\n".join(
            "--- node %d: WARN/ERROR lines ---\n%s" % (i, n.log_problems_since(0, 20) or "(none)")
            for i, n in cluster.nodes.items())))
        B.log(r["round"].msg.splitlines()[0])
    finally:
        cluster.close()
    return r


def run(cfg):
    """All scenarios for both systems: {"kafka": {scenario: [round dicts]}, "runnel": {...}}."""
    postgres = BenchPostgres(cfg)
    results = {"kafka": {}, "runnel": {}}
    try:
        for rnd in range(1, cfg.rounds + 1):
            for scenario in cfg.repl_scenarios:
                for system in cfg.repl_systems:
                    results[system].setdefault(scenario, []).append(
                        scenario_run(cfg, system, scenario, rnd, postgres))
    finally:
        postgres.stop()
        shutil.rmtree(postgres.dir, ignore_errors=True)
    return results


# ------------------------------------------------------------------------------------ report


def tables(cfg, results):
    k, r = results["kafka"], results["runnel"]
    HI, LO = B.HI, B.LO
    parts = []
    if "throughput" in cfg.repl_scenarios:
        rows = [("Cluster start: first launch until DescribeCluster lists 3 brokers (ms)", "cluster_start_ms", LO),
                ("RSS of the 3 broker JVMs, idle after start (MB)", "rss_idle_mb", LO)]
        for wid, _ in THROUGHPUT_WORKLOADS:
            key = "produce:" + wid
            rows += [
                ("%s records/s" % wid, key + "/recs_per_s", HI),
                ("%s MB/s" % wid, key + "/mb_per_s", HI),
                ("%s latency avg (ms)" % wid, key + "/lat_avg_ms", LO),
                ("%s latency p50 (ms)" % wid, key + "/lat_p50_ms", LO),
                ("%s latency p99 (ms)" % wid, key + "/lat_p99_ms", LO),
                ("%s latency p99.9 (ms)" % wid, key + "/lat_p999_ms", LO),
                ("%s CPU of the 3 broker JVMs (s)" % wid, key + "/cluster_cpu_s", LO),
                ("%s CPU incl. PostgreSQL (s; Runnel: + the shared PostgreSQL)" % wid, key + "/cluster_tree_cpu_s", LO),
            ]
        parts.append("### Produce throughput, acks=all (ProducerPerformance, %s records of %d B, 6 partitions, "
                     "replication factor 3, min.insync.replicas 2, --throughput -1)\n\n" % (
                         "{:,}".format(cfg.records), cfg.record_size) +
                     B.table(rows, k.get("throughput", []), r.get("throughput", []), "Workload / metric"))
    titles = {
        "kill": "SIGKILL of the leader of partition 0 (not the controller), default failure detection "
                "(session timeout %d ms, heartbeat %d ms)" % (cfg.repl_session_ms, cfg.repl_heartbeat_ms),
        "kill-short": "SIGKILL of the leader of partition 0 (not the controller), shorter failure detection on both "
                      "(session timeout %d ms, heartbeat %d ms)" % (cfg.repl_short_session_ms,
                                                                  cfg.repl_short_heartbeat_ms),
        "term": "SIGTERM of the leader of partition 0 (controlled shutdown), default settings",
        "kill-controller": "SIGKILL of the leader of partition 0 that is also the active controller, default "
                           "failure detection",
    }
    for scenario, _, _, _ in FAILOVERS:
        if scenario not in cfg.repl_scenarios:
            continue
        kr, rr = k.get(scenario, []), r.get(scenario, [])
        rows = [
            ("Longest gap between consecutive acks, any partition (ms)", "gap_max_ms", LO),
            ("... signal until acks resumed after that gap (ms)", "resumed_all_ms", LO),
            ("Longest gap between consecutive acks on partition 0 (ms)", "gap_p0_ms", LO),
            ("... signal until partition 0's acks resumed after that gap (ms)", "resumed_p0_ms", LO),
            ("Signal until partition 0 acknowledged a record sent after it (ms; includes any backlog)",
             "recovered_p0_ms", LO),
            ("Signal until every partition acknowledged a record sent after it (ms; includes any backlog)",
             "recovered_all_ms", LO),
            ("Baseline before the signal: longest gap between acks (ms)", "gap_before_ms", LO),
            ("Baseline before the signal: ack latency p50 (ms)", "latency_before_p50_ms", LO),
            ("Baseline before the signal: ack latency p99 (ms)", "latency_before_p99_ms", LO),
            ("Sends that failed", "failed", LO),
            ("Acknowledged records missing when read back", "lost", LO),
            ("Records out of sequence when read back (duplicates, reordering)", "out_of_order", LO),
        ]
        if scenario == "term":
            rows.append(("SIGTERM until the broker process exited (ms)", "signalled_exit_ms", LO))
        rows.append(("Restarted broker back in every ISR, from its launch (ms)", "rejoin_isr_ms", LO))
        rows.append(("Probe check: its sender's worst delay behind schedule (ms; large = the probe was starved)",
                     "send_lag_max_ms", LO))
        parts.append("### %s\n\n" % titles[scenario] + B.table(rows, kr, rr) + "\n\n" + footnote(kr, rr))
    return "\n\n".join(parts)


def footnote(kr, rr):
    def count(rounds, key):
        return sum(1 for x in rounds if x.get(key) == 1.0), len(rounds)

    out = []
    for label, rounds in (("Kafka", kr), ("Runnel", rr)):
        same, n = count(rounds, "replicas_identical")
        ctl, _ = count(rounds, "target_was_controller")
        out.append("%s: replicas identical after the restart in %d of %d rounds; the signalled broker was the "
                   "controller in %d of %d" % (label, same, n, ctl, n))
    return "; ".join(out) + "."


def params(cfg, postgres_version):
    return "\n".join([
        "- Rounds: %d; in each round every scenario runs on a fresh cluster of each system in turn (Kafka, then "
        "Runnel), one cluster at a time; cells are medians over rounds%s" % (
            cfg.rounds, " — **QUICK MODE**" if cfg.quick else ""),
        "- Broker JVMs (all six): `%s`; tool JVMs: `%s`" % (cfg.broker_jvm_opts, cfg.tool_jvm_opts),
        "- Kafka 4.1.1: three combined KRaft nodes (`process.roles=broker,controller`, a static 3-voter "
        "`controller.quorum.voters`), loopback listeners on free ports, `broker.session.timeout.ms` / "
        "`broker.heartbeat.interval.ms` as in each table, every other setting Kafka's default "
        "(`replica.lag.time.max.ms` 30000, `replica.fetch.wait.max.ms` 500, `controlled.shutdown.enable` true, "
        "`unclean.leader.election.enable` false; no flush settings)",
        "- Runnel: three `java -jar quarkus-run.jar` with `-Drunnel.node-id=1..3 -Drunnel.data-dir "
        "-Drunnel.listeners -Dquarkus.http.port -Dquarkus.datasource.jdbc.url=<one database> "
        "-Dquarkus.datasource.username=postgres -Drunnel.cluster.broker-session-timeout-ms "
        "-Drunnel.cluster.broker-heartbeat-interval-ms -Drunnel.group.initial-rebalance-delay-ms=0 "
        "-Drunnel.connect.enabled=false`, defaults otherwise; one PostgreSQL %s server (Debian package, "
        "fsync and synchronous_commit on, `max_connections=300`) started by the harness for each Runnel cluster, "
        "a fresh database each time" % postgres_version,
        "- Topics: 6 partitions, replication factor 3, `min.insync.replicas=2`, created with an explicit replica "
        "assignment (partition p: the broker order rotated by p), and used once the preferred leaders lead with "
        "the full ISR. Throughput topics: order 1,2,3. Failover topic: partition 0 led by a broker that is not the "
        "active controller (Kafka: the KRaft quorum leader from DescribeQuorum; Runnel: DescribeCluster's "
        "controller, the lease holder), or by the controller in `kill-controller`",
        "- Throughput: `ProducerPerformance --num-records %d --throughput -1 --record-size %d --producer-props "
        "acks=all` (idempotent, the default) with client batching or `batch.size=262144 linger.ms=5`; bootstrap "
        "lists all three brokers. CPU sums the three broker JVMs (+ Runnel's PostgreSQL server and its "
        "backends)" % (cfg.records, cfg.record_size),
        "- Failover: `io.runnel.bench.ReplicationProbe steady` (bench/src): one idempotent acks=all producer, "
        "client defaults except `buffer.memory=256 MiB` (so that send() never blocks during a stall), %d records/s "
        "of %d B round-robin over the 6 partitions on a fixed schedule; %d ms after the first acknowledgement the "
        "harness signals the leader of partition 0 and hands the probe the signal's wall-clock time; the probe runs until every partition "
        "acknowledged a record sent after the signal (at most %d ms), %d ms more, then reads every partition back "
        "from the start to its high watermark and checks each acknowledged record at its offset. The signalled "
        "broker is then started again on its data; once the ISR of every partition is complete, the segments of "
        "the three replicas are compared batch by batch" % (
            cfg.repl_rate, cfg.record_size, cfg.repl_settle_ms, cfg.repl_timeout_ms, cfg.repl_tail_ms),
        "- Timings come from one clock (the machine's wall clock, read by the harness at the signal and by the "
        "probe at each acknowledgement)",
    ])
