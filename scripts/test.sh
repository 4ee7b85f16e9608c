#!/usr/bin/env bash
# Run pytest with the servers the tests need, starting only what is not running already.
#
#   scripts/test.sh [pytest arguments]        (`make test ARGS="..."` runs it after install, lint,
#                                              types and browser; `make pytest` runs pytest without it)
#
# Elasticsearch (scripts/es.sh) and PostgreSQL (scripts/pg.sh): a server whose `status` says it
# is running is used and left running; one that is not is started here and stopped again when this
# script ends, whether the tests pass, fail or are interrupted (Ctrl-C, SIGTERM, SIGHUP). Nothing
# this script did not start is ever stopped. Arguments go to pytest unchanged (default: the whole
# suite). Environment:
#   ES_PORT, PG_PORT  ports of the servers (defaults 9200 and 5433); KB_TEST_ES_URL and
#                     KB_TEST_PG_URL are pointed at them
#   KB_TEST_ES_URL    when set, that Elasticsearch is used as is: nothing is started or stopped
#   KB_TEST_PG_URL    when set, that PostgreSQL is used as is: nothing is started or stopped
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PYTHON="$ROOT/.venv/bin/python"

log() { echo "test.sh: $*" >&2; }

[[ -x "$PYTHON" ]] || { log "no $PYTHON: run make install (or make test, which does it)"; exit 1; }

started=()  # the servers this script started, stopped again on exit

cleanup() {
    local rc=$? i
    trap - EXIT INT TERM HUP
    trap '' INT  # a second Ctrl-C must not cut the stops short
    for (( i = ${#started[@]} - 1; i >= 0; i-- )); do
        log "stopping ${started[i]} (started by this run)"
        "scripts/${started[i]}.sh" stop || { log "could not stop ${started[i]}"; rc=1; }
    done
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ensure NAME: leave a running server alone, else start it and remember to stop it. `status` exits
# 3 when the server is not running (any other failure means a server process exists, e.g. still
# starting: `start` then only waits for it and it is not ours to stop).
ensure() {
    local name="$1" rc=0
    "scripts/$name.sh" status >/dev/null 2>&1 || rc=$?
    if [[ "$rc" == 0 ]]; then
        log "$name is already running: using it, leaving it running"
        return
    fi
    if [[ "$rc" == 3 ]]; then
        started+=("$name")  # before start: a start that fails half-way is stopped too
        log "$name is not running: starting it, stopping it when the tests end"
    else
        log "$name is running but not ready (status exited $rc): waiting for it, leaving it running"
    fi
    "scripts/$name.sh" start >/dev/null
}

if [[ -n "${KB_TEST_ES_URL:-}" ]]; then
    log "KB_TEST_ES_URL=$KB_TEST_ES_URL: using that Elasticsearch, not starting one"
else
    export KB_TEST_ES_URL="http://127.0.0.1:${ES_PORT:-9200}"
    ensure es
fi
if [[ -n "${KB_TEST_PG_URL:-}" ]]; then
    log "KB_TEST_PG_URL is set: using that PostgreSQL, not starting one"
else
    export KB_TEST_PG_URL="postgresql+psycopg://genekb@127.0.0.1:${PG_PORT:-5433}/genekb"
    ensure pg
fi

"$PYTHON" -m pytest "$@"
