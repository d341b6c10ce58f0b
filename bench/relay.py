"""Outbox relay throughput next to raw publishing with confirms, measured in the same run on the same broker.

    python -m bench relay          (make bench runs it with the others)

Rows:
- raw kombu publish, confirm per message: the same client and settings the relay uses, no database;
  every exchange has a durable queue bound, so a confirm means the message was persisted;
- raw pika publish, confirm per message: the baseline the architecture guide quotes;
- outbox write: transactions that each change state and record one event (no broker);
- relay: unsent events published from the outbox with confirms and marked sent.
Each figure is a median of 3 runs of N events. SQLite is a file under a temp dir; PostgreSQL is the local server
when reachable (TEST_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
import time
import uuid

import pika
from kombu import Connection, Exchange, Producer, Queue
from sqlalchemy import create_engine, text

from marktplatz_shared.broker import event_exchange
from marktplatz_shared.db import kernel_metadata, make_engine, transaction
from marktplatz_shared.outbox import Relay

N = int(os.environ.get("BENCH_RELAY_EVENTS", "2000"))
RUNS = 3
BROKER = os.environ.get("TEST_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
DATA = {"vendor_id": "v-bench", "sku": "SKU-1"}


def vhost_uri(vhost: str) -> str:
    return BROKER.rstrip("/") + "/" + vhost


def durable_sink(channel, exchange_name: str) -> None:
    """A durable queue bound to the exchange: confirms then include persisting the message, as in production
    (a message no queue takes is confirmed at once, which would flatter every figure)."""
    queue = Queue(
        f"{exchange_name}.sink",
        exchange=Exchange(exchange_name, type="topic", durable=True),
        routing_key="#",
        durable=True,
    )
    queue(channel).declare()


def median_rate(fn) -> float:
    rates = []
    for _ in range(RUNS):
        started = time.perf_counter()
        fn()
        rates.append(N / (time.perf_counter() - started))
    return statistics.median(rates)


def raw_kombu(uri: str) -> float:
    body = json.dumps({"x": "y" * 300})
    with Connection(uri, transport_options={"confirm_publish": True}) as conn:
        producer = Producer(conn.channel())
        exchange = event_exchange("benchraw")
        exchange.declare(channel=producer.channel)
        durable_sink(producer.channel, exchange.name)

        def publish():
            for _ in range(N):
                producer.publish(
                    body,
                    exchange=exchange,
                    routing_key="x",
                    content_type="application/json",
                    content_encoding="utf-8",
                    delivery_mode=2,
                    retry=False,
                )

        return median_rate(publish)


def raw_pika(vhost: str) -> float:
    connection = pika.BlockingConnection(pika.URLParameters(vhost_uri(vhost)))
    channel = connection.channel()
    channel.exchange_declare("benchpika.events", exchange_type="topic", durable=True)
    channel.queue_declare("benchpika.sink", durable=True)
    channel.queue_bind("benchpika.sink", "benchpika.events", routing_key="#")
    channel.confirm_delivery()
    body = json.dumps({"x": "y" * 300}).encode()
    props = pika.BasicProperties(content_type="application/json", delivery_mode=2)

    def publish():
        for _ in range(N):
            channel.basic_publish("benchpika.events", "x", body, props)

    try:
        return median_rate(publish)
    finally:
        connection.close()


def outbox_and_relay(url: str, uri: str) -> tuple[float, float]:
    engine = make_engine(url)
    kernel_metadata.create_all(engine)

    def record():
        for _ in range(N):
            with transaction(engine, "catalog") as tx:
                tx.emit("product_withdrawn", DATA)

    with Connection(uri) as conn:
        durable_sink(conn.channel(), "catalog.events")
    relay = Relay(engine, uri, "catalog")
    write_rates, relay_rates = [], []
    for _ in range(RUNS):
        started = time.perf_counter()
        record()
        write_rates.append(N / (time.perf_counter() - started))
        started = time.perf_counter()
        assert relay.drain(timeout=600) == N
        relay_rates.append(N / (time.perf_counter() - started))
    relay.close()
    engine.dispose()
    return statistics.median(write_rates), statistics.median(relay_rates)


def postgres_rows(uri: str) -> list[tuple[str, float]]:
    """The PostgreSQL rows, in a database made for the run and dropped after it (none without PostgreSQL)."""
    try:
        admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        name = f"mp_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:  # noqa: BLE001 - no PostgreSQL: the rows are left out
        return []
    try:
        write, relay = outbox_and_relay(f"{POSTGRES.rpartition('/')[0]}/{name}", uri)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return [
        ("outbox write, 1 event per transaction (PostgreSQL)", write),
        ("relay: outbox -> broker with confirms (PostgreSQL)", relay),
    ]


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True)


def main(argv: list[str]) -> None:
    vhost = f"mp-bench-{uuid.uuid4().hex[:8]}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    uri = vhost_uri(vhost)
    rows = []
    try:
        rows.append(("raw kombu publish, confirm per message (baseline)", raw_kombu(uri)))
        rows.append(("raw pika publish, confirm per message (baseline)", raw_pika(vhost)))
        with tempfile.TemporaryDirectory() as tmp:
            write, relay = outbox_and_relay(f"sqlite:///{tmp}/bench.db", uri)
        rows.append(("outbox write, 1 event per transaction (SQLite)", write))
        rows.append(("relay: outbox -> broker with confirms (SQLite)", relay))
        rows.extend(postgres_rows(uri))
    finally:
        rabbitmqctl("delete_vhost", vhost)
    print(f"{N} events per run, median of {RUNS} runs, {os.cpu_count()} CPUs\n")
    print("| path | events/s |")
    print("|---|---:|")
    for name, rate in rows:
        print(f"| {name} | {rate:,.0f} |")
