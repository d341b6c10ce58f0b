#!/usr/bin/env bash
# Make sure a local RabbitMQ answers on 127.0.0.1:5672: use a running one, start an installed one, or install
# it from the OS packages (Debian/Ubuntu, as root or with password-less sudo). Otherwise say what to do.
set -euo pipefail

port_open() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }
wait_port() {
  for _ in $(seq 1 120); do port_open && return 0; sleep 0.5; done
  return 1
}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif sudo -n true 2>/dev/null; then sudo "$@"; else return 1; fi; }

if port_open; then
  echo "RabbitMQ: running on 127.0.0.1:5672"
  exit 0
fi

if ! command -v rabbitmq-server >/dev/null 2>&1 && ! [ -x /usr/sbin/rabbitmq-server ]; then
  if command -v apt-get >/dev/null 2>&1 && as_root true; then
    echo "RabbitMQ: not installed; installing rabbitmq-server from the OS packages"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q rabbitmq-server >/dev/null \
      || { as_root apt-get update -q >/dev/null && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q rabbitmq-server >/dev/null; }
  else
    cat >&2 <<'MSG'
RabbitMQ is not running and cannot be installed automatically here.
Install and start it, then run the command again:
  Debian/Ubuntu:  sudo apt-get install rabbitmq-server && sudo systemctl start rabbitmq-server
  macOS:          brew install rabbitmq && brew services start rabbitmq
  Docker:         docker run -d -p 5672:5672 rabbitmq:3    (the tests also need rabbitmqctl on this machine)
MSG
    exit 1
  fi
fi

echo "RabbitMQ: starting"
if command -v systemctl >/dev/null 2>&1 && systemctl is-system-running >/dev/null 2>&1; then
  as_root systemctl start rabbitmq-server || as_root rabbitmq-server -detached
else
  as_root rabbitmq-server -detached || true
fi
if wait_port; then
  echo "RabbitMQ: running on 127.0.0.1:5672"
else
  echo "RabbitMQ did not come up on 127.0.0.1:5672 within 60 s; see /var/log/rabbitmq/" >&2
  exit 1
fi
