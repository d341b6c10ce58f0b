#!/usr/bin/env bash
# Start or stop the gateway (gunicorn, gthread workers) in the background; `make up` / `make down` call it.
#   scripts/gateway.sh start | stop | status
# pid in $MARKTPLATZ_VAR/run/gateway.pid, log in $MARKTPLATZ_VAR/log/gateway.log, port GATEWAY_PORT (8000),
# address GATEWAY_HOST (127.0.0.1). start returns once /healthz answers.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV=${VENV:-$ROOT/.venv}
VAR=${MARKTPLATZ_VAR:-$ROOT/var}
export MARKTPLATZ_VAR=$VAR
PORT=${GATEWAY_PORT:-8000}
HOST=${GATEWAY_HOST:-127.0.0.1}
PIDFILE=$VAR/run/gateway.pid
PROM_DIR=$VAR/run/gateway-metrics
mkdir -p "$VAR/log" "$VAR/run"

# a killed process nobody reaped yet (a zombie: some container inits never reap) is not running
alive() { kill -0 "$1" 2>/dev/null && ! grep -qs '^State:[[:space:]]*Z' "/proc/$1/status"; }
running() { [ -f "$PIDFILE" ] && alive "$(cat "$PIDFILE")"; }

start() {
  if running; then echo "  gateway: already running (pid $(cat "$PIDFILE"))"; return; fi
  rm -f "$PIDFILE"  # stale (the process was killed): gunicorn refuses to start while its pid answers
  rm -rf "$PROM_DIR" && mkdir -p "$PROM_DIR"
  cd services/gateway
  env GATEWAY_BIND="$HOST:$PORT" PROMETHEUS_MULTIPROC_DIR="$PROM_DIR" \
      GATEWAY_DATABASE_URL="${GATEWAY_DATABASE_URL:-sqlite:///$VAR/gateway.db}" \
      setsid "$VENV/bin/gunicorn" -c python:gateway.gunicorn_conf --pid "$PIDFILE" \
      "gateway.app:create_app()" >>"$VAR/log/gateway.log" 2>&1 </dev/null &
  local launched=$!
  cd "$ROOT"
  for _ in $(seq 1 150); do
    if "$VENV/bin/python" -c "import sys, urllib.request; urllib.request.urlopen('http://$HOST:$PORT/healthz', timeout=1)" 2>/dev/null; then
      echo $launched > "$PIDFILE"
      echo "  gateway: started (pid $launched, http://$HOST:$PORT, log $VAR/log/gateway.log)"
      return
    fi
    if ! kill -0 "$launched" 2>/dev/null; then break; fi
    sleep 0.2
  done
  echo "  gateway: did not answer on http://$HOST:$PORT/healthz (see $VAR/log/gateway.log)" >&2
  kill -TERM -- "-$launched" 2>/dev/null || true
  exit 1
}

stop() {
  [ -f "$PIDFILE" ] || return 0
  local pid; pid=$(cat "$PIDFILE")
  if alive "$pid"; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do alive "$pid" || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    echo "  gateway: stopped"
  fi
  rm -f "$PIDFILE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo "gateway: running (pid $(cat "$PIDFILE"))"; else echo "gateway: stopped"; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
