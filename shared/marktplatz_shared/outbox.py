"""The outbox relay: publishes recorded events, in order, with publisher confirms, then marks them sent.

Events are written to the ``outbox`` table in the same transaction as the state change
(:meth:`marktplatz_shared.db.Transaction.emit`). The relay runs inside the producing service. A crash
between commit and publish leaves the row unsent, so it is published after restart: delivery is at least
once and consumers are idempotent. While the broker is away the relay retries with back-off.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

import eventlet
from kombu import Connection, Producer
from nameko.extensions import DependencyProvider
from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Engine

from . import config as cfg
from .broker import JSON, event_exchange
from .db import database_url, make_engine, outbox_table, utcnow, write_engine
from .metrics import OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE, OUTBOX_PUBLISHED

log = logging.getLogger(__name__)

SENT_RETENTION = timedelta(days=1)
MAX_BACKOFF_SECONDS = 30.0


class Relay:
    """Moves events from the outbox to the broker. Usable from a nameko provider, a CLI or a benchmark."""

    def __init__(self, engine: Engine, amqp_uri: str, service_name: str, batch_size: int = 500):
        self.engine = engine
        self.amqp_uri = amqp_uri
        self.service_name = service_name
        self.batch_size = batch_size
        self._connection: Connection | None = None
        self._producer: Producer | None = None
        self._declared: set[str] = set()

    def _ensure_producer(self) -> Producer:
        if self._producer is None:
            self._connection = Connection(self.amqp_uri, transport_options={"confirm_publish": True})
            self._connection.connect()
            self._producer = Producer(self._connection.channel())
            self._declared = set()
        return self._producer

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:  # noqa: BLE001 - closing a broken connection may fail in many ways
                pass
        self._connection = self._producer = None

    def relay_batch(self) -> int:
        """Publish the oldest unsent events (up to batch_size); return how many were published."""
        query = (
            select(
                outbox_table.c.id,
                outbox_table.c.exchange,
                outbox_table.c.event_type,
                outbox_table.c.body,
                outbox_table.c.event_id,
                outbox_table.c.correlation_id,
            )
            .where(outbox_table.c.sent_at.is_(None))
            .order_by(outbox_table.c.id)
            .limit(self.batch_size)
        )
        if self.engine.dialect.name == "sqlite":
            # one process per SQLite file: no other relay to exclude. The rows are read and marked in two short
            # transactions, because holding SQLite's write lock while publishing would stall the service's
            # writers (they block the whole eventlet hub while they wait for the lock).
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
            if rows:
                self._publish_all(rows)
                with write_engine(self.engine).begin() as conn:
                    self._mark_sent(conn, rows)
        else:
            # FOR UPDATE: two replicas of a service never publish the same rows concurrently nor out of order
            with self.engine.begin() as conn:
                rows = conn.execute(query.with_for_update()).all()
                if rows:
                    self._publish_all(rows)
                    self._mark_sent(conn, rows)
        if rows:
            OUTBOX_PUBLISHED.labels(self.service_name).inc(len(rows))
        return len(rows)

    def _publish_all(self, rows) -> None:
        producer = self._ensure_producer()
        for row in rows:
            self._publish(producer, row)

    @staticmethod
    def _mark_sent(conn, rows) -> None:
        conn.execute(update(outbox_table).where(outbox_table.c.id.in_([r.id for r in rows])).values(sent_at=utcnow()))

    def _publish(self, producer: Producer, row: Any) -> None:
        exchange_name = row.exchange
        exchange = event_exchange(exchange_name.removesuffix(".events"))
        if exchange_name not in self._declared:
            exchange.declare(channel=producer.channel)
            self._declared.add(exchange_name)
        # confirm_publish makes this call return only after the broker confirmed the message
        producer.publish(
            row.body,
            exchange=exchange,
            routing_key=row.event_type,
            content_type=JSON,
            content_encoding="utf-8",
            delivery_mode=2,
            message_id=row.event_id,
            headers={"nameko.correlation_id": row.correlation_id},
            retry=False,
        )

    def update_gauges(self) -> tuple[int, float]:
        with self.engine.connect() as conn:
            count, oldest = conn.execute(
                select(func.count(), func.min(outbox_table.c.created_at)).where(outbox_table.c.sent_at.is_(None))
            ).one()
        age = 0.0
        if oldest is not None:
            if oldest.tzinfo is None:  # SQLite returns naive datetimes
                oldest = oldest.replace(tzinfo=utcnow().tzinfo)
            age = max(0.0, (utcnow() - oldest).total_seconds())
        OUTBOX_BACKLOG.labels(self.service_name).set(count)
        OUTBOX_OLDEST_AGE.labels(self.service_name).set(age)
        return count, age

    def purge_sent(self, older_than: timedelta = SENT_RETENTION) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(
                delete(outbox_table).where(
                    outbox_table.c.sent_at.is_not(None), outbox_table.c.sent_at < utcnow() - older_than
                )
            )
        return result.rowcount or 0

    def drain(self, timeout: float = 30.0) -> int:
        """Publish until the outbox is empty (CLIs, tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        total = 0
        while time.monotonic() < deadline:
            sent = self.relay_batch()
            total += sent
            if sent == 0:
                return total
        raise TimeoutError(f"outbox not drained within {timeout}s ({total} published)")


class OutboxRelay(DependencyProvider):
    """Runs a :class:`Relay` in a background greenthread of the service container.

    Polls every ``OUTBOX_POLL_INTERVAL`` seconds (0.1 by default) and immediately again after a full batch.
    On any error it closes its broker connection and waits 0.5 s, 1 s, 2 s ... up to 30 s before retrying.
    """

    def setup(self):
        settings = self.container.config
        self.poll_interval = float(settings.get(cfg.OUTBOX_POLL_INTERVAL, cfg.DEFAULT_OUTBOX_POLL_INTERVAL))
        self.url = database_url(settings, self.container.service_name)
        self.relay: Relay | None = None
        self._running = False
        self._thread = None

    def start(self):
        self.relay = Relay(
            make_engine(self.url),
            self.container.config.get(cfg.AMQP_URI, cfg.DEFAULT_AMQP_URI),
            self.container.service_name,
        )
        self._running = True
        self._thread = self.container.spawn_managed_thread(self._run, identifier="outbox_relay")

    def stop(self):
        self._running = False
        if self._thread is not None:
            self._thread.wait()
        if self.relay is not None:
            self.relay.close()
            self.relay.engine.dispose()

    def kill(self):
        self._running = False
        if self._thread is not None:
            self._thread.kill()
        if self.relay is not None:
            self.relay.close()

    def get_dependency(self, worker_ctx):
        return self.relay

    def _run(self):
        backoff = 0.5
        last_gauges = last_purge = 0.0
        while self._running:
            try:
                sent = self.relay.relay_batch()
                now = time.monotonic()
                if now - last_gauges > 1.0:
                    self.relay.update_gauges()
                    last_gauges = now
                if now - last_purge > 3600:
                    self.relay.purge_sent()
                    last_purge = now
                backoff = 0.5
                if sent < self.relay.batch_size:
                    eventlet.sleep(self.poll_interval)
            except Exception as exc:  # noqa: BLE001 - the relay must survive anything and try again
                log.warning("outbox relay failed (%s: %s); retrying in %.1fs", type(exc).__name__, exc, backoff)
                self.relay.close()
                eventlet.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
