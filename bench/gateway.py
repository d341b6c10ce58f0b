"""Gateway throughput: search and product detail over HTTP through gunicorn (gthread) with 16 concurrent
clients, next to the search RPC called directly by 16 threads in the same run.

The services behind the gateway are the real catalog and search, each its own `nameko run` process as
`make up` runs them (scripts/platform.sh, SQLite and tantivy in a temp dir, a vhost of their own), seeded with
200 products of one shop; the baseline calls the same search service's RPC directly.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests
from nameko.standalone.rpc import ClusterRpcProxy

ROOT = Path(__file__).resolve().parents[1]
BROKER = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
CLIENTS = 16
REQUESTS_PER_CLIENT = int(os.environ.get("BENCH_GATEWAY_REQUESTS", "150"))


def _ctl(*args):
    exe = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    subprocess.run([exe, *args], check=True, capture_output=True, timeout=120)


def _gtin(i: int) -> str:
    """A valid EAN-13 (in-store range 2...) for product i."""
    first = f"2{i:011d}"
    total = sum(int(d) * (3 if n % 2 else 1) for n, d in enumerate(first))
    return first + str((10 - total % 10) % 10)


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(clients, make_call):
    latencies: list[float] = []
    lock = threading.Lock()
    errors = []

    def worker():
        call = make_call()
        mine = []
        try:
            for _ in range(REQUESTS_PER_CLIENT):
                started = time.perf_counter()
                call()
                mine.append(time.perf_counter() - started)
        except Exception as exc:  # noqa: BLE001 - reported in the table
            errors.append(repr(exc))
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    return {"rps": len(latencies) / elapsed, "p50": p(0.5), "p99": p(0.99), "n": len(latencies), "errors": errors}


def main(argv: list[str]) -> int:
    vhost = f"mp-bench-gateway-{uuid.uuid4().hex[:8]}"
    uri = BROKER.rstrip("/") + "/" + vhost
    var = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    port = _free_port()
    _ctl("add_vhost", vhost)
    _ctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    env = dict(
        os.environ,
        AMQP_URI=uri,
        MARKTPLATZ_VAR=str(var),
        SERVICES="catalog search",
        GATEWAY_PORT=str(port),
        GUNICORN_WORKERS="2",
        GUNICORN_THREADS="8",
        GATEWAY_RATE_LIMIT_PER_ADDRESS="1000000",
        GATEWAY_RATE_LIMIT_PER_KEY="1000000",
        CATALOG_METRICS_PORT="0",
        SEARCH_METRICS_PORT="0",
    )
    platform = str(ROOT / "scripts" / "platform.sh")
    try:
        subprocess.run([platform, "up"], env=env, check=True, capture_output=True, timeout=240)
        with ClusterRpcProxy({"AMQP_URI": uri}, timeout=30) as rpc:
            rpc.catalog.register_vendor(
                {
                    "vendor_id": "bench",
                    "name": "Bench",
                    "street": "s",
                    "postcode": "1",
                    "city": "c",
                    "lat": 51.3,
                    "lon": 12.3,
                    "fulfilment": ["pickup"],
                }
            )
            for i in range(200):
                rpc.catalog.upsert_product(
                    {
                        "vendor_id": "bench",
                        "sku": f"sku-{i}",
                        "gtin": _gtin(i),
                        "title": f"Vollmilch {i}",
                        "category": "Milch",
                        "price": "1.29",
                    }
                )
            lines = [{"sku": f"sku-{i}", "quantity": 5, "sequence": 1} for i in range(200)]
            rpc.catalog.apply_stock_batch("bench", "report", lines)
            deadline = time.monotonic() + 60
            while rpc.search.search({"q": "vollmilch", "vendor_id": "bench", "in_stock": True})["total"] < 200:
                if time.monotonic() > deadline:
                    raise TimeoutError("search did not index the 200 bench products within 60 s")
                time.sleep(0.2)
        base = f"http://127.0.0.1:{port}"
        query = {"q": "vollmilch 1", "per_page": 20, "page": 1, "sort": "relevance"}

        def http(path):
            def make():
                session = requests.Session()
                return lambda: session.get(base + path, timeout=30).raise_for_status()

            return make

        def direct():
            proxy = ClusterRpcProxy({"AMQP_URI": uri}, timeout=30)
            rpc = proxy.start()
            return lambda: rpc.search.search(query)

        rows = [
            ("search RPC direct (baseline)", _run(CLIENTS, direct)),
            ("GET /v1/search via gateway", _run(CLIENTS, http("/v1/search?q=vollmilch+1&per_page=20"))),
            ("GET /v1/products/{v}/{sku} via gateway", _run(CLIENTS, http("/v1/products/bench/sku-7"))),
        ]
    finally:
        subprocess.run([platform, "down"], env=env, capture_output=True, timeout=120)
        _ctl("delete_vhost", vhost)
        shutil.rmtree(var, ignore_errors=True)
    print(
        f"{CLIENTS} concurrent clients, {REQUESTS_PER_CLIENT} requests each; gunicorn gthread 2 workers x 8 threads\n"
    )
    print("| path | requests/s | p50 ms | p99 ms | requests | errors |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in rows:
        print(f"| {name} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['n']} | {len(r['errors'])} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
