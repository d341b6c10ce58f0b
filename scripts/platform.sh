#!/usr/bin/env bash
# Start, stop and inspect the platform on one machine: every service as its own background process, state
# under var/ (SQLite files, search index, mail), logs under var/log/, process ids under var/run/.
#   scripts/platform.sh up | down | status
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV=${VENV:-$ROOT/.venv}
VAR=${MARKTPLATZ_VAR:-$ROOT/var}
export MARKTPLATZ_VAR=$VAR
SERVICES=${SERVICES:-"catalog search orders notifications"}
mkdir -p "$VAR/log" "$VAR/run"

# a killed process nobody reaped yet (a zombie: some container inits never reap) is not running
alive() { kill -0 "$1" 2>/dev/null && ! grep -qs '^State:[[:space:]]*Z' "/proc/$1/status"; }
running() { [ -f "$VAR/run/$1.pid" ] && alive "$(cat "$VAR/run/$1.pid")"; }

start_service() {
  local svc=$1
  if running "$svc"; then echo "  $svc: already running (pid $(cat "$VAR/run/$svc.pid"))"; return; fi
  # setsid: each service leads its own process group, so `down` stops it with everything it started
  pushd "services/$svc" >/dev/null
  env CATALOG_DATABASE_URL="${CATALOG_DATABASE_URL:-sqlite:///$VAR/catalog.db}" \
      SEARCH_DATABASE_URL="${SEARCH_DATABASE_URL:-sqlite:///$VAR/search.db}" \
      ORDERS_DATABASE_URL="${ORDERS_DATABASE_URL:-sqlite:///$VAR/orders.db}" \
      NOTIFICATIONS_DATABASE_URL="${NOTIFICATIONS_DATABASE_URL:-sqlite:///$VAR/notifications.db}" \
      setsid "$VENV/bin/nameko" run --config config.yaml "$svc.service" >>"$VAR/log/$svc.log" 2>&1 </dev/null &
  echo $! > "$VAR/run/$svc.pid"
  popd >/dev/null
  echo "  $svc: started (pid $(cat "$VAR/run/$svc.pid"), log var/log/$svc.log)"
}

wait_healthy() {  # wait_healthy SECONDS SERVICE...
  "$VENV/bin/python" -W ignore - "$@" 2>/dev/null <<'PY'
import sys, time
from nameko.standalone.rpc import ClusterRpcProxy
import os
config = {"AMQP_URI": os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")}
seconds = int(sys.argv[1])
deadline = time.time() + seconds
pending = set(sys.argv[2:])
with ClusterRpcProxy(config, timeout=2) as rpc:
    while pending and time.time() < deadline:
        for svc in sorted(pending):
            try:
                getattr(rpc, svc).health()
                pending.discard(svc)
            except Exception:
                time.sleep(0.3)
if pending:
    print(f"  not answering after {seconds} s: " + ", ".join(sorted(pending)) + " (see var/log/)")
    print("PENDING: " + " ".join(sorted(pending)))
    sys.exit(1)
print("  all services answer")
PY
}

# A service that runs but does not answer within 15 s is restarted once, as a supervisor (or Kubernetes) would: seen after
# a RabbitMQ restart, rarely, when a service's consumers stopped taking messages (fixed 2026-12-04, see README).
wait_healthy_or_restart() {
  local out svc
  if out=$(wait_healthy 15 "$@"); then echo "$out"; return 0; fi
  echo "$out" | grep -v '^PENDING:' || true
  for svc in $(echo "$out" | sed -n 's/^PENDING: //p'); do
    if ! running "$svc"; then continue; fi
    echo "  $svc: running but not answering: restarting it"
    stop_service "$svc"
    start_service "$svc"
  done
  if out=$(wait_healthy 60 "$@"); then echo "$out"; return 0; fi
  echo "$out" | grep -v '^PENDING:' || true
  return 1
}

stop_service() {
  local svc=$1
  if ! [ -f "$VAR/run/$svc.pid" ]; then return; fi
  local pid; pid=$(cat "$VAR/run/$svc.pid")
  if alive "$pid"; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do alive "$pid" || break; sleep 0.2; done
    if alive "$pid"; then
      echo "  $svc: did not stop within 10 s: killed"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do alive "$pid" || break; sleep 0.1; done  # gone before `down` returns
    fi
    echo "  $svc: stopped"
  fi
  rm -f "$VAR/run/$svc.pid"
}

case "${1:-}" in
  up)
    scripts/ensure-rabbitmq.sh
    for svc in $SERVICES; do start_service "$svc"; done
    if [ -x scripts/gateway.sh ]; then scripts/gateway.sh start; fi
    wait_healthy_or_restart $SERVICES
    ;;
  down)
    if [ -x scripts/gateway.sh ]; then scripts/gateway.sh stop; fi
    for svc in $SERVICES; do stop_service "$svc"; done
    ;;
  status)
    for svc in $SERVICES; do
      if running "$svc"; then echo "$svc: running (pid $(cat "$VAR/run/$svc.pid"))"; else echo "$svc: stopped"; fi
    done
    ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
