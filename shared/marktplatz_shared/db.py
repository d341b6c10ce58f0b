"""SQLAlchemy 2 wiring every service reuses: engines, the kernel's own tables, and the ``Database`` provider.

A worker gets a :class:`DatabaseAccess`; ``transaction()`` opens a write transaction whose ``emit()`` records
events in the outbox, so state and events commit together or not at all::

    class Catalog:
        name = "catalog"
        db = Database()

        @rpc
        def withdraw(self, vendor_id, sku):
            with self.db.transaction() as tx:
                products.withdraw(tx.session, vendor_id, sku)
                tx.emit("product_withdrawn", {"vendor_id": vendor_id, "sku": sku})

An event handler claims its event in the same transaction as its effect, so a redelivery has no second
effect: ``with self.db.once(event) as tx: ...``.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nameko.extensions import DependencyProvider
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import config as cfg
from .events import Event, new_event

kernel_metadata = MetaData()

#: identity that works as BIGINT on PostgreSQL and as SQLite's rowid alias
BigId = BigInteger().with_variant(Integer(), "sqlite")

outbox_table = Table(
    "outbox",
    kernel_metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("exchange", String(200), nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("body", Text, nullable=False),
    Column("correlation_id", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True, index=True),
)

processed_events_table = Table(
    "processed_events",
    kernel_metadata,
    Column("consumer", String(200), primary_key=True),
    Column("event_id", String(36), primary_key=True),
    Column("processed_at", DateTime(timezone=True), nullable=False),
)


class AlreadyProcessed(Exception):
    """Raised by :meth:`DatabaseAccess.once` for an event this consumer has handled before.

    The reliable event handler treats it as success and acknowledges the message.
    """


def utcnow() -> datetime:
    return datetime.now(UTC)


def default_sqlite_url(service_name: str) -> str:
    var = os.environ.get("MARKTPLATZ_VAR", "var")
    return f"sqlite:///{os.path.join(var, service_name + '.db')}"


def database_url(config: dict[str, Any], service_name: str) -> str:
    return config.get(cfg.DATABASE_URL) or default_sqlite_url(service_name)


def make_engine(url: str) -> Engine:
    """An engine tuned for the platform: WAL and real write locks on SQLite, cooperative psycopg2 on PG."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection, _record):
            # take transaction control from pysqlite so that BEGIN IMMEDIATE can be issued (see below)
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # write transactions take the write lock up front: two deferred transactions that both read and
            # then write would otherwise fail with SQLITE_BUSY instead of waiting for each other
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    if url.startswith("postgresql"):
        _make_psycopg2_cooperative()
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    return create_engine(url, pool_pre_ping=True)


def _make_psycopg2_cooperative() -> None:
    """Under eventlet, psycopg2 must wait in the hub, or one slow query blocks every greenthread."""
    try:
        import eventlet.patcher

        if eventlet.patcher.is_monkey_patched("socket"):
            from psycogreen.eventlet import patch_psycopg

            patch_psycopg()
    except ImportError:  # pragma: no cover - psycogreen is a declared dependency
        pass


def write_engine(engine: Engine) -> Engine:
    return engine.execution_options(sqlite_begin="IMMEDIATE")


@dataclass
class Transaction:
    """One unit of work: a session plus the outbox for events that commit with it."""

    session: Session
    producer: str
    correlation_id: str

    def emit(self, event_type: str, data: dict[str, Any]) -> Event:
        """Record an event (validated against its contract) to be published after commit by the relay."""
        evt = new_event(self.producer, event_type, data, self.correlation_id)
        record_in_outbox(self.session, evt)
        return evt


def record_in_outbox(session: Session, evt: Event) -> None:
    session.execute(
        insert(outbox_table).values(
            event_id=evt.event_id,
            exchange=f"{evt.producer}.events",
            event_type=evt.event_type,
            body=json.dumps(evt.to_message(), ensure_ascii=False, separators=(",", ":")),
            correlation_id=evt.correlation_id,
            created_at=utcnow(),
        )
    )


@contextmanager
def transaction(engine: Engine, producer: str, correlation_id: str | None = None) -> Iterator[Transaction]:
    """A write transaction outside nameko (CLIs, tests): commit on success, roll back on error."""
    with Session(write_engine(engine), expire_on_commit=False) as session, session.begin():
        yield Transaction(session, producer, correlation_id or str(uuid.uuid4()))


def claim_event(session: Session, consumer: str, event_id: str) -> None:
    """Record that ``consumer`` handled ``event_id``; raise :class:`AlreadyProcessed` if it did before."""
    try:
        with session.begin_nested():
            session.execute(
                insert(processed_events_table).values(consumer=consumer, event_id=event_id, processed_at=utcnow())
            )
    except IntegrityError:
        raise AlreadyProcessed(f"{consumer} already processed event {event_id}") from None


class DatabaseAccess:
    """What a worker sees of the database."""

    def __init__(self, engine: Engine, producer: str, correlation_id: str, consumer: str | None = None):
        self.engine = engine
        self.producer = producer
        self.correlation_id = correlation_id
        self.consumer = consumer

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with transaction(self.engine, self.producer, self.correlation_id) as tx:
            yield tx

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def once(self, evt: Event, consumer: str | None = None) -> Iterator[Transaction]:
        """A transaction that also claims ``evt`` for this handler; a duplicate raises AlreadyProcessed.

        ``consumer`` defaults to ``<service>.<handler method>``.
        """
        with self.transaction() as tx:
            claim_event(tx.session, consumer or self.consumer or self.producer, evt.event_id)
            yield tx


class Database(DependencyProvider):
    """The service's own database. URL from ``DATABASE_URL``; default a SQLite file under var/.

    With ``MIGRATE_ON_START`` (default true, false in Kubernetes where a Job migrates) the service's Alembic
    migrations run before the first worker.
    """

    def __init__(self, migrations: str | None = None):
        self.migrations = migrations
        self.engine: Engine | None = None

    def setup(self):
        url = database_url(self.container.config, self.container.service_name)
        if self.migrations and self.container.config.get("MIGRATE_ON_START", True):
            from .migrations import upgrade

            upgrade(url, self.migrations)
        self.engine = make_engine(url)

    def stop(self):
        if self.engine is not None:
            self.engine.dispose()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        # shared with CorrelationId and outgoing RPC calls through the context data
        correlation_id = worker_ctx.context_data.get("correlation_id") or str(uuid.uuid4())
        worker_ctx.context_data["correlation_id"] = correlation_id
        consumer = f"{self.container.service_name}.{worker_ctx.entrypoint.method_name}"
        return DatabaseAccess(self.engine, self.container.service_name, correlation_id, consumer)
