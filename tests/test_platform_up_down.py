"""`make up` starts every service as its own process and is idempotent; `make down` leaves none behind."""

import os
import subprocess
from pathlib import Path

from nameko.standalone.rpc import ClusterRpcProxy

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ["catalog", "search", "orders", "notifications"]


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
    )
    try:
        first = platform("up", env)
        assert first.returncode == 0, first.stdout + first.stderr
        pids = {svc: (tmp_path / "var" / "run" / f"{svc}.pid").read_text().strip() for svc in SERVICES}
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
    for pid in pids.values():
        assert not Path(f"/proc/{pid}").exists(), f"process {pid} still running after down"
    assert platform("status", env).stdout.count("stopped") == len(SERVICES)
