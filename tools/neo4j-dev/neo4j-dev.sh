#!/usr/bin/env bash
# neo4j-dev.sh: a real Neo4j 5.26 LTS community engine on 127.0.0.1 for mlsc's development and tests.
#
#   tools/neo4j-dev/neo4j-dev.sh up [DATA_DIR]   build if needed, start, wait until Bolt answers,
#                                                write .neo4j-dev.env (mode 600) at the repo root
#   tools/neo4j-dev/neo4j-dev.sh down [--wipe]   stop it (SIGTERM, then SIGKILL after a timeout),
#                                                remove the pid and env files; --wipe also deletes
#                                                the default data dir (.neo4j-dev/data)
#   tools/neo4j-dev/neo4j-dev.sh status          print the URI; exit 0 if running, 3 if not
#   tools/neo4j-dev/neo4j-dev.sh build           only build (downloads the artifacts the first time)
#
# .neo4j-dev.env holds NEO4J_URI, NEO4J_USERNAME, NEO4J_PASSWORD and NEO4J_DATABASE; use it with
#   set -a; . ./.neo4j-dev.env; set +a
# The password is random per `up` and never printed. DATA_DIR (default .neo4j-dev/data) is the
# engine's home: stores under DATA_DIR/data, Neo4j's debug log under DATA_DIR/logs. It survives `down`.
# State: .neo4j-dev/neo4j.pid, .neo4j-dev/neo4j.log (the engine's output), .neo4j-dev/build.log.
#
# Environment (all optional):
#   NEO4J_DEV_PORT       Bolt port on 127.0.0.1 (default 0: the engine binds a free port itself and
#                        reports it, so there is no race between picking and binding)
#   NEO4J_DEV_PAGECACHE  page cache size (default 512m)
#   NEO4J_DEV_JAVA_OPTS  JVM options (default: -Xmx2g plus Neo4j's usual flags)
#   NEO4J_DEV_TIMEOUT    seconds to wait for the engine to come up (default 180)
#   NEO4J_DEV_STOP_TIMEOUT  seconds to wait after SIGTERM before SIGKILL (default 60)
#   JAVA_HOME            Java 17+ to use (default: `java` on PATH)
#
# Exit codes: 0 ok; 1 failure (build, start-up, timeout); 2 a prerequisite is missing (java 17+,
# or mvn when the launcher still has to be built); 3 `status` when not running.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
STATE="$ROOT/.neo4j-dev"
PIDFILE="$STATE/neo4j.pid"
LOG="$STATE/neo4j.log"
BUILD_LOG="$STATE/build.log"
DATA_FILE="$STATE/data_dir"
ENVFILE="$ROOT/.neo4j-dev.env"
DEFAULT_DATA="$STATE/data"
JAR="$HERE/target/neo4j-dev.jar"

PORT="${NEO4J_DEV_PORT:-0}"
PAGECACHE="${NEO4J_DEV_PAGECACHE:-512m}"
TIMEOUT="${NEO4J_DEV_TIMEOUT:-180}"
STOP_TIMEOUT="${NEO4J_DEV_STOP_TIMEOUT:-60}"
JAVA_OPTS="${NEO4J_DEV_JAVA_OPTS:--Xmx2g -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError -XX:-OmitStackTraceInFastThrow -XX:+DisableExplicitGC -Djdk.nio.maxCachedBufferSize=1024 -Dio.netty.tryReflectionSetAccessible=true -Dlog4j2.disable.jmx=true}"

say() { echo "neo4j-dev: $*" >&2; }
die() { say "error: $1"; exit "${2:-1}"; }

java_bin() {
    if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
        echo "$JAVA_HOME/bin/java"
    else
        command -v java || true
    fi
}

require_java() {
    JAVA="$(java_bin)"
    [[ -n "$JAVA" ]] || die "java not found: install a JDK 17 or newer (e.g. apt-get install openjdk-17-jdk-headless) or set JAVA_HOME" 2
    local ver major
    ver="$("$JAVA" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n1)"
    major="${ver%%.*}"
    [[ "$major" == "1" ]] && major=8
    if ! [[ "$major" =~ ^[0-9]+$ ]] || (( major < 17 )); then
        die "java 17 or newer is required, found '${ver:-unknown}' at $JAVA (set JAVA_HOME to a JDK 17+)" 2
    fi
}

needs_build() {
    [[ -f "$JAR" && -d "$HERE/target/lib" ]] || return 0
    [[ -n "$(find "$HERE/pom.xml" "$HERE/src" -newer "$JAR" -print -quit 2>/dev/null)" ]]
}

build() {
    require_java
    if ! needs_build; then
        return 0
    fi
    command -v mvn >/dev/null 2>&1 \
        || die "mvn not found: install Maven 3.8+ (e.g. apt-get install maven) to build the Neo4j launcher" 2
    mkdir -p "$STATE"
    local mvn_java=()
    [[ -n "${JAVA_HOME:-}" ]] || mvn_java=(env JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$JAVA")")")")
    say "building the launcher (Neo4j from Maven Central; the very first build downloads ~130 MB into ~/.m2)"
    # Offline first: after the first build everything is in the local Maven repository.
    if ! (cd "$HERE" && "${mvn_java[@]}" mvn -B -q -o -Dstyle.color=never package >"$BUILD_LOG" 2>&1); then
        if ! (cd "$HERE" && "${mvn_java[@]}" mvn -B -q -Dstyle.color=never package >"$BUILD_LOG" 2>&1); then
            tail -n 30 "$BUILD_LOG" >&2 || true
            die "building tools/neo4j-dev failed (full log: $BUILD_LOG)" 1
        fi
    fi
    [[ -f "$JAR" ]] || die "build finished but $JAR is missing (see $BUILD_LOG)" 1
    touch "$JAR"
}

# Prints the pid if the pid file names a live neo4j-dev JVM; fails otherwise.
running_pid() {
    [[ -f "$PIDFILE" ]] || return 1
    local pid
    pid="$(cat "$PIDFILE" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    # Guard against pid reuse: the process must be our launcher.
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'neo4j-dev\.jar' || return 1
    echo "$pid"
}

# The port of the engine's READY line in the log; empty (and success) while the log is missing
# or has no such line yet, so `set -e -o pipefail` cannot end the wait early.
ready_port() {
    [[ -f "$LOG" ]] || return 0
    { sed -n 's|^READY bolt://127\.0\.0\.1:\([0-9][0-9]*\)$|\1|p' "$LOG" 2>/dev/null || true; } \
        | head -n1
}

env_uri() { sed -n 's/^NEO4J_URI=//p' "$ENVFILE" 2>/dev/null | head -n1; }

stop_pid() {
    local pid="$1" waited=0
    kill -TERM "$pid" 2>/dev/null || return 0
    while kill -0 "$pid" 2>/dev/null; do
        if (( waited >= STOP_TIMEOUT * 2 )); then
            say "no exit ${STOP_TIMEOUT}s after SIGTERM; sending SIGKILL to $pid"
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.5
        waited=$((waited + 1))
    done
    while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
}

cmd_up() {
    local data="${1:-$DEFAULT_DATA}"
    mkdir -p "$STATE"
    data="$(readlink -m -- "$data")"

    # One `up`/`down` at a time.
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$STATE/lock"
        flock -w "$((TIMEOUT + 60))" 9 || die "another neo4j-dev.sh is still running (lock $STATE/lock)" 1
    fi

    local pid
    if pid="$(running_pid)"; then
        local current
        current="$(cat "$DATA_FILE" 2>/dev/null || true)"
        if [[ -f "$ENVFILE" ]]; then
            if [[ -n "$current" && "$current" != "$data" ]]; then
                die "already running (pid $pid) on data dir $current, not $data: run '$0 down' first" 1
            fi
            say "already running (pid $pid) at $(env_uri); settings in $ENVFILE"
            return 0
        fi
        say "pid $pid is running but $ENVFILE is missing (an interrupted start?): restarting it"
        stop_pid "$pid"
    fi
    rm -f "$PIDFILE" "$ENVFILE"

    build
    mkdir -p "$data" || die "cannot create data dir $data" 1

    local password
    password="$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
    [[ ${#password} -eq 48 ]] || die "could not generate a password from /dev/urandom" 1

    local start=$SECONDS
    say "starting Neo4j (data dir $data, log $LOG)"
    # A fresh, empty log before the JVM starts: the wait below never reads an old run's READY
    # line, and never finds the file missing (the background shell opens it only later).
    rm -f "$LOG"
    : >"$LOG"
    local launcher=(nohup)
    command -v setsid >/dev/null 2>&1 && launcher=(setsid nohup)
    # shellcheck disable=SC2086  # JAVA_OPTS is a list of words on purpose
    NEO4J_DEV_PASSWORD="$password" "${launcher[@]}" "$JAVA" $JAVA_OPTS -jar "$JAR" \
        --port "$PORT" --pagecache "$PAGECACHE" "$data" >"$LOG" 2>&1 </dev/null 9>&- &
    pid=$!
    echo "$pid" >"$PIDFILE"
    echo "$data" >"$DATA_FILE"

    local port=""
    while (( SECONDS - start < TIMEOUT )); do
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$PIDFILE"
            tail -n 30 "$LOG" >&2 || true
            die "Neo4j exited during start-up (full log: $LOG)" 1
        fi
        if [[ -z "$port" ]]; then
            port="$(ready_port)"
        fi
        if [[ -n "$port" ]] && bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
            local tmp="$ENVFILE.tmp.$$"
            (
                umask 077
                {
                    echo "NEO4J_URI=bolt://127.0.0.1:$port"
                    echo "NEO4J_USERNAME=neo4j"
                    echo "NEO4J_PASSWORD=$password"
                    echo "NEO4J_DATABASE=neo4j"
                } >"$tmp"
            )
            chmod 600 "$tmp"
            mv -f "$tmp" "$ENVFILE"
            say "up (pid $pid) at bolt://127.0.0.1:$port after $((SECONDS - start))s; settings in $ENVFILE"
            return 0
        fi
        sleep 0.5
    done
    say "not ready after ${TIMEOUT}s; stopping it"
    stop_pid "$pid"
    rm -f "$PIDFILE"
    tail -n 30 "$LOG" >&2 || true
    die "Neo4j did not come up within ${TIMEOUT}s (full log: $LOG)" 1
}

cmd_down() {
    local wipe=0
    case "${1:-}" in
        "") ;;
        --wipe) wipe=1 ;;
        *) die "usage: $0 down [--wipe]" 1 ;;
    esac
    if [[ -d "$STATE" ]] && command -v flock >/dev/null 2>&1; then
        exec 9>"$STATE/lock"
        flock -w "$((STOP_TIMEOUT + 60))" 9 || die "another neo4j-dev.sh is still running (lock $STATE/lock)" 1
    fi
    local pid
    if pid="$(running_pid)"; then
        say "stopping pid $pid"
        stop_pid "$pid"
        say "stopped"
    else
        say "not running"
    fi
    rm -f "$PIDFILE" "$ENVFILE" "$DATA_FILE"
    if (( wipe )); then
        rm -rf "$DEFAULT_DATA"
        say "deleted $DEFAULT_DATA"
    fi
    return 0
}

cmd_status() {
    local pid
    if pid="$(running_pid)" && [[ -f "$ENVFILE" ]]; then
        echo "running (pid $pid) at $(env_uri), data dir $(cat "$DATA_FILE" 2>/dev/null || echo '?')"
        return 0
    fi
    echo "not running"
    return 3
}

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
}

case "${1:-}" in
    up) shift; [[ $# -le 1 ]] || die "usage: $0 up [DATA_DIR]" 1; cmd_up "$@" ;;
    down) shift; cmd_down "$@" ;;
    status) cmd_status ;;
    build) build; say "built $JAR" ;;
    -h|--help|help) usage ;;
    *) usage; exit 1 ;;
esac
