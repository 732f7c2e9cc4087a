#!/usr/bin/env bash
# Creates a Weft data directory holding the given workflows, so a benchmark can time a start
# on an already-prepared database (as the peers' scripts do for n8n).
# usage: prepare-data-dir.sh WEFT_BIN DATA_DIR ADMIN_PASSWORD WORKFLOW.json...
set -euo pipefail
WEFT=${1:?weft binary}; DIR=${2:?data dir}; PW=${3:?admin password}; shift 3
rm -rf "$DIR"; mkdir -p "$DIR"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
WEFT_ADMIN_PASSWORD="$PW" WEFT_DATA_DIR="$DIR" WEFT_LOG=warn "$WEFT" serve --listen "127.0.0.1:$PORT" >"$DIR/prepare.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && break; sleep 0.1; done
TOKEN=$(curl -sf -X POST "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$PW\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
for wf in "$@"; do
  curl -sf -X POST "http://127.0.0.1:$PORT/api/v1/workflows" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -d @"$wf" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
done
kill "$pid"; wait "$pid" 2>/dev/null || true
trap - EXIT
