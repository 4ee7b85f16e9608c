#!/usr/bin/env bash
# Start, stop or check a local single-node Elasticsearch for tests and development.
#
#   scripts/es.sh start|stop|status|wipe      (wipe: stop and delete the node's data)
#
# `status` exits 0 when the node runs and answers, 3 when it does not run, 1 when its process
# runs but does not answer (yet).
#
# `start` downloads Elastic's integ-test distribution from Maven Central into a
# cache (once), unpacks it, and starts one node on 127.0.0.1 as a non-root user
# with a small heap, then waits for _cluster/health. Environment:
#   ES_VERSION   server version (default 9.5.0; the Python client is pinned to its major)
#   ES_PORT      HTTP port (default 9200)
#   ES_BASE      where the distribution is unpacked and nodes keep their files (default var/es
#                in the checkout; /var/tmp/genekb-es when run as root, so the node's user can reach it)
#   ES_NODE_DIR  data, logs, config and pid of this node (default $ES_BASE/node-$ES_PORT)
#   ES_HEAP      heap size (default 512m)
#   ES_CACHE     download cache (default ~/.cache/genekb/es)
#   ES_USER      user that runs the node when started as root (default genekb-es)
#   ES_JAVA_HOME a JDK 21+ (default: the newest one found under /usr/lib/jvm)
set -euo pipefail

cmd="${1:-}"
ES_VERSION="${ES_VERSION:-9.5.0}"
ES_PORT="${ES_PORT:-9200}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [[ "$(id -u)" == 0 ]]; then ES_BASE="${ES_BASE:-/var/tmp/genekb-es}"; else ES_BASE="${ES_BASE:-$ROOT/var/es}"; fi
ES_NODE_DIR="${ES_NODE_DIR:-$ES_BASE/node-$ES_PORT}"
ES_HEAP="${ES_HEAP:-512m}"
ES_CACHE="${ES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/genekb/es}"
ES_USER="${ES_USER:-genekb-es}"
DIST="$ES_BASE/elasticsearch-$ES_VERSION"
URL="https://repo1.maven.org/maven2/org/elasticsearch/distribution/integ-test-zip/elasticsearch/$ES_VERSION/elasticsearch-$ES_VERSION.zip"
HEALTH="http://127.0.0.1:$ES_PORT/_cluster/health"

log() { echo "es.sh: $*" >&2; }

pid_of_node() {
    local pid
    pid="$(cat "$ES_NODE_DIR/pid" 2>/dev/null || true)"
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
}

find_java() {
    if [[ -n "${ES_JAVA_HOME:-}" ]]; then echo "$ES_JAVA_HOME"; return; fi
    local best="" best_major=0 home major
    for home in /usr/lib/jvm/*/; do
        [[ -x "$home/bin/java" ]] || continue
        major="$("$home/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/.*java.specification.version = //p')"
        if [[ "$major" =~ ^[0-9]+$ ]] && (( major >= 21 && major > best_major )); then
            best="${home%/}" best_major="$major"
        fi
    done
    [[ -n "$best" ]] || { log "no JDK 21+ under /usr/lib/jvm; set ES_JAVA_HOME"; exit 1; }
    echo "$best"
}

fetch() {
    [[ -d "$DIST" ]] && return
    mkdir -p "$ES_CACHE" "$ES_BASE"
    chmod 755 "$ES_BASE"
    local zip="$ES_CACHE/elasticsearch-$ES_VERSION.zip"
    if [[ ! -s "$zip" ]]; then
        log "downloading $URL"
        curl --fail --silent --show-error --retry 3 -o "$zip.part" "$URL"
        mv "$zip.part" "$zip"
    fi
    log "unpacking $(basename "$zip")"
    local tmp
    tmp="$(mktemp -d "$ES_BASE/unpack.XXXXXX")"
    unzip -q "$zip" -d "$tmp"
    mv "$tmp/elasticsearch-$ES_VERSION" "$DIST"
    rmdir "$tmp"
    chmod -R a+rX "$DIST"
}

write_config() {
    mkdir -p "$ES_NODE_DIR/data" "$ES_NODE_DIR/logs"
    rm -rf "$ES_NODE_DIR/config"
    cp -r "$DIST/config" "$ES_NODE_DIR/config"
    cat > "$ES_NODE_DIR/config/elasticsearch.yml" <<EOF
cluster.name: genekb-test
node.name: node-$ES_PORT
discovery.type: single-node
network.host: 127.0.0.1
http.port: $ES_PORT
transport.port: $((ES_PORT + 100))
path.data: $ES_NODE_DIR/data
path.logs: $ES_NODE_DIR/logs
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: false
xpack.security.enabled: false
EOF
    cat > "$ES_NODE_DIR/config/jvm.options.d/heap.options" <<EOF
-Xms$ES_HEAP
-Xmx$ES_HEAP
EOF
}

wait_healthy() {
    local deadline=$((SECONDS + ${ES_START_TIMEOUT:-240}))
    until curl --silent --fail "$HEALTH?wait_for_status=yellow&timeout=5s" >/dev/null 2>&1; do
        if [[ -z "$(pid_of_node)" ]] && (( SECONDS > 5 )); then
            log "the node exited; last log lines:"
            tail -n 40 "$ES_NODE_DIR/logs/genekb-test.log" >&2 2>/dev/null || true
            exit 1
        fi
        if (( SECONDS > deadline )); then log "no healthy node on port $ES_PORT after ${ES_START_TIMEOUT:-240}s"; exit 1; fi
        sleep 1
    done
}

start() {
    if [[ -n "$(pid_of_node)" ]]; then log "already running on port $ES_PORT (pid $(pid_of_node))"; wait_healthy; return; fi
    if curl --silent --fail "$HEALTH" >/dev/null 2>&1; then log "another server answers on port $ES_PORT"; exit 1; fi
    fetch
    write_config
    local java_home run=()
    java_home="$(find_java)"
    if [[ "$(id -u)" == 0 ]]; then
        id "$ES_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$ES_USER"
        chown -R "$ES_USER" "$ES_NODE_DIR"
        run=(runuser -u "$ES_USER" --)
    fi
    log "starting Elasticsearch $ES_VERSION on 127.0.0.1:$ES_PORT (heap $ES_HEAP, JDK $java_home)"
    "${run[@]}" env ES_JAVA_HOME="$java_home" ES_PATH_CONF="$ES_NODE_DIR/config" \
        "$DIST/bin/elasticsearch" -d -p "$ES_NODE_DIR/pid" >"$ES_NODE_DIR/logs/console.log" 2>&1
    wait_healthy
    log "healthy: $HEALTH"
}

stop() {
    local pid
    pid="$(pid_of_node)"
    if [[ -z "$pid" ]]; then log "not running on port $ES_PORT"; return; fi
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || { log "stopped (pid $pid)"; return; }; sleep 1; done
    log "pid $pid did not stop in 60s; killing"
    kill -9 "$pid" 2>/dev/null || true
}

# Exit status as an init script's: 0 running and answering (prints the cluster health), 3 not
# running, 1 a node process exists but does not answer (yet).
status() {
    local pid
    pid="$(pid_of_node)"
    if [[ -z "$pid" ]]; then log "not running on port $ES_PORT"; exit 3; fi
    if ! curl --silent --fail --max-time 10 "$HEALTH"; then log "pid $pid runs but $HEALTH does not answer"; exit 1; fi
    echo
}

case "$cmd" in
    start) start ;;
    stop) stop ;;
    wipe) stop; rm -rf "$ES_NODE_DIR"; log "removed $ES_NODE_DIR" ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status|wipe" >&2; exit 2 ;;
esac
