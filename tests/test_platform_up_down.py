"""`make up` starts every service and the gateway as its own process, idempotently; `make down` stops them all."""

import os
import socket
import subprocess
import urllib.request
from pathlib import Path

from nameko.standalone.rpc import ClusterRpcProxy

from marktplatz_shared.testing import process_alive

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ["catalog", "search", "orders", "notifications"]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def platform(command, env):
    return subprocess.run(
        ["scripts/platform.sh", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )


def test_up_is_idempotent_and_down_leaves_no_process(amqp_uri, tmp_path):
    env = dict(
        os.environ,
        AMQP_URI=amqp_uri,
        MARKTPLATZ_VAR=str(tmp_path / "var"),
        SERVICES=" ".join(SERVICES),
        METRICS_PORT="0",
        CATALOG_METRICS_PORT="0",
        SEARCH_METRICS_PORT="0",
        ORDERS_METRICS_PORT="0",
        NOTIFICATIONS_METRICS_PORT="0",
        GATEWAY_PORT=str(free_port()),
    )
    try:
        first = platform("up", env)
        assert first.returncode == 0, first.stdout + first.stderr
        pids = {svc: (tmp_path / "var" / "run" / f"{svc}.pid").read_text().strip() for svc in SERVICES}
        gateway_pid = (tmp_path / "var" / "run" / "gateway.pid").read_text().strip()
        health = urllib.request.urlopen(f"http://127.0.0.1:{env['GATEWAY_PORT']}/healthz", timeout=5)
        assert health.status == 200
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=10) as rpc:
            for svc in SERVICES:
                assert getattr(rpc, svc).health()["status"] == "ok"
        again = platform("up", env)
        assert again.returncode == 0, again.stdout + again.stderr
        assert "already running" in again.stdout
        assert pids == {svc: (tmp_path / "var" / "run" / f"{svc}.pid").read_text().strip() for svc in SERVICES}
        assert (tmp_path / "var" / "catalog.db").exists()
        assert (tmp_path / "var" / "log" / "catalog.log").exists()
    finally:
        down = platform("down", env)
    assert down.returncode == 0, down.stdout + down.stderr
    for pid in [*pids.values(), gateway_pid]:
        assert not process_alive(pid), f"process {pid} still running after down"
    assert platform("status", env).stdout.count("stopped") == len(SERVICES)
