#!/usr/bin/env bash
# Runnel vs Apache Kafka 4.1.1 benchmark. One command, from a fresh clone:
#
#   bench/run.sh            # full run: 3 alternating rounds per broker (~30-40 min on 2 cores)
#   bench/run.sh --quick    # 1 small round: checks that the harness works end to end
#   bench/run.sh --scale    # partition scale series (10 / 1,000 / 10,000 partitions)
#   bench/run.sh --commits  # offset commits per second (OffsetCommitBench)
#   bench/run.sh --connect  # file -> source connector -> topic -> sink connector -> file, vs Kafka Connect
#   bench/run.sh --replication  # three-broker clusters: acks=all with replication factor 3, leader failover
#
# Environment knobs (see bench/README.md): BENCH_RECORDS, BENCH_ROUNDS, BENCH_E2E_MESSAGES,
# BENCH_SCALE_PARTITIONS, BENCH_SCALE_RECORDS, BENCH_SCALE_RATE, BENCH_BROKER_JVM_OPTS, ...
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH_DIR")"
cd "$ROOT"

# Same JDK for everything: Temurin 25 unless JAVA_HOME already points at a JDK 25.
if [[ -z "${JAVA_HOME:-}" ]] || ! "${JAVA_HOME}/bin/java" -version 2>&1 | grep -q 'version "25'; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
if ! "${JAVA_HOME}/bin/java" -version 2>&1 | grep -q 'version "25'; then
  echo "bench: need a JDK 25 (set JAVA_HOME)" >&2
  exit 1
fi
command -v python3 >/dev/null || { echo "bench: need python3" >&2; exit 1; }

# Kafka 4.1.1 broker + kafka-tools + Kafka Connect (runtime, file connectors) + their dependencies
# into bench/target/lib, and the probes.
# Standalone pom: not a module of the root build, so CI never downloads any of this.
echo "[bench] resolving Apache Kafka 4.1.1 and building the probes (bench/pom.xml)"
timeout 1800 ./mvnw -B -q -f bench/pom.xml package

# Runnel itself, if it has not been built yet.
if [[ ! -f broker/target/quarkus-app/quarkus-run.jar ]]; then
  echo "[bench] building Runnel (./mvnw -B -q package -DskipTests)"
  timeout 3600 ./mvnw -B -q package -DskipTests
fi

exec python3 "$BENCH_DIR/bench.py" "$@"
