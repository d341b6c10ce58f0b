"""scripts/gateway.sh runs the app under gunicorn (gthread) and stops it without leaving a process."""

import json
import os
import socket
import subprocess
import urllib.request
from pathlib import Path

from marktplatz_shared.testing import process_alive

ROOT = Path(__file__).resolve().parents[3]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gateway_script_serves_http_through_gunicorn_and_stop_leaves_no_process(fakes_uri, tmp_path):
    port = free_port()
    env = dict(
        os.environ,
        AMQP_URI=fakes_uri,
        MARKTPLATZ_VAR=str(tmp_path),
        GATEWAY_PORT=str(port),
        GUNICORN_WORKERS="1",
        GUNICORN_THREADS="2",
    )
    script = str(ROOT / "scripts" / "gateway.sh")
    started = subprocess.run([script, "start"], env=env, capture_output=True, text=True, timeout=60)
    assert started.returncode == 0, started.stdout + started.stderr
    pid = (tmp_path / "run" / "gateway.pid").read_text().strip()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=10) as answer:
            assert json.load(answer)["status"] == "ready"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/vendors", timeout=10) as answer:
            assert answer.status == 200 and answer.headers["X-Correlation-ID"]
    finally:
        stopped = subprocess.run([script, "stop"], env=env, capture_output=True, text=True, timeout=60)
    assert stopped.returncode == 0
    assert not process_alive(pid)
    assert '"logger": "gateway.access"' in (tmp_path / "log" / "gateway.log").read_text()
