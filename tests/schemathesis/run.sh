#!/usr/bin/env bash
# schemathesis (every check) against `isf serve --demo` on a fresh SQLite database, as the demo's
# provider_admin (who may make every request). Exits non-zero on any finding.
# Usage: tests/schemathesis/run.sh ISF_BINARY    Needs python3; installs schemathesis in a venv.
set -euo pipefail
ISF=$(realpath "$1")
cd "$(dirname "$0")"
VENV=${SCHEMATHESIS_VENV:-$PWD/.venv}
[ -x "$VENV/bin/schemathesis" ] || { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q schemathesis==4.32.5; }
WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# exec: the subshell becomes the server, so the trap below stops the server itself.
(cd ../.. && exec "$ISF" --database "sqlite://$WORK/st.db?mode=rwc" serve --demo --bind "127.0.0.1:$PORT" >"$WORK/serve.out" 2>"$WORK/serve.err") &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 120); do
    TOKEN=$(awk '$1 == "admin" {print $4}' "$WORK/serve.out" 2>/dev/null || true)
    [ -n "$TOKEN" ] && curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
    sleep 0.5
done
[ -n "${TOKEN:-}" ] || { cat "$WORK/serve.out" "$WORK/serve.err" >&2; echo "the demo server did not start" >&2; exit 1; }
"$VENV/bin/schemathesis" --config-file schemathesis.toml run "http://127.0.0.1:$PORT/api/openapi.json" \
    --checks all -H "Authorization: Bearer $TOKEN" --seed "${SCHEMATHESIS_SEED:-1}"
