"""/metrics under gunicorn with several workers adds up every worker's counts (PROMETHEUS_MULTIPROC_DIR)."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from marktplatz_shared.testing import process_alive

GATEWAY = Path(__file__).resolve().parents[1]
HEALTHZ = re.compile(r'^gateway_http_requests_total\{method="GET",route="/healthz",status="200"\} (\S+)$', re.M)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.read().decode()


def healthz_count(base: str) -> float:
    found = HEALTHZ.search(get(f"{base}/metrics"))
    return float(found.group(1)) if found else 0.0


def worker_files(directory: Path) -> set[str]:
    """The pids of the workers that recorded a counter (prometheus-client writes counter_<pid>.db)."""
    return {path.stem.split("_")[-1] for path in directory.glob("counter_*.db")}


def test_metrics_add_up_the_requests_every_gunicorn_worker_answered(fakes_uri, tmp_path):
    port, metrics_dir = free_port(), tmp_path / "prometheus-multiproc"
    metrics_dir.mkdir()
    env = dict(
        os.environ,
        AMQP_URI=fakes_uri,
        MARKTPLATZ_VAR=str(tmp_path),
        GATEWAY_DATABASE_URL=f"sqlite:///{tmp_path}/gateway.db",
        GATEWAY_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="2",
        GUNICORN_THREADS="4",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    # the log goes to a file: a pipe nobody reads fills up with access lines (64 KiB, a few hundred requests)
    # and then blocks every worker that writes one
    log = tmp_path / "gunicorn.log"
    with log.open("w") as stderr:
        server = subprocess.Popen(
            [gunicorn, "-c", "python:gateway.gunicorn_conf", "gateway.app:create_app()"],
            cwd=GATEWAY,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                get(f"{base}/healthz")
                break
            except OSError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "gunicorn did not answer within 30 s"
                time.sleep(0.2)
        sent = 1

        # concurrent requests until both workers have answered some (the kernel picks the worker)
        with ThreadPoolExecutor(max_workers=8) as pool:
            for _ in range(50):
                list(pool.map(lambda _: get(f"{base}/healthz"), range(16)))
                sent += 16
                if len(worker_files(metrics_dir)) >= 2:
                    break
        assert len(worker_files(metrics_dir)) >= 2, "only one worker answered: the sum proves nothing"

        # whichever worker answers /metrics, it reports every worker's requests
        for _ in range(4):
            assert healthz_count(base) == sent

        # a worker that dies takes none of the counts with it (child_exit only drops live gauges)
        worker = int(sorted(worker_files(metrics_dir))[0])
        os.kill(worker, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while process_alive(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        get(f"{base}/healthz")
        sent += 1
        assert healthz_count(base) == sent
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
