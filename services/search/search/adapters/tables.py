"""The search service's own tables: the vendors it knows and the query log (plus the kernel's tables)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from marktplatz_shared.db import BigId

from ..domain.vendors import Vendor

metadata = MetaData()

vendors_table = Table(
    "search_vendors",
    metadata,
    Column("vendor_id", String(64), primary_key=True),
    Column("data", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

query_log_table = Table(
    "search_query_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("q", String(200), nullable=False),
    Column("total", Integer, nullable=False),
    Column("zero_results", Boolean, nullable=False),
    Column("latency_ms", Float, nullable=False),
)


def save_vendor(session: Session, vendor: Vendor, at: datetime) -> None:
    data = json.dumps(vendor.to_data(), ensure_ascii=False)
    found = session.execute(
        update(vendors_table).where(vendors_table.c.vendor_id == vendor.vendor_id).values(data=data, updated_at=at)
    )
    if found.rowcount == 0:
        session.execute(insert(vendors_table).values(vendor_id=vendor.vendor_id, data=data, updated_at=at))


def load_vendors(engine: Engine) -> list[Vendor]:
    with Session(engine) as session:
        rows = session.execute(select(vendors_table.c.data)).scalars().all()
    return [Vendor.from_data(json.loads(row)) for row in rows]


def record_queries(engine: Engine, rows: list[dict[str, Any]]) -> None:
    if rows:
        with Session(engine) as session, session.begin():
            session.execute(insert(query_log_table), rows)


def delete_query_log_before(engine: Engine, before: datetime) -> None:
    with Session(engine) as session, session.begin():
        session.execute(delete(query_log_table).where(query_log_table.c.at < before))


def query_report(engine: Engine, since: datetime, until: datetime, limit: int) -> dict[str, Any]:
    t = query_log_table
    period = (t.c.at >= since) & (t.c.at < until)
    with Session(engine) as session:
        count = session.execute(select(func.count()).where(period)).scalar_one()
        zero = session.execute(select(func.count()).where(period & t.c.zero_results)).scalar_one()

        def top(condition):
            rows = session.execute(
                select(t.c.q, func.count().label("n"))
                .where(condition)
                .group_by(t.c.q)
                .order_by(func.count().desc(), t.c.q)
                .limit(limit)
            ).all()
            return [{"q": q, "count": n} for q, n in rows]

        def percentile(p):
            if not count:
                return None
            offset = min(count - 1, int(p * count))
            return session.execute(
                select(t.c.latency_ms).where(period).order_by(t.c.latency_ms).offset(offset).limit(1)
            ).scalar_one()

        return {
            "since": since.isoformat(),
            "until": until.isoformat(),
            "count": count,
            "zero_result_count": zero,
            "top_queries": top(period),
            "top_zero_result_queries": top(period & t.c.zero_results),
            "latency_ms": {"p50": percentile(0.5), "p95": percentile(0.95), "p99": percentile(0.99)},
        }
