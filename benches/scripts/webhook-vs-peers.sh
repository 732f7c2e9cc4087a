#!/usr/bin/env bash
# The peers' webhook benchmark (webhook → set → if → respond) against Weft, with the same load
# profile and in the same results.csv as ../shared/peers (oha, 1/10/50 clients, 20 s each).
# Every call is a durable execution in embedded mode (SQLite).
#
# usage: benches/scripts/webhook-vs-peers.sh [PEERS_DIR]   (default ../shared/peers)
# Build first: cargo build --release. Node-RED side by side: bash ../shared/peers/node-red.sh all
set -euo pipefail
cd "$(dirname "$0")/../.."
PEERS=${1:-../shared/peers}
WEFT=$PWD/target/release/weft
[[ -x $WEFT ]] || WEFT=${CARGO_TARGET_DIR:-target}/release/weft
DATA=${PEERS_ROOT:-/tmp/peers}/weft-data
benches/scripts/prepare-data-dir.sh "$WEFT" "$DATA" bench-admin-password examples/webhook-respond.json >/dev/null
# One client address generates all the load: the per-IP limit (2000/s by default) would
# measure the limiter, not the engine.
export WEFT_DATA_DIR=$DATA WEFT_LOG=warn WEFT_GATEWAY__RATE_LIMIT__PER_IP__PER_SECOND=1000000 \
  WEFT_GATEWAY__RATE_LIMIT__PER_IP__BURST=1000000
exec bash "$PEERS/bench-url.sh" weft http://127.0.0.1:8080/hooks/bench -- "$WEFT" serve --listen 127.0.0.1:8080
