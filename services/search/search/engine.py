"""Wiring: the nameko dependency that owns the backend, the indexing pipeline, the vendors and the query log.

Nothing connects at import time: the backend opens in ``start()``; ``stop()`` commits what is pending.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import UTC, datetime
from typing import Any

from nameko.extensions import DependencyProvider
from sqlalchemy import select

from marktplatz_shared.config import ConfigError
from marktplatz_shared.db import database_url, make_engine, processed_events_table

from . import querying
from .adapters import tables
from .domain.synonyms import BUILT_IN_SYNONYMS, SynonymError, Synonyms
from .domain.vendors import Vendor
from .indexing import IndexingPipeline
from .metrics import QUERY_DURATION, ZERO_RESULT_QUERIES
from .ports import SearchBackend
from .rebuild import rebuild_index
from .settings import SearchSettings
from .vendor_directory import VendorDirectory

log = logging.getLogger(__name__)

VENDOR_RELOAD_INTERVAL = 10.0  # other replicas' vendor changes arrive through the database


def run_blocking(fn):
    """Run a long native call (an index commit) in a real thread, so the eventlet hub keeps serving."""
    import eventlet.patcher

    if eventlet.patcher.is_monkey_patched("thread"):
        import eventlet.tpool

        return eventlet.tpool.execute(fn)
    return fn()


def pause() -> None:
    time.sleep(0)  # a green yield under eventlet


def make_backend(settings: dict[str, Any]) -> SearchBackend:
    if settings["SEARCH_BACKEND"] == "elasticsearch":
        from .adapters.elasticsearch_backend import ElasticsearchBackend

        if not settings.get("ELASTICSEARCH_URL"):
            raise ValueError("SEARCH_BACKEND=elasticsearch needs ELASTICSEARCH_URL")
        return ElasticsearchBackend.connect(settings["ELASTICSEARCH_URL"], settings["ELASTICSEARCH_INDEX"])
    from .adapters.tantivy_backend import SideThread, TantivyBackend

    path = settings.get("SEARCH_INDEX_PATH") or os.path.join(os.environ.get("MARKTPLATZ_VAR", "var"), "search-index")
    rebuild_heap = settings["SEARCH_REBUILD_MEMORY_MB"] * 1_000_000
    return TantivyBackend(path, side_thread=_real_side_thread(SideThread), rebuild_heap=rebuild_heap)


def _real_side_thread(side_thread_class):
    """Under eventlet the facets' thread must be a real one, or it would only take turns with the caller."""
    import eventlet.patcher

    if eventlet.patcher.is_monkey_patched("thread"):
        return side_thread_class(eventlet.patcher.original("threading"), eventlet.patcher.original("queue"))
    return side_thread_class()


def load_synonyms(settings: dict[str, Any]) -> Synonyms:
    """The built-in synonyms and the region's file (SEARCH_SYNONYMS_FILE); ConfigError if it cannot be read."""
    path = settings.get("SEARCH_SYNONYMS_FILE")
    if not path:
        return BUILT_IN_SYNONYMS
    try:
        with open(path, encoding="utf-8") as f:
            return Synonyms.with_file_text(f.read(), path)
    except (OSError, UnicodeDecodeError, SynonymError) as exc:
        raise ConfigError(f"SEARCH_SYNONYMS_FILE: {exc}") from exc


class SearchEngine(DependencyProvider):
    def setup(self):
        self.settings = SearchSettings.from_config(self.container.config)
        self.synonyms = load_synonyms(self.settings)
        self.db_url = database_url(self.container.config, self.container.service_name)
        self.running = False
        self._rebuilding = False

    def start(self):
        self.engine = make_engine(self.db_url)
        self.backend = make_backend(self.settings)
        self.pipeline = IndexingPipeline(
            self.backend,
            interval=self.settings["SEARCH_COMMIT_INTERVAL"],
            max_batch=self.settings["SEARCH_COMMIT_MAX_CHANGES"],
            blocking=run_blocking,
        )
        self.vendors = VendorDirectory(tables.load_vendors(self.engine))
        self._query_log: list[dict[str, Any]] = []
        self.running = True
        self.container.spawn_managed_thread(self.pipeline.run, identifier="search.index_commits")
        self.container.spawn_managed_thread(self._housekeeping, identifier="search.housekeeping")

    def stop(self):
        if not self.running:
            return
        self.running = False
        self.pipeline.stop()
        self.pipeline.flush()
        self.flush_query_log()
        self.backend.close()
        self.engine.dispose()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        return self

    # --- background work ------------------------------------------------------------------------------

    def _housekeeping(self):
        interval = self.settings["SEARCH_QUERY_LOG_FLUSH_INTERVAL"]
        last_vendor_reload = time.monotonic()
        while self.running:
            time.sleep(interval)
            try:
                self.flush_query_log()
                if time.monotonic() - last_vendor_reload >= VENDOR_RELOAD_INTERVAL:
                    self.vendors.replace_all(tables.load_vendors(self.engine))
                    last_vendor_reload = time.monotonic()
            except Exception:  # noqa: BLE001 - retried on the next round
                log.exception("search housekeeping failed")

    def flush_query_log(self) -> None:
        rows, self._query_log = self._query_log, []
        try:
            tables.record_queries(self.engine, rows)
        except Exception:
            self._query_log = rows + self._query_log
            raise

    # --- use cases, as the entrypoints call them ----------------------------------------------------------

    def already_processed(self, consumer: str, event_id: str) -> bool:
        with self.engine.connect() as conn:
            found = conn.execute(
                select(processed_events_table.c.event_id).where(
                    (processed_events_table.c.consumer == consumer) & (processed_events_table.c.event_id == event_id)
                )
            ).first()
        return found is not None

    def search(self, raw_query: Any) -> dict[str, Any]:
        started = time.perf_counter()
        result = querying.search(raw_query, self.backend, self.vendors, synonyms=self.synonyms)
        elapsed = time.perf_counter() - started
        QUERY_DURATION.labels(self.backend.name).observe(elapsed)
        q = (raw_query.get("q") or "").strip().lower()[:200]
        if q:
            if result["total"] == 0:
                ZERO_RESULT_QUERIES.inc()
            self._query_log.append(
                {
                    "at": datetime.now(UTC),
                    "q": q,
                    "total": result["total"],
                    "zero_results": result["total"] == 0,
                    "latency_ms": round(elapsed * 1000, 3),
                }
            )
        return result

    def put_vendor(self, vendor: Vendor) -> None:
        self.vendors.put(vendor)

    def save_vendor_data(self, data: dict[str, Any]) -> None:
        from sqlalchemy.orm import Session

        vendor = Vendor.from_data(data)
        with Session(self.engine) as session, session.begin():
            tables.save_vendor(session, vendor, datetime.now(UTC))
        self.vendors.put(vendor)

    def rebuild(self, catalog) -> dict[str, Any]:
        from marktplatz_shared.errors import Conflict

        if self._rebuilding:
            raise Conflict("a rebuild of the search index is already running")
        self._rebuilding = True
        try:
            return rebuild_index(self.backend, self.pipeline, catalog, on_vendor=self.save_vendor_data, pause=pause)
        finally:
            self._rebuilding = False

    def rebuild_if_needed(self, catalog) -> dict[str, Any] | None:
        """Rebuild an index the backend had to start afresh (a release changed its fields); None if whole."""
        reason = self.backend.rebuild_reason
        if reason is None or self._rebuilding:
            return None
        log.warning("rebuilding the search index from the catalog: %s", reason)
        return self.rebuild(catalog)

    def stats(self) -> dict[str, Any]:
        from .metrics import INDEX_LAG

        lag = {s.name: s.value for metric in INDEX_LAG.collect() for s in metric.samples}
        count = lag.get("marktplatz_search_index_lag_seconds_count", 0)
        return {
            **self.backend.stats(),
            "vendors": len(self.vendors),
            "rebuild_reason": self.backend.rebuild_reason,  # None: the index is whole
            "pending_changes": len(self.pipeline._pending.docs),
            "index_lag": {
                "observations": int(count),
                "mean_seconds": round(lag.get("marktplatz_search_index_lag_seconds_sum", 0) / count, 4)
                if count
                else None,
            },
        }
