#!/usr/bin/env bash
# REST latency under load: start-execution (POST, each a durable execution) and
# get-execution (GET) at 50 and 200 concurrent clients, 20 s each, with oha.
# Prints a markdown table (req/s, p50/p95/p99, non-2xx) for benches/RESULTS.md.
#
# usage: benches/scripts/rest-latency.sh [DATABASE_URL]   (default: embedded SQLite)
# needs: cargo build --release; oha (cargo install oha, or ../shared/peers installs it)
set -euo pipefail
cd "$(dirname "$0")/../.."
WEFT=${CARGO_TARGET_DIR:-target}/release/weft
OHA=$(command -v oha || echo "${PEERS_ROOT:-/tmp/peers}/tools/bin/oha")
SECS=${LOAD_SECONDS:-20}
DATA=$(mktemp -d)
PW=bench-admin-password
cat >"$DATA/wf.json" <<'JSON'
{"name": "rest-bench", "nodes": [
  {"id": "start", "type": "trigger.manual"},
  {"id": "set", "type": "data.set", "config": {"fields": {"seen": true}}}],
 "edges": [{"from": "start", "to": "set"}]}
JSON
WF=$(benches/scripts/prepare-data-dir.sh "$WEFT" "$DATA/weft" "$PW" "$DATA/wf.json")
export WEFT_DATA_DIR=$DATA/weft WEFT_LOG=warn WEFT_ADMIN_PASSWORD=$PW
[[ -n "${1:-}" ]] && export WEFT_DATABASE_URL=$1
# One principal generates all the load: lift its rate limit (500/s by default).
export WEFT_GATEWAY__RATE_LIMIT__PER_PRINCIPAL__PER_SECOND=1000000 WEFT_GATEWAY__RATE_LIMIT__PER_PRINCIPAL__BURST=1000000
export WEFT_GATEWAY__RATE_LIMIT__PER_IP__PER_SECOND=1000000 WEFT_GATEWAY__RATE_LIMIT__PER_IP__BURST=1000000
"$WEFT" serve --listen 127.0.0.1:18080 >"$DATA/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$DATA"' EXIT
BASE=http://127.0.0.1:18080
for _ in $(seq 100); do curl -sf "$BASE/health/ready" >/dev/null && break; sleep 0.1; done
TOKEN=$(curl -sf -X POST "$BASE/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$PW\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
EXEC=$(curl -sf -X POST "$BASE/api/v1/workflows/$WF/executions" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' -d '{"input":{}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
run() { # name concurrency method url [body]
  local out="$DATA/$1-c$2.json"
  if [[ $3 == POST ]]; then
    "$OHA" -z "${SECS}s" -c "$2" --no-tui --output-format json -m POST -H "Authorization: Bearer $TOKEN" \
      -H 'Content-Type: application/json' -d '{"input":{"n":1}}' "$4" >"$out"
  else
    "$OHA" -z "${SECS}s" -c "$2" --no-tui --output-format json -H "Authorization: Bearer $TOKEN" "$4" >"$out"
  fi
  python3 - "$1" "$2" "$out" <<'PY'
import json, sys
name, c, path = sys.argv[1:]
d = json.load(open(path))
s, p = d["summary"], d["latencyPercentiles"]
codes = d.get("statusCodeDistribution", {})
ok = sum(v for k, v in codes.items() if k.startswith("2"))
bad = sum(v for k, v in codes.items() if not k.startswith("2"))
print(f"| {name} | {c} | {ok / s['total']:.0f} | {p['p50']*1000:.1f} | {p['p95']*1000:.1f} | {p['p99']*1000:.1f} | {bad} |")
PY
}
echo "| request | clients | req/s (2xx) | p50 ms | p95 ms | p99 ms | non-2xx |"
echo "|---|---|---|---|---|---|---|"
for c in 50 200; do
  run start-execution "$c" POST "$BASE/api/v1/workflows/$WF/executions"
  run get-execution "$c" GET "$BASE/api/v1/executions/$EXEC"
done
echo "server RSS after the runs: $(( $(ps -o rss= -p $pid) / 1024 )) MiB" >&2
