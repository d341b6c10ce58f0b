"""Fixed-window counters in the gateway's database (shared by every worker and replica on that database)."""

from __future__ import annotations

import time

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from marktplatz_shared.db import write_engine

from ..domain.rate_limits import Verdict, judge, window_at
from .tables import rate_counters


class RateLimiter:
    def __init__(self, engine: Engine, window: int, clock=time.time):
        self.engine = write_engine(engine)
        self.window = window
        self.clock = clock
        dialect = engine.dialect.name
        self._insert = postgresql.insert if dialect == "postgresql" else sqlite.insert

    def hit(self, limits: list[tuple[str, int]]) -> Verdict | None:
        """Count one request against each ``(subject, limit)``; return the first verdict that refuses it."""
        now = self.clock()
        window = window_at(now, self.window)
        refused = None
        with self.engine.begin() as conn:
            for subject, limit in limits:
                stmt = self._insert(rate_counters).values(subject=subject, window_start=window.start, count=1)
                stmt = stmt.on_conflict_do_update(
                    index_elements=["subject", "window_start"], set_={"count": rate_counters.c.count + 1}
                ).returning(rate_counters.c.count)
                count = conn.execute(stmt).scalar_one()
                if count == 1:  # the subject's first request in this window: forget its older windows
                    conn.execute(
                        delete(rate_counters).where(
                            rate_counters.c.subject == subject, rate_counters.c.window_start < window.start
                        )
                    )
                verdict = judge(count, limit, window, now)
                if not verdict.allowed and refused is None:
                    refused = verdict
        return refused
