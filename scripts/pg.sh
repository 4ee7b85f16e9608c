#!/usr/bin/env bash
# Start, stop or check a local PostgreSQL server for tests and development.
#
#   scripts/pg.sh start|stop|status|wipe      (wipe: stop and delete the server's data)
#
# `status` exits 0 when the server runs and accepts connections, 3 when it does not run, 1 when
# it runs but does not accept connections (yet).
#
# `start` uses Debian's PostgreSQL server binaries (installed with apt-get when missing and
# run as root), creates a cluster of its own with initdb (not the system cluster), starts it
# on 127.0.0.1 as a non-root user, tuned for tests (fsync off), and creates the database
# `genekb` owned by the superuser `genekb` (trust authentication). Environment:
#   PG_PORT   TCP port (default 5433, beside a system server on 5432)
#   PG_BASE   where clusters keep their files (default var/pg in the checkout; /var/tmp/genekb-pg
#             when run as root, so the server's user can reach it)
#   PG_DATA   data dir of this cluster, with its log and unix socket (default $PG_BASE/data-$PG_PORT)
#   PG_USER   user that runs the server when started as root (default genekb-pg)
#   PG_BIN    PostgreSQL's bin dir (default: the newest /usr/lib/postgresql/*/bin)
set -euo pipefail

cmd="${1:-}"
PG_PORT="${PG_PORT:-5433}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [[ "$(id -u)" == 0 ]]; then PG_BASE="${PG_BASE:-/var/tmp/genekb-pg}"; else PG_BASE="${PG_BASE:-$ROOT/var/pg}"; fi
PG_DATA="${PG_DATA:-$PG_BASE/data-$PG_PORT}"
PG_USER="${PG_USER:-genekb-pg}"
LOGFILE="$PG_DATA/server.log"
URL="postgresql+psycopg://genekb@127.0.0.1:$PG_PORT/genekb"
CONN=(-h 127.0.0.1 -p "$PG_PORT" -U genekb)

log() { echo "pg.sh: $*" >&2; }

newest_bin() {
    local found=(/usr/lib/postgresql/*/bin/postgres)
    [[ -x "${found[0]}" ]] || return 0
    dirname "$(printf '%s\n' "${found[@]}" | sort -V | tail -n 1)"
}

# The server binaries: PG_BIN, else the newest Debian ones, installed with apt-get if we are root.
install_server() {
    [[ -n "$PG_BIN" ]] && return
    if [[ "$(id -u)" != 0 ]]; then
        log "no PostgreSQL server under /usr/lib/postgresql; install it (sudo apt-get install postgresql), run this as root, or set PG_BIN"
        exit 1
    fi
    log "installing PostgreSQL with apt-get"
    local apt=(env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql)
    "${apt[@]}" || { apt-get update && "${apt[@]}"; }
    PG_BIN="$(newest_bin)"
    [[ -n "$PG_BIN" ]] || { log "apt-get installed no server under /usr/lib/postgresql"; exit 1; }
}

# Runs a server command as the server's user (PostgreSQL refuses to run as root), from a
# directory that user can enter.
as_server() {
    if [[ "$(id -u)" == 0 ]]; then
        (cd "$PG_BASE" && runuser -u "$PG_USER" -- "$@")
    else
        "$@"
    fi
}

is_running() { [[ -n "$PG_BIN" && -f "$PG_DATA/PG_VERSION" ]] && as_server "$PG_BIN/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1; }

init_cluster() {
    [[ -f "$PG_DATA/PG_VERSION" ]] && return
    mkdir -p "$PG_BASE"
    chmod 755 "$PG_BASE"
    if [[ "$(id -u)" == 0 ]]; then
        id "$PG_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER"
        mkdir -p "$PG_DATA"
        chown "$PG_USER" "$PG_DATA"
    fi
    local locale=C.UTF-8
    locale -a 2>/dev/null | grep -qixE 'c\.utf-?8' || locale=C
    log "creating a cluster in $PG_DATA (PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}'), locale $locale)"
    as_server "$PG_BIN/initdb" -D "$PG_DATA" --auth=trust --username=genekb --encoding=UTF8 \
        --locale="$locale" >"$PG_BASE/initdb-$PG_PORT.log" 2>&1 \
        || { cat "$PG_BASE/initdb-$PG_PORT.log" >&2; exit 1; }
    rm -f "$PG_BASE/initdb-$PG_PORT.log"
    # Later lines win over initdb's defaults. A test server: durability is traded for speed.
    cat >> "$PG_DATA/postgresql.conf" <<EOF

# genekb test server (scripts/pg.sh)
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_DATA'
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
}

create_db() {
    if [[ "$("$PG_BIN/psql" "${CONN[@]}" -d postgres -tAc "select 1 from pg_database where datname = 'genekb'")" != 1 ]]; then
        "$PG_BIN/createdb" "${CONN[@]}" genekb
        log "created database genekb"
    fi
}

start() {
    install_server
    if is_running; then
        log "already running on port $PG_PORT ($PG_DATA)"
    else
        # pg_isready: 2 = no answer; anything else means some other server holds the port.
        local rc=0
        "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" || rc=$?
        if [[ "$rc" != 2 ]]; then log "another server answers on port $PG_PORT"; exit 1; fi
        init_cluster
        log "starting PostgreSQL on 127.0.0.1:$PG_PORT (log $LOGFILE)"
        as_server "$PG_BIN/pg_ctl" start -D "$PG_DATA" -l "$LOGFILE" -w -t "${PG_START_TIMEOUT:-60}" >/dev/null \
            || { log "the server did not start; last log lines:"; tail -n 40 "$LOGFILE" >&2 || true; exit 1; }
    fi
    create_db
    log "ready: $URL"
    echo "$URL"
}

stop() {
    if ! is_running; then log "not running on port $PG_PORT"; return; fi
    as_server "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m fast -w >/dev/null
    log "stopped"
}

# Exit status as an init script's: 0 running and accepting connections (prints the URL), 3 not
# running, 1 the server runs but does not accept connections (yet).
status() {
    if ! is_running; then log "not running on port $PG_PORT"; exit 3; fi
    if ! "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$PG_PORT" -d genekb -U genekb; then
        log "the server in $PG_DATA runs but does not accept connections"; exit 1
    fi
    echo "$URL"
}

PG_BIN="${PG_BIN:-$(newest_bin)}"
case "$cmd" in
    start) start ;;
    stop) stop ;;
    wipe) stop; rm -rf "$PG_DATA"; log "removed $PG_DATA" ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status|wipe" >&2; exit 2 ;;
esac
