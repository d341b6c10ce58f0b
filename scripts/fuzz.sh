#!/usr/bin/env bash
# Fuzz the running platform through its gateway: `make fuzz` (after `make demo` or `make up`).
# schemathesis generates requests from /openapi.json (every operation, as the operator), including invalid
# ones, and checks that none gets a 5xx and every answer matches the documented schema; then the services'
# logs must hold no ERROR line written during the run (a caller's bad request is a WARNING, a fault an ERROR).
# It registers shops, pushes stock and places orders: `make clean demo` starts over with clean demo data.
# The gateway's rate limits (3,000 requests a minute from one address) answer most of a run with 429: for a
# deeper one start the platform with GATEWAY_RATE_LIMIT_PER_ADDRESS=1000000 GATEWAY_RATE_LIMIT_PER_KEY=1000000.
#   FUZZ_EXAMPLES (100 per operation), GATEWAY_PORT (8000), GATEWAY_OPERATOR_KEY (the development key)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV=${VENV:-$ROOT/.venv}
VAR=${MARKTPLATZ_VAR:-$ROOT/var}
BASE=http://127.0.0.1:${GATEWAY_PORT:-8000}
KEY=${GATEWAY_OPERATOR_KEY:-dev-operator-key}

if ! curl -sf -o /dev/null "$BASE/healthz"; then
  echo "no gateway answers at $BASE: start the platform first (make demo)" >&2
  exit 2
fi

# where each service's log ends now: only what the run adds is checked
shopt -s nullglob
declare -A before
for log in "$VAR"/log/*.log; do before[$log]=$(wc -c <"$log"); done

mkdir -p "$VAR/fuzz"  # schemathesis keeps its cache in the working directory
status=0
(cd "$VAR/fuzz" && "$VENV/bin/schemathesis" run "$BASE/openapi.json" -H "Authorization: Bearer $KEY" \
  --checks not_a_server_error,response_schema_conformance --max-examples "${FUZZ_EXAMPLES:-100}" --workers 1) ||
  status=1

errors=0
for log in "$VAR"/log/*.log; do
  found=$(tail -c +"$((${before[$log]:-0} + 1))" "$log" | grep '"level": "ERROR"' || true)
  echo "$(basename "$log" .log): $(printf '%s' "$found" | grep -c . || true) ERROR lines during the run"
  if [ -n "$found" ]; then
    errors=1
    printf '%s\n' "$found" | head -3 | cut -c1-400
  fi
done
[ "$errors" = 0 ] || status=1
exit "$status"
