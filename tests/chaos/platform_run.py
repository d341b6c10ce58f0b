"""A platform as `make up` runs it, on a fresh vhost and a temp MARKTPLATZ_VAR, for the e2e and chaos tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path

from marktplatz_shared.testing import wait_for

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ["catalog", "search", "orders", "notifications"]
OPERATOR_KEY = "chaos-operator-key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Platform:
    """Every service its own `nameko run` process plus the gateway (gunicorn), started by scripts/platform.sh."""

    def __init__(self, amqp_uri: str, var: Path):
        self.amqp_uri = amqp_uri
        self.var = var
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.operator_key = OPERATOR_KEY
        self.env = dict(
            os.environ,
            AMQP_URI=amqp_uri,
            MARKTPLATZ_VAR=str(var),
            SERVICES=" ".join(SERVICES),
            GATEWAY_PORT=str(self.port),
            GATEWAY_OPERATOR_KEY=OPERATOR_KEY,
            GATEWAY_RATE_LIMIT_PER_ADDRESS="1000000",
            GATEWAY_RATE_LIMIT_PER_KEY="1000000",
            METRICS_PORT="0",
            CATALOG_METRICS_PORT="0",
            SEARCH_METRICS_PORT="0",
            ORDERS_METRICS_PORT="0",
            NOTIFICATIONS_METRICS_PORT="0",
            # the Maildir sink sends in milliseconds: a killed sender's claim may be taken over after 15 s
            NOTIFICATIONS_SEND_LEASE_SECONDS="15",
        )

    def script(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["scripts/platform.sh", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=240
        )

    def up(self) -> str:
        """Start whatever is not running (idempotent); return the script's output."""
        done = self.script("up")
        if done.returncode != 0:
            raise RuntimeError(f"platform.sh up failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def down(self) -> None:
        self.script("down")

    def pid(self, process: str) -> int:
        return int((self.var / "run" / f"{process}.pid").read_text().strip())

    def kill(self, process: str) -> int:
        """SIGKILL a service (or the gateway) with everything it started: its process group (setsid)."""
        pid = self.pid(process)
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        wait_for(lambda: _state(pid) in ("gone", "zombie"), timeout=10, interval=0.02, message=f"{process} to die")
        return pid


def _state(pid: int) -> str:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "gone"
    return "zombie" if "(zombie)" in status else "alive"
