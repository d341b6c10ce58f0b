"""Use cases of indexing: catalog events become index changes, batched into commits.

A handler submits its change and waits for the batch that holds it to be committed (about every
``interval`` seconds or every ``max_batch`` changes); only then does it claim the event in the database and
let the message be acknowledged. A crash between the commit and the claim makes the broker redeliver the
event, and applying it again changes nothing (documents are keyed by id, stock by version, product events
by their time): a crash never loses an update.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from .domain.products import ProductDoc, StockUpdate, apply_stock, apply_upsert, product_id
from .metrics import INDEX_BATCH_SIZE, INDEX_LAG, INDEX_SKIPPED
from .ports import IndexBuilder, SearchBackend

log = logging.getLogger(__name__)


class IndexingFailed(Exception):
    """The batch holding a change could not be committed; the event will be retried."""


class Batch:
    def __init__(self):
        self.docs: dict[str, ProductDoc] = {}
        self.stock_times: list[float] = []
        self.done = threading.Event()
        self.error: BaseException | None = None
        self.opened = time.monotonic()

    def wait(self, timeout: float = 30.0) -> None:
        if not self.done.wait(timeout):
            raise IndexingFailed("timed out waiting for the index commit")
        if self.error is not None:
            raise IndexingFailed(f"index commit failed: {self.error}") from self.error


class _Done:
    """The ticket of a change that needed no write."""

    def wait(self, timeout: float = 0) -> None:
        return None


DONE = _Done()


class IndexingPipeline:
    def __init__(
        self,
        backend: SearchBackend,
        interval: float = 1.0,
        max_batch: int = 500,
        blocking: Callable[[Callable[[], Any]], Any] | None = None,
    ):
        self.backend = backend
        self.interval = interval
        self.max_batch = max_batch
        self._blocking = blocking or (lambda fn: fn())
        self._pending = Batch()
        self._inflight: Batch | None = None
        self._mirror: list[tuple[ProductDoc, float]] | None = None  # changes made while a rebuild runs
        self._flush_lock = threading.Lock()
        self._running = False

    # --- the state a change is judged against ----------------------------------------------------------

    def current(self, doc_id: str) -> ProductDoc | None:
        if doc_id in self._pending.docs:
            return self._pending.docs[doc_id]
        if self._inflight is not None and doc_id in self._inflight.docs:
            return self._inflight.docs[doc_id]
        return self.backend.get([doc_id]).get(doc_id)

    def _uncommitted(self) -> Batch | _Done:
        """The ticket of a change that needs no write of its own: it was judged against documents that may not
        be committed yet (a duplicate of a pending change, or one made stale by it), so it may be acknowledged
        only once they are; otherwise a crash before that commit would lose a change already acknowledged."""
        if self._pending.docs:
            return self._pending
        if self._inflight is not None:
            return self._inflight
        return DONE

    def _stage(self, doc: ProductDoc, when: float) -> Batch:
        self._pending.docs[doc.id] = doc
        if self._mirror is not None:
            self._mirror.append((doc, when))
        return self._pending

    # --- changes ---------------------------------------------------------------------------------------

    def product_upserted(self, data: dict[str, Any], occurred_at: datetime) -> Batch | _Done:
        when = occurred_at.timestamp()
        incoming = ProductDoc.from_event_data(data, changed_at=when)
        doc = apply_upsert(self.current(incoming.id), incoming)
        if doc is None:
            INDEX_SKIPPED.labels("product_upserted").inc()
            return self._uncommitted()
        return self._stage(doc, when)

    def product_withdrawn(self, vendor_id: str, sku: str, occurred_at: datetime) -> Batch | _Done:
        when = occurred_at.timestamp()
        current = self.current(product_id(vendor_id, sku))
        if current is None or not current.live or current.changed_at > when:
            INDEX_SKIPPED.labels("product_withdrawn").inc()
            return self._uncommitted()
        return self._stage(current.tombstone(when), when)

    def stock_changed(self, lines: list[dict[str, Any]], occurred_at: datetime) -> Batch | _Done:
        when = occurred_at.timestamp()
        ticket: Batch | _Done = DONE
        for line in lines:
            update = StockUpdate(line["vendor_id"], line["sku"], line["available"], line["version"], when)
            doc = apply_stock(self.current(update.id), update)
            if doc is None:
                INDEX_SKIPPED.labels("stock_changed").inc()
                continue
            ticket = self._stage(doc, when)
            ticket.stock_times.append(when)
        return ticket if ticket is not DONE else self._uncommitted()

    # --- commits ---------------------------------------------------------------------------------------

    def due(self) -> bool:
        pending = self._pending
        return bool(pending.docs) and (
            len(pending.docs) >= self.max_batch or time.monotonic() - pending.opened >= self.interval
        )

    def flush(self) -> None:
        """Commit everything pending now; every waiter of the batch is released (with the error, if any)."""
        with self._flush_lock:
            self._flush_unlocked()

    def _flush_unlocked(self) -> None:
        if True:
            batch, self._pending = self._pending, Batch()
            if not batch.docs:
                batch.done.set()
                return
            self._inflight = batch
            try:
                self._blocking(lambda: self.backend.write(list(batch.docs.values())))
            except BaseException as exc:  # noqa: BLE001 - handed to every waiter, which raises and retries
                log.exception("index commit of %d documents failed", len(batch.docs))
                batch.error = exc
            else:
                now = time.time()
                for occurred in batch.stock_times:
                    INDEX_LAG.observe(max(0.0, now - occurred))
                INDEX_BATCH_SIZE.observe(len(batch.docs))
            finally:
                self._inflight = None
                batch.done.set()

    def run(self, poll: float = 0.02) -> None:
        """The commit loop (a background thread of the service)."""
        self._running = True
        while self._running:
            time.sleep(poll)
            if self.due():
                self.flush()
        self.flush()

    def stop(self) -> None:
        self._running = False

    # --- rebuilds ----------------------------------------------------------------------------------------

    def start_mirroring(self) -> None:
        self._mirror = []

    def switch_over(self, builder: IndexBuilder, since: float) -> int:
        """Replay onto the new index what changed while it was built, then switch it in, with no commit between.

        A change whose event occurred before ``since`` (the rebuild's start) is already in the stream.
        """
        with self._flush_lock:
            self._flush_unlocked()
            mirror, self._mirror = self._mirror or [], None
            latest: dict[str, ProductDoc] = {}
            for doc, when in mirror:
                if when >= since:
                    latest[doc.id] = doc
            if latest:
                builder.write(list(latest.values()))
            self._blocking(builder.finish)
            return len(latest)

    def stop_mirroring(self) -> None:
        self._mirror = None


def bulk_load(
    backend: SearchBackend, rows: Iterable[dict[str, Any]], occurred_at: datetime, batch: int = 50_000
) -> int:
    """Fill a fresh index generation from catalog rows and switch it in: no per-document lookup.

    For a first load, an evaluation or a benchmark; every (vendor_id, sku) must occur once in ``rows``.
    A live service rebuilds through :func:`search.rebuild.rebuild_index`, which replays concurrent events.
    """
    when = occurred_at.timestamp()
    builder = backend.start_rebuild()
    loaded, chunk = 0, []
    try:
        for row in rows:
            doc = ProductDoc.from_event_data(row, changed_at=when)
            if doc.live:
                chunk.append(doc)
            if len(chunk) >= batch:
                builder.load(chunk)
                loaded, chunk = loaded + len(chunk), []
        builder.load(chunk)
        builder.finish()
    except BaseException:
        builder.abort()
        raise
    return loaded + len(chunk)
