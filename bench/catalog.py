"""Stock lines applied end to end: POS connector publish -> catalog database -> stock_changed published.

    python -m bench catalog        (make bench-catalog; make bench runs it with the others)

The catalog runs as its own process (``nameko run``, SQLite file in a temp dir, a fresh vhost); this process
publishes with the POS connector (persistent, one confirm per message) and counts the lines of the
``stock_changed`` events the catalog publishes. A figure is lines / seconds from the first publish to the last
line seen in ``stock_changed``; every line changes availability, so every line comes back. Baselines in the
same run: raw pika publish (persistent, confirm per message) and raw pika consume, messages/s.
Set BENCH_CATALOG_DB=postgresql to run the catalog on the local PostgreSQL (TEST_POSTGRES_URL) instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pika
from sqlalchemy import create_engine, text

BROKER = os.environ.get("TEST_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parents[1]
PRODUCTS = 1000
#: (lines per message, lines in the run)
RUNS = [(1, 2000), (100, 20000), (1000, 50000)]
RAW_MESSAGES = 5000
VENDOR = "v-bench"


def rabbitmqctl(*args: str) -> None:
    subprocess.run([shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl", *args], check=True, capture_output=True)


def vhost_uri(vhost: str) -> str:
    return BROKER.rstrip("/") + "/" + vhost


def make_database(tmp: str) -> tuple[str, object]:
    if os.environ.get("BENCH_CATALOG_DB") == "postgresql":
        name = f"bench_catalog_{uuid.uuid4().hex[:8]}"
        admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))

        def drop():
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

        return POSTGRES.rsplit("/", 1)[0] + "/" + name, drop
    return f"sqlite:///{tmp}/catalog.db", lambda: None


def seed(url: str) -> None:
    from catalog import handlers
    from catalog.bootstrap import database, engine_for, migrate
    from catalog.domain.gtin import gtin13_check_digit

    migrate(url)
    engine = engine_for(url)
    db = database(engine)
    handlers.register_vendor(
        db,
        {
            "vendor_id": VENDOR,
            "name": "Bench",
            "street": "Markt 1",
            "postcode": "36148",
            "city": "Lindenau",
            "lat": 50.47,
            "lon": 9.52,
            "fulfilment": ["pickup"],
        },
    )
    for i in range(PRODUCTS):
        first = f"{200000000000 + i:012d}"
        handlers.upsert_product(
            db,
            {
                "vendor_id": VENDOR,
                "sku": f"S{i:05d}",
                "gtin": first + str(gtin13_check_digit(first)),
                "title": f"Artikel {i}",
                "category": "Bench > Artikel",
                "price": "1.00",
            },
        )
    with engine.begin() as conn:  # the seeding events are not part of the measurement
        conn.execute(text("UPDATE outbox SET sent_at = created_at"))
    engine.dispose()


def start_catalog(tmp: str, uri: str, url: str) -> subprocess.Popen:
    config = Path(tmp) / "config.yaml"
    config.write_text(
        json.dumps({"AMQP_URI": uri, "DATABASE_URL": url, "OUTBOX_POLL_INTERVAL": 0.02, "max_workers": 10})
    )
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "nameko"), "run", "--config", str(config), "catalog.service"],
        cwd=tmp,
        stdout=open(Path(tmp) / "catalog.log", "w"),  # noqa: SIM115 - closed with the process
        stderr=subprocess.STDOUT,
    )


def wait_for_queue(uri: str, name: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = pika.BlockingConnection(pika.URLParameters(uri))
            try:
                connection.channel().queue_declare(name, passive=True)
                return
            finally:
                if connection.is_open:
                    connection.close()
        except (pika.exceptions.AMQPError, OSError):
            time.sleep(0.2)
    raise TimeoutError(f"the catalog did not declare {name} within {timeout}s")


class LineCounter(threading.Thread):
    """Counts the lines of stock_changed events the catalog publishes."""

    def __init__(self, uri: str):
        super().__init__(daemon=True)
        self.connection = pika.BlockingConnection(pika.URLParameters(uri))
        self.channel = self.connection.channel()
        self.channel.exchange_declare("catalog.events", exchange_type="topic", durable=True)
        self.queue = self.channel.queue_declare("", exclusive=True).method.queue
        self.channel.queue_bind(self.queue, "catalog.events", routing_key="stock_changed")
        self.lines = 0
        self.target = 0
        self.reached = threading.Event()
        self.lock = threading.Lock()

    def run(self) -> None:
        def on_message(_channel, _method, _props, body):
            with self.lock:
                self.lines += len(json.loads(body)["data"]["lines"])
                if self.target and self.lines >= self.target:
                    self.reached.set()

        self.channel.basic_consume(self.queue, on_message, auto_ack=True)
        self.channel.start_consuming()

    def expect(self, lines: int) -> None:
        with self.lock:
            self.lines, self.target = 0, lines
            self.reached.clear()


def end_to_end(uri: str, counter: LineCounter, batch: int, total: int, first_sequence: int) -> float:
    from marktplatz_pos.publisher import StockPublisher

    lines = []
    for i in range(total):
        sequence = first_sequence + i // PRODUCTS
        lines.append({"sku": f"S{i % PRODUCTS:05d}", "quantity": sequence % 50 + 1, "sequence": sequence})
    counter.expect(total)
    with StockPublisher(uri, VENDOR, batch_size=batch) as publisher:
        started = time.perf_counter()
        publisher.push("report", lines)
        if not counter.reached.wait(timeout=600):
            raise TimeoutError(f"only {counter.lines} of {total} lines came back in stock_changed")
        return total / (time.perf_counter() - started)


def raw_pika(uri: str) -> tuple[float, float]:
    connection = pika.BlockingConnection(pika.URLParameters(uri))
    channel = connection.channel()
    channel.exchange_declare("benchraw.events", exchange_type="topic", durable=True)
    queue = channel.queue_declare("benchraw", durable=True).method.queue
    channel.queue_bind(queue, "benchraw.events", routing_key="#")
    channel.confirm_delivery()
    body = json.dumps({"x": "y" * 300}).encode()
    props = pika.BasicProperties(content_type="application/json", delivery_mode=2)
    started = time.perf_counter()
    for _ in range(RAW_MESSAGES):
        channel.basic_publish("benchraw.events", "x", body, props)
    publish_rate = RAW_MESSAGES / (time.perf_counter() - started)
    received = 0
    started = time.perf_counter()
    channel.basic_qos(prefetch_count=500)
    for _method, _props, _body in channel.consume(queue, auto_ack=True):
        received += 1
        if received == RAW_MESSAGES:
            break
    consume_rate = RAW_MESSAGES / (time.perf_counter() - started)
    channel.cancel()
    connection.close()
    return publish_rate, consume_rate


def main(argv: list[str] | None = None) -> int:
    vhost = f"bench-catalog-{uuid.uuid4().hex[:8]}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    uri = vhost_uri(vhost)
    tmp = tempfile.mkdtemp(prefix="bench-catalog-")
    url, drop = make_database(tmp)
    catalog = None
    try:
        seed(url)
        catalog = start_catalog(tmp, uri, url)
        wait_for_queue(uri, "evt-pos-stock_reported--catalog.on_stock_reported")
        counter = LineCounter(uri)
        counter.start()
        backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        rows = []
        sequence = 1
        for batch, total in RUNS:
            rate = end_to_end(uri, counter, batch, total, sequence)
            sequence += total // PRODUCTS + 2
            rows.append(
                (f"end to end, {batch} lines/message ({backend})", total, total // batch, f"{rate:,.0f} lines/s")
            )
        publish_rate, consume_rate = raw_pika(uri)
        rows.append(
            (
                "raw pika publish, persistent, confirm per message",
                RAW_MESSAGES,
                RAW_MESSAGES,
                f"{publish_rate:,.0f} msg/s",
            )
        )
        rows.append(("raw pika consume, auto ack", RAW_MESSAGES, RAW_MESSAGES, f"{consume_rate:,.0f} msg/s"))
        print("| measure | lines | messages | rate |")
        print("|---|---:|---:|---:|")
        for name, lines, messages, rate in rows:
            print(f"| {name} | {lines} | {messages} | {rate} |")
        print(f"\n{os.cpu_count()} CPUs; target: 10,000 lines/s with 100 lines/message", flush=True)
    finally:
        if catalog is not None:
            catalog.terminate()
            catalog.wait(timeout=30)
        drop()
        rabbitmqctl("delete_vhost", vhost)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
