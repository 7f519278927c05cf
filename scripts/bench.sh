#!/usr/bin/env bash
# HTTP benchmark of the real server (DESIGN.md §10): builds release, seeds a demo
# organisation (10,000 members, 1,000 circles, 5,000 events) into fresh databases, serves
# it, drives every scenario at a fixed rate with `loadtest`, prints the table and stops.
#
#   scripts/bench.sh                          # SQLite in a temporary folder, 200 req/s, 20 s
#   RATE=100 DURATION=10 scripts/bench.sh
#   SCENARIOS=events,event scripts/bench.sh   # only some scenarios
#   BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432 scripts/bench.sh
#                                             # two fresh PostgreSQL databases, dropped after
#   CIRCLES_BIN=/path/to/old/circles STATEMENTS_HEADER=0 scripts/bench.sh
#                                             # measure another build (before/after); an
#                                             # older build does not know the statements header
#   SCENARIOS=conversation RATE=50 BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432 \
#     BENCH_REDIS=redis://127.0.0.1:6379 scripts/bench.sh
#                                             # the live conversation: two instances on one
#                                             # PostgreSQL + Redis, 10 circles × 10 sockets
#
# Each scenario runs twice: at RATE (open loop, latency from each request's due time) and
# at SATURATION req/s, far above what the server can answer, for the rate it does reach.
# The table's "stmts" column is the database statements per request the server reports
# (metrics.statements_header); the server's peak resident memory is printed last.
#
# A measurement, not a test: the numbers depend on the machine, so nothing here passes or
# fails on them. The target is p95 < 20 ms for the reads at 200 req/s on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

RATE="${RATE:-200}"
DURATION="${DURATION:-20}"
CONCURRENCY="${CONCURRENCY:-64}"
PORT="${PORT:-18080}"
SCENARIOS="${SCENARIOS:-home,circles,circle,events,event,api-events,api-event,api-circle,api-mine,register}"
SEED_ARGS="${SEED_ARGS:-}"
SATURATION="${SATURATION:-3000}"
STATEMENTS_HEADER="${STATEMENTS_HEADER:-1}"

if [ -n "${CIRCLES_BIN:-}" ]; then
    cargo build --release -p loadtest
else
    cargo build --release -p circles -p loadtest
    CIRCLES_BIN="$root/target/release/circles"
fi

tmp="$(mktemp -d)"
server_pid=""
pg_names=()
cleanup() {
    for pid in "$server_pid" "${second_pid:-}"; do
        if [ -n "$pid" ]; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    if [ "${#pg_names[@]}" -gt 0 ]; then
        for n in "${pg_names[@]}"; do
            psql "$BENCH_POSTGRES/postgres" -qc "DROP DATABASE IF EXISTS \"$n\" WITH (FORCE)" >/dev/null || true
        done
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# Only the settings below: a stray circles.toml or CIRCLES_* variable would change what is
# measured.
# The build to measure is kept aside first: the server refuses CIRCLES_ names it does not know.
circles_bin="$CIRCLES_BIN"
for v in $(env | grep -o '^CIRCLES_[A-Z0-9_]*' || true); do unset "$v"; done
export CIRCLES_DATA__DIR="$tmp/data"
export CIRCLES_SERVER__PORT="$PORT"
export CIRCLES_SERVER__PUBLIC_URL="http://127.0.0.1:$PORT"
export CIRCLES_LOG__LEVEL=warn
# The register scenario signs in a few dozen accounts from one address.
export CIRCLES_RATE_LIMIT__LOGIN_PER_IP=100000
if [ "$STATEMENTS_HEADER" = 1 ]; then
    export CIRCLES_METRICS__STATEMENTS_HEADER=true
fi
backend=sqlite
if [ -n "${BENCH_POSTGRES:-}" ]; then
    backend=postgres
    base="bench_$$_$(date +%s)"
    pg_names=("${base}_main" "${base}_creds")
    for n in "${pg_names[@]}"; do
        psql "$BENCH_POSTGRES/postgres" -qc "CREATE DATABASE \"$n\"" >/dev/null
    done
    export CIRCLES_DATABASE__MAIN_URL="$BENCH_POSTGRES/${pg_names[0]}"
    export CIRCLES_DATABASE__CREDENTIALS_URL="$BENCH_POSTGRES/${pg_names[1]}"
    if [ -n "${BENCH_REDIS:-}" ]; then
        export CIRCLES_REDIS__URL="$BENCH_REDIS"
        export CIRCLES_REDIS__KEY_PREFIX="bench:$$:"
    fi
fi

echo "== seeding ($backend)"
# shellcheck disable=SC2086 # SEED_ARGS is a list of flags
(cd "$tmp" && "$circles_bin" demo seed $SEED_ARGS)

wait_ready() {
    for _ in $(seq 1 100); do
        if curl -fs "http://127.0.0.1:$1/health/ready" >/dev/null 2>&1; then return 0; fi
        sleep 0.2
    done
    echo "the server on port $1 did not start" >&2
    exit 1
}

echo "== serving on port $PORT"
(cd "$tmp" && exec "$circles_bin" serve) &
server_pid=$!
wait_ready "$PORT"

# The conversation scenario runs a second instance on the same databases, data folder and
# Redis (with PostgreSQL; one SQLite instance is measured alone).
second_pid=""
if [[ ",$SCENARIOS," == *",conversation,"* && -n "${BENCH_POSTGRES:-}" ]]; then
    second_port=$((PORT + 1))
    echo "== second instance on port $second_port"
    (cd "$tmp" && CIRCLES_SERVER__PORT="$second_port" exec "$circles_bin" serve) &
    second_pid=$!
    wait_ready "$second_port"
    LOADTEST_ARGS="${LOADTEST_ARGS:-} --second-url http://127.0.0.1:$second_port"
fi

echo "== loadtest: $RATE req/s for $DURATION s per scenario ($backend, $(nproc) cores)"
"$root/target/release/loadtest" --base-url "http://127.0.0.1:$PORT" --rate "$RATE" \
    --duration "$DURATION" --concurrency "$CONCURRENCY" --scenario "$SCENARIOS" ${LOADTEST_ARGS:-}

echo "== loadtest: saturation ($SATURATION req/s offered) for $DURATION s per scenario"
"$root/target/release/loadtest" --base-url "http://127.0.0.1:$PORT" --rate "$SATURATION" \
    --duration "$DURATION" --concurrency "$CONCURRENCY" --scenario "$SCENARIOS" ${LOADTEST_ARGS:-}

echo "== server peak resident memory: $(grep VmHWM "/proc/$server_pid/status" | awk '{print $2, $3}')"
