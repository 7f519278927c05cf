#!/usr/bin/env bash
# The API keeps its contract: a bounded schemathesis run against the real binary, on a
# small seeded SQLite organisation, authenticated once as a member and once as an admin.
# Fails on any 5xx, any answer that does not match its documented schema, status or
# content type (checks below). Run by .ci/run; takes a few minutes on 2 cores.
#
#   scripts/schemathesis.sh                   # debug build, 10 examples per operation (~1.5 min)
#   MAX_EXAMPLES=20 scripts/schemathesis.sh   # longer, finds more
#   SERVER_BIN=target/release/circles scripts/schemathesis.sh   (not CIRCLES_*: that is config)
#
# Needs `st` (python3 -m pip install schemathesis).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

MAX_EXAMPLES="${MAX_EXAMPLES:-10}"
PORT="${PORT:-18090}"
CHECKS="not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
PASSWORD="circles demo passphrase"

if [ -z "${SERVER_BIN:-}" ]; then
    cargo build -p circles
    SERVER_BIN="$root/target/debug/circles"
fi
ST="$(command -v st || command -v schemathesis || true)"
[ -n "$ST" ] || { echo "schemathesis is not installed: python3 -m pip install schemathesis"; exit 1; }

tmp="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

export CIRCLES_DATA__DIR="$tmp/data"
export CIRCLES_SERVER__PORT="$PORT"
export CIRCLES_SERVER__PUBLIC_URL="http://127.0.0.1:$PORT"
# Schemathesis signs in and registers far more often than a person: limits out of the way.
for limit in LOGIN_PER_IP MFA_PER_IP REGISTER_PER_IP RESET_PER_IP RESET_PER_ACCOUNT VERIFICATION_PER_ACCOUNT; do
    export "CIRCLES_RATE_LIMIT__$limit=1000000"
done
export RUST_LOG="${RUST_LOG:-warn}"

(cd "$tmp" && "$SERVER_BIN" demo seed --members 60 --circles 4 --events 6 >/dev/null)
(cd "$tmp" && exec "$SERVER_BIN" serve >"$tmp/server.log" 2>&1) &
server_pid=$!
base="http://127.0.0.1:$PORT"
for _ in $(seq 1 60); do
    curl -fsS "$base/health/live" >/dev/null 2>&1 && break
    sleep 0.5
done
curl -fsS "$base/health/live" >/dev/null || { cat "$tmp/server.log"; echo "server did not start"; exit 1; }

token_of() {
    curl -fsS "$base/api/v1/auth/login" -H 'content-type: application/json' \
        -d "{\"email\":\"$1\",\"password\":\"$PASSWORD\"}" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

status=0
for who in member admin; do
    token="$(token_of "$who@demo.example.org")"
    echo "==> schemathesis as $who ($MAX_EXAMPLES examples per operation)"
    started=$(date +%s)
    # Signing out everywhere would end this run's own session; the rest would only see 401.
    # From the temporary folder: schemathesis keeps its cache (.schemathesis/) in the
    # working folder, which is not the repository's business.
    (cd "$tmp" && "$ST" run "$base/api/openapi.json" \
        --checks "$CHECKS" \
        --max-examples "$MAX_EXAMPLES" \
        --generation-deterministic \
        --request-timeout 20 \
        --header "Authorization: Bearer $token" \
        --exclude-path-regex '/(logout|sessions|password|me/mfa)' \
        --no-color) || status=1
    echo "    as $who: $(( $(date +%s) - started ))s"
done
if grep -q '"level":"ERROR"\|ERROR' "$tmp/server.log"; then
    echo "==> the server logged errors:"; grep 'ERROR' "$tmp/server.log" | head -20
fi
exit $status
