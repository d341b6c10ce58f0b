"""Use case of the operator: rebuild the index from the catalog's product stream, switch it in atomically."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from .domain.products import ProductDoc
from .indexing import IndexingPipeline
from .ports import Catalog, SearchBackend

log = logging.getLogger(__name__)

PAGE_SIZE = 500


def rebuild_index(
    backend: SearchBackend,
    pipeline: IndexingPipeline,
    catalog: Catalog,
    on_vendor: Callable[[dict[str, Any]], None] | None = None,
    page_size: int = PAGE_SIZE,
    pause: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """Fill a new index from ``stream_published_products`` while the live one keeps answering.

    Catalog events handled meanwhile go to the live index and are replayed onto the new one before the
    switch, so nothing that changed during the rebuild is lost. ``pause`` lets other work run between pages.
    """
    started = time.time()
    vendors = 0
    if on_vendor is not None:
        cursor = None
        while True:
            page = catalog.list_vendors(cursor, 500)
            for vendor in page["vendors"]:
                on_vendor(vendor)
                vendors += 1
            cursor = page.get("next_cursor")
            if not cursor:
                break
    builder = backend.start_rebuild()
    pipeline.start_mirroring()
    products = 0
    try:
        cursor = None
        while True:
            page = catalog.stream_published_products(cursor, page_size)
            docs = [ProductDoc.from_event_data(p, changed_at=started) for p in page["products"]]
            builder.load([d for d in docs if d.live])  # the stream holds every product once
            products += len(docs)
            cursor = page.get("next_cursor")
            pause()
            if not cursor:
                break
        replayed = pipeline.switch_over(builder, since=started)
    except BaseException:
        pipeline.stop_mirroring()
        builder.abort()
        raise
    seconds = time.time() - started
    log.info("rebuilt the search index: %d products, %d replayed, %.1fs", products, replayed, seconds)
    return {"products": products, "vendors": vendors, "replayed": replayed, "seconds": round(seconds, 3)}
