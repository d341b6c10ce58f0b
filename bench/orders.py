"""Checkouts through the orders RPC: 50 concurrent shoppers over 200 SKUs, never oversold.

    python -m bench orders        (make bench-orders; make bench runs it with the others)

One ``nameko run`` process hosts the orders service and the catalog stand-in of orders' tests
(services/orders/tests/fake_catalog.py: all-or-nothing conditional-UPDATE reservations over its own database),
on SQLite files in a temp dir and a fresh vhost. This process plays 50 shoppers, each with its own RPC proxy,
checking out baskets of 1-3 single units from 10 shops until the stock runs out. Printed: checkouts/s (placed
and refused for shortage), p50/p99 latency, oversold units (from the placed orders against the initial stock,
and from catalog's counters: must both be 0), next to the raw nameko RPC rate (``orders.health``, same
50 callers, same run). BENCH_ORDERS_DB=postgresql runs both databases on TEST_POSTGRES_URL instead.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import os  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

from nameko.exceptions import deserialize_to_instance  # noqa: E402
from nameko.standalone.rpc import ServiceRpcProxy  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from marktplatz_shared import errors  # noqa: E402

BROKER = os.environ.get("TEST_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parents[1]
ORDERS_DIR = ROOT / "services" / "orders"
SHOPPERS = 50
VENDORS = 10
SKUS = 200
UNITS_PER_SKU = 8  # 1600 units; the shoppers ask for more, so the last ones meet shortages
CHECKOUTS = 1200
RAW_CALLS = 3000


def rabbitmqctl(*args: str, check: bool = True) -> None:
    exe = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    subprocess.run([exe, *args], check=check, capture_output=True)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


class Databases:
    def __init__(self, tmp: str):
        self.tmp = tmp
        self.created: list[str] = []
        self.admin = None
        if os.environ.get("BENCH_ORDERS_DB") == "postgresql":
            self.admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")

    def make(self, name: str) -> str:
        if self.admin is None:
            return f"sqlite:///{self.tmp}/{name}.db"
        db = f"bench_{name}_{uuid.uuid4().hex[:8]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{db}"'))
        self.created.append(db)
        return POSTGRES.rsplit("/", 1)[0] + "/" + db

    def drop(self) -> None:
        for db in self.created:
            with self.admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))


def run_concurrently(amqp_uri: str, jobs: list, work) -> list:
    """Run ``work(proxy, job)`` for every job on SHOPPERS greenthreads, each with its own proxy."""
    queue = list(reversed(jobs))
    results: list = []

    def shopper():
        with ServiceRpcProxy("orders", {"AMQP_URI": amqp_uri}, timeout=120) as proxy:
            while queue:
                results.append(work(proxy, queue.pop()))

    pool = eventlet.GreenPool(SHOPPERS)
    for _ in range(SHOPPERS):
        pool.spawn(shopper)
    pool.waitall()
    return results


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ORDERS_DIR / "tests"))
    from fake_catalog import CatalogDb

    for cls in (errors.NotFound, errors.InvalidInput, errors.Conflict, errors.Unavailable):
        deserialize_to_instance(cls)
    vhost = f"bench-orders-{uuid.uuid4().hex[:8]}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    amqp_uri = BROKER.rstrip("/") + "/" + vhost
    tmp = tempfile.mkdtemp(prefix="bench-orders-")
    dbs = Databases(tmp)
    process = None
    try:
        catalog_url, orders_url = dbs.make("catalog"), dbs.make("orders")
        catalog = CatalogDb(catalog_url)
        vendors = [f"laden-{i:02d}" for i in range(VENDORS)]
        stock = {}
        for i, vendor in enumerate(vendors):
            catalog.add_vendor(vendor, f"Laden {i}", ["pickup", "delivery"])
        for i in range(SKUS):
            vendor, sku = vendors[i % VENDORS], f"sku-{i:03d}"
            catalog.add_stock(vendor, sku, UNITS_PER_SKU, price=f"{5 + i % 40}.90")
            stock[(vendor, sku)] = UNITS_PER_SKU

        config = Path(tmp) / "config.yaml"
        config.write_text(
            f"AMQP_URI: '{amqp_uri}'\nmax_workers: {SHOPPERS}\nENVIRONMENT: test\nCATALOG_RPC_TIMEOUT: 30\n"
            "STALE_CHECKOUT_SECONDS: 120\nLOGGING: {version: 1, root: {level: WARNING}}\n"
        )
        # one process, two containers: each gets DATABASE_URL from the environment via its own config key
        env = {**os.environ, "PYTHONPATH": f"{ORDERS_DIR}:{ORDERS_DIR / 'tests'}"}
        launcher = Path(tmp) / "run_services.py"
        launcher.write_text(
            "import eventlet\neventlet.monkey_patch()\n"
            "import logging\nlogging.basicConfig(level=logging.ERROR)\n"
            "import sys, yaml\nfrom nameko.runners import ServiceRunner\n"
            "from orders.service import OrdersService\nfrom fake_catalog import FakeCatalog\n"
            f"base = yaml.safe_load(open({str(config)!r}))\n"
            "runners = []\n"
            f"for cls, url in ((OrdersService, {orders_url!r}), (FakeCatalog, {catalog_url!r})):\n"
            "    r = ServiceRunner({**base, 'DATABASE_URL': url}); r.add_service(cls); r.start(); runners.append(r)\n"
            "sys.stdout.write('ready\\n'); sys.stdout.flush()\n"
            "try:\n    eventlet.Event().wait()\nfinally:\n    [r.stop() for r in runners]\n"
        )
        process = subprocess.Popen(
            [sys.executable, "-W", "ignore", str(launcher)], env=env, stdout=subprocess.PIPE, cwd=tmp
        )
        if process.stdout.readline().strip() != b"ready":
            raise RuntimeError("the services did not start")

        # baseline: the raw nameko RPC rate into the same service, same callers
        started = time.perf_counter()
        run_concurrently(amqp_uri, list(range(RAW_CALLS)), lambda proxy, _: proxy.health())
        raw_rate = RAW_CALLS / (time.perf_counter() - started)

        rng = random.Random(5)
        keys = sorted(stock)
        baskets = [rng.sample(keys, rng.choice([1, 2, 3])) for _ in range(CHECKOUTS)]

        def checkout(proxy, basket):
            request = {
                "shopper": {"name": "Bench Käufer", "email": "bench@example.de", "language": "de"},
                "lines": [{"vendor_id": v, "sku": s, "quantity": 1} for v, s in basket],
            }
            t0 = time.perf_counter()
            try:
                order = proxy.checkout(request, str(uuid.uuid4()))
                outcome = order
            except errors.Conflict:
                outcome = "short"
            except Exception as exc:  # noqa: BLE001 - a timeout or a broken connection is a figure, not a crash
                outcome = f"error:{type(exc).__name__}"
            return outcome, time.perf_counter() - t0

        started = time.perf_counter()
        results = run_concurrently(amqp_uri, baskets, checkout)
        elapsed = time.perf_counter() - started

        placed = [o for o, _ in results if isinstance(o, dict)]
        shortages = sum(1 for o, _ in results if o == "short")
        failures = Counter(o for o, _ in results if isinstance(o, str) and o.startswith("error"))
        latencies = [t for _, t in results]
        sold = Counter((vo["vendor_id"], ln["sku"]) for o in placed for vo in o["vendor_orders"] for ln in vo["lines"])
        oversold_orders = sum(max(0, n - stock[key]) for key, n in sold.items())
        # catalog's own counters: reserved beyond what is on hand, per SKU
        oversold_catalog = sum(max(0, -catalog.stock(*key)["available"]) for key in stock)
        catalog.dispose()

        print(f"{SHOPPERS} concurrent shoppers, {SKUS} SKUs at {VENDORS} shops, {len(results)} checkouts of 1-3 units")
        print(f"databases: {'PostgreSQL' if dbs.admin else 'SQLite'}\n")
        print("| figure | value |\n|---|---|")
        print(f"| checkouts/s (placed + refused short) | {len(results) / elapsed:.0f} |")
        print(f"| placed orders/s | {len(placed) / elapsed:.0f} |")
        print(f"| placed / short / errors | {len(placed)} / {shortages} / {sum(failures.values())} {dict(failures)} |")
        p50, p99 = percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000
        print(f"| latency p50 / p99 (ms) | {p50:.0f} / {p99:.0f} |")
        print(f"| units sold / in stock | {sum(sold.values())} / {sum(stock.values())} |")
        print(f"| oversold units | {oversold_orders + oversold_catalog} |")
        print(f"| baseline: raw nameko RPC calls/s (orders.health, {SHOPPERS} callers) | {raw_rate:.0f} |")
        return 0 if oversold_orders + oversold_catalog == 0 else 1
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        dbs.drop()
        rabbitmqctl("delete_vhost", vhost, check=False)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
