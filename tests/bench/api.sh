#!/usr/bin/env bash
# HTTP load (figures to report, not a timed test): requests/s and p99 latency of a fund read
# (GET /api/agreements/{ref}) and of a receipt POST, at 64 connections on loopback with wrk,
# against `serve --demo` on SQLite and on PostgreSQL.
# Usage: tests/bench/api.sh [SECONDS]   Needs wrk (apt-get install wrk) and the PostgreSQL of .ci/run.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-15}
PG_ADMIN=${PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}
cargo build --release --bin isf >/dev/null 2>&1
ISF=$PWD/target/release/isf
WORK=$(mktemp -d "${TMPDIR:-/tmp}/isf-wrk.XXXXXX")
SERVER=
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT

run_engine() { # run_engine LABEL URL
    local port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "$ISF" --database "$2" serve --demo --bind "127.0.0.1:$port" >"$WORK/serve.out" 2>"$WORK/serve.err" &
    SERVER=$!
    for _ in $(seq 1 120); do
        ISF_TOKEN=$(awk '$1 == "admin" {print $4}' "$WORK/serve.out" 2>/dev/null || true)
        [ -n "$ISF_TOKEN" ] && curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
        sleep 0.5
    done
    export ISF_TOKEN
    echo "== $1: fund read, GET /api/agreements/AG-00001, 64 connections, ${SECS}s"
    wrk -t2 -c64 -d"${SECS}s" --latency -s tests/bench/wrk/read.lua "http://127.0.0.1:$port/api/agreements/AG-00001" |
        grep -E "Requests/sec|99%|Non-2xx|Socket errors"
    echo "== $1: receipt POST /api/receipts, 64 connections, ${SECS}s"
    wrk -t2 -c64 -d"${SECS}s" --latency -s tests/bench/wrk/receipt.lua "http://127.0.0.1:$port" -- AG-00001 ASC |
        grep -E "Requests/sec|99%|Non-2xx|Socket errors"
    kill $SERVER; wait $SERVER 2>/dev/null || true; SERVER=
}

run_engine SQLite "sqlite://$WORK/isf.db?mode=rwc"
psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS isf_bench_wrk WITH (FORCE)" -c "CREATE DATABASE isf_bench_wrk" >/dev/null
run_engine PostgreSQL "${PG_ADMIN%/*}/isf_bench_wrk"
psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS isf_bench_wrk WITH (FORCE)" >/dev/null
