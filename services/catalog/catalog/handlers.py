"""The catalog's use cases. Each takes the database access of the caller (a nameko worker's ``self.db`` or
:func:`catalog.bootstrap.database` in a CLI) and plain data, and returns plain data.

State changes and their events commit together: ``tx.emit`` records the event in the outbox.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError

from marktplatz_shared.errors import Conflict, InvalidInput, NotFound
from marktplatz_shared.events import Event

from .adapters import repository as repo
from .domain.products import validate_product
from .domain.reservations import (
    COMMITTED,
    RELEASED,
    RESERVED,
    ReservationLine,
    check_can_commit,
    check_can_release,
    parse_request,
    same_lines,
)
from .domain.stock import BatchOutcome, StockLevel, StockLine, apply_batch, parse_lines, to_stock_line
from .domain.vendors import apply_vendor_changes, validate_vendor

log = logging.getLogger(__name__)

MAX_PAGE = 1000
DEFAULT_MAX_BATCH_LINES = 5000
T = TypeVar("T")


class DatabaseAccess(Protocol):  # marktplatz_shared.db.DatabaseAccess
    def transaction(self): ...
    def read(self): ...
    def once(self, evt: Event, consumer: str | None = None): ...


# --- paging ----------------------------------------------------------------------------------------------


def encode_cursor(*key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def decode_cursor(cursor: Any, parts: int) -> list[str] | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if isinstance(key, list) and len(key) == parts and all(isinstance(k, str) for k in key):
            return key
    except (ValueError, TypeError, AttributeError):
        pass
    raise InvalidInput("invalid cursor: pass the next_cursor of the previous page", {"cursor": ["invalid"]})


def page_limit(limit: Any) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be 1-{MAX_PAGE}", {"limit": [f"must be a whole number from 1 to {MAX_PAGE}"]})
    return limit


def _retry_on_lock_conflict(work: Callable[[], T], attempts: int = 5) -> T:
    """PostgreSQL may abort one of two transactions that lock rows in conflicting order: run it again."""
    for attempt in range(attempts):
        try:
            return work()
        except DBAPIError as exc:
            code = getattr(exc.orig, "pgcode", None)
            if code not in ("40P01", "40001") or attempt == attempts - 1:
                raise
            log.info("transaction aborted by the database (%s); retrying", code)
    raise AssertionError("unreachable")


# --- vendors ---------------------------------------------------------------------------------------------


def register_vendor(db: DatabaseAccess, data: Any) -> dict[str, Any]:
    """Register a shop. Registering the same record again is a no-op (a retried call); a different record
    under an existing id is a Conflict: change a vendor with update_vendor."""
    vendor = validate_vendor(data)
    with db.transaction() as tx:
        existing = repo.find_vendor(tx.session, vendor["vendor_id"], lock=True)
        if existing is not None:
            if existing == vendor:
                return existing
            raise Conflict(f"vendor {vendor['vendor_id']} is already registered; change it with update_vendor")
        repo.insert_vendor(tx.session, vendor)
        tx.emit("vendor_registered", vendor)
    return vendor


def update_vendor(db: DatabaseAccess, vendor_id: Any, changes: Any) -> dict[str, Any]:
    """Change some fields of a shop; no event when nothing changed."""
    with db.transaction() as tx:
        current = repo.find_vendor(tx.session, str(vendor_id), lock=True)
        if current is None:
            raise NotFound(f"unknown vendor {vendor_id}")
        vendor = apply_vendor_changes(current, changes)
        if vendor == current:
            return current
        repo.update_vendor(tx.session, vendor)
        tx.emit("vendor_updated", vendor)
    return vendor


def get_vendor(db: DatabaseAccess, vendor_id: Any) -> dict[str, Any]:
    with db.read() as session:
        vendor = repo.find_vendor(session, str(vendor_id))
    if vendor is None:
        raise NotFound(f"unknown vendor {vendor_id}")
    return vendor


def list_vendors(db: DatabaseAccess, cursor: Any = None, limit: Any = 100) -> dict[str, Any]:
    limit = page_limit(limit)
    after = decode_cursor(cursor, 1)
    with db.read() as session:
        page = repo.vendors_page(session, after[0] if after else None, limit)
    next_cursor = encode_cursor(page[-1]["vendor_id"]) if len(page) == limit else None
    return {"vendors": page, "next_cursor": next_cursor}


# --- products --------------------------------------------------------------------------------------------

PRODUCT_EVENT_FIELDS = (
    "vendor_id",
    "sku",
    "gtin",
    "title",
    "description",
    "brand",
    "category",
    "price",
    "currency",
    "attributes",
    "published",
    "available",
)


def _product_event(product: dict[str, Any]) -> dict[str, Any]:
    return {name: product[name] for name in PRODUCT_EVENT_FIELDS}


def _same_content(stored: dict[str, Any], product: dict[str, Any]) -> bool:
    return all(stored[name] == product[name] for name in PRODUCT_EVENT_FIELDS if name != "available")


def upsert_product(db: DatabaseAccess, data: Any) -> dict[str, Any]:
    """Create or replace a product of a registered vendor; no event when nothing changed (imports repeat)."""
    product = validate_product(data)
    with db.transaction() as tx:
        if not repo.vendor_exists(tx.session, product["vendor_id"]):
            raise NotFound(f"unknown vendor {product['vendor_id']}")
        stored = repo.find_product(tx.session, product["vendor_id"], product["sku"])
        if stored is not None and _same_content(stored, product):
            return stored
        if stored is None:
            repo.insert_product(tx.session, product)
        else:
            repo.update_product(tx.session, product)
        result = repo.find_product(tx.session, product["vendor_id"], product["sku"])
        tx.emit("product_upserted", _product_event(result))
    return result


def withdraw_product(db: DatabaseAccess, vendor_id: Any, sku: Any) -> dict[str, Any]:
    """Take a product off the marketplace (unpublish it); its stock stays. Withdrawing twice is a no-op."""
    with db.transaction() as tx:
        stored = repo.find_product(tx.session, str(vendor_id), str(sku))
        if stored is None:
            raise NotFound(f"unknown product {vendor_id}/{sku}")
        if not stored["published"]:
            return stored
        repo.set_published(tx.session, stored["vendor_id"], stored["sku"], False)
        tx.emit("product_withdrawn", {"vendor_id": stored["vendor_id"], "sku": stored["sku"]})
    return {**stored, "published": False}


def get_product(db: DatabaseAccess, vendor_id: Any, sku: Any) -> dict[str, Any]:
    with db.read() as session:
        product = repo.find_product(session, str(vendor_id), str(sku))
    if product is None:
        raise NotFound(f"unknown product {vendor_id}/{sku}")
    return product


def get_offers(db: DatabaseAccess, refs: Any) -> list[dict[str, Any]]:
    """The products named by ``refs`` in the order asked for; unknown refs are left out."""
    if not isinstance(refs, list) or not all(
        isinstance(r, dict) and isinstance(r.get("vendor_id"), str) and isinstance(r.get("sku"), str) for r in refs
    ):
        raise InvalidInput("refs must be a list of {vendor_id, sku}", {"refs": ["must be a list of {vendor_id, sku}"]})
    if len(refs) > MAX_PAGE:
        raise InvalidInput(f"at most {MAX_PAGE} refs", {"refs": [f"at most {MAX_PAGE} refs"]})
    keys = [(r["vendor_id"], r["sku"]) for r in refs]
    with db.read() as session:
        found = repo.find_products(session, keys)
    return [found[key] for key in dict.fromkeys(keys) if key in found]


def list_products(db: DatabaseAccess, vendor_id: Any, cursor: Any = None, limit: Any = 100) -> dict[str, Any]:
    limit = page_limit(limit)
    after = decode_cursor(cursor, 2)
    with db.read() as session:
        if not repo.vendor_exists(session, str(vendor_id)):
            raise NotFound(f"unknown vendor {vendor_id}")
        page = repo.products_page(session, tuple(after) if after else None, limit, vendor_id=str(vendor_id))
    return {"products": page, "next_cursor": _next_product_cursor(page, limit)}


def stream_published_products(db: DatabaseAccess, cursor: Any = None, limit: Any = 500) -> dict[str, Any]:
    """Every published product with its availability, in pages, for rebuilding a search index."""
    limit = page_limit(limit)
    after = decode_cursor(cursor, 2)
    with db.read() as session:
        page = repo.products_page(session, tuple(after) if after else None, limit, published_only=True)
    return {"products": page, "next_cursor": _next_product_cursor(page, limit)}


def _next_product_cursor(page: list[dict[str, Any]], limit: int) -> str | None:
    return encode_cursor(page[-1]["vendor_id"], page[-1]["sku"]) if len(page) == limit else None


# --- stock -----------------------------------------------------------------------------------------------


def apply_stock_batch(
    db: DatabaseAccess,
    vendor_id: Any,
    mode: Any,
    lines: Any,
    max_lines: int = DEFAULT_MAX_BATCH_LINES,
    source: str = "rpc",
) -> dict[str, Any]:
    """Apply a batch of POS lines (``report``: absolute counts, ``adjust``: deltas) all together.

    The whole batch is validated first (a bad line rejects the batch, naming the line); stale lines (sequence
    not newer than the last applied) change nothing; unknown skus are returned and recorded. One
    ``stock_changed`` event carries the lines whose availability changed.
    """
    parsed = parse_lines(mode, lines, max_lines)
    return _retry_on_lock_conflict(lambda: _apply_lines(db, str(vendor_id), parsed, source, event=None))


def apply_pos_event(db: DatabaseAccess, event: Event, mode: str) -> dict[str, Any]:
    """Apply a POS event (validated against its contract by the consumer) exactly once."""
    lines = [to_stock_line(mode, line) for line in event.data["lines"]]
    return _retry_on_lock_conflict(
        lambda: _apply_lines(db, event.data["vendor_id"], lines, f"event {event.event_id}", event=event)
    )


def _apply_lines(
    db: DatabaseAccess, vendor_id: str, lines: list[StockLine], source: str, event: Event | None
) -> dict[str, Any]:
    with db.once(event) if event is not None else db.transaction() as tx:
        if not repo.vendor_exists(tx.session, vendor_id):
            raise InvalidInput(f"unknown vendor {vendor_id}", {"vendor_id": ["unknown vendor"]})
        levels = repo.lock_stock_levels(tx.session, vendor_id, [line.sku for line in lines])
        outcome = apply_batch(levels, lines)
        repo.save_stock_levels(tx.session, vendor_id, outcome.updated)
        repo.touch_stock_update(tx.session, vendor_id)
        if outcome.unknown_skus:
            unknown = set(outcome.unknown_skus)
            rejected = [(line.sku, line.sequence) for line in lines if line.sku in unknown]
            repo.record_rejections(tx.session, vendor_id, rejected, "unknown sku", source)
            log.warning("stock batch for %s from %s: unknown skus %s", vendor_id, source, outcome.unknown_skus[:20])
        if outcome.changed:
            tx.emit("stock_changed", {"lines": _changed_lines(vendor_id, outcome)})
    return {
        "applied": outcome.applied,
        "stale": outcome.stale,
        "unknown_skus": outcome.unknown_skus,
        "changed": [
            {"sku": sku, "available": outcome.updated[sku].available, "version": outcome.updated[sku].version}
            for sku in outcome.changed
        ],
    }


def _changed_lines(vendor_id: str, outcome: BatchOutcome) -> list[dict[str, Any]]:
    return [
        {
            "vendor_id": vendor_id,
            "sku": sku,
            "available": outcome.updated[sku].available,
            "version": outcome.updated[sku].version,
        }
        for sku in outcome.changed
    ]


def stock_freshness(db: DatabaseAccess) -> dict[str, Any]:
    """When each shop last sent stock (a POS batch over AMQP or HTTP); None for a shop that never did."""
    with db.read() as session:
        return {"vendors": repo.stock_freshness(session)}


def rejected_stock_lines(db: DatabaseAccess, vendor_id: Any, limit: Any = 100) -> list[dict[str, Any]]:
    """The latest POS lines that could not be applied for a vendor (newest first)."""
    limit = page_limit(limit)
    with db.read() as session:
        return repo.rejections_page(session, str(vendor_id), limit)


# --- reservations ----------------------------------------------------------------------------------------


def reserve(db: DatabaseAccess, order_ref: Any, lines: Any, expires_at: Any) -> dict[str, Any]:
    """Hold every line or none. Never takes availability below zero: each hold is a conditional UPDATE."""
    order_ref, wanted, expiry = parse_request(order_ref, lines, expires_at)

    def attempt() -> dict[str, Any]:
        try:
            return _reserve(db, order_ref, wanted, expiry)
        except IntegrityError:  # a concurrent call with the same order_ref won: answer as a repeat
            with db.read() as session:
                existing = repo.find_reservation(session, order_ref)
            if existing is None:
                raise
            return _repeat_of_reservation(existing, wanted)

    return _retry_on_lock_conflict(attempt)


class _Short(Exception):
    def __init__(self, shortages):
        self.shortages = shortages


def _reserve(db: DatabaseAccess, order_ref: str, wanted: list[ReservationLine], expiry: datetime) -> dict[str, Any]:
    try:
        with db.transaction() as tx:
            existing = repo.find_reservation(tx.session, order_ref)
            if existing is not None:
                return _repeat_of_reservation(existing, wanted)
            offers = repo.find_products(tx.session, [(line.vendor_id, line.sku) for line in wanted])
            shortages, held, changed = [], [], []
            for line in wanted:
                offer = offers.get((line.vendor_id, line.sku))
                level = repo.hold_stock(tx.session, line) if offer and offer["published"] else None
                if level is None:
                    shortages.append(_shortage(tx.session, line, offer))
                    continue
                held.append({**line.__dict__, "unit_price": offer["price"], "title": offer["title"]})
                changed.append((line, level))
            if shortages:
                raise _Short(shortages)  # rolls back every hold made above
            repo.insert_reservation(tx.session, order_ref, expiry, held)
            tx.emit("stock_changed", {"lines": _level_lines(changed)})
    except _Short as short:
        return {"status": "short", "shortages": short.shortages}
    return {"status": "reserved", "lines": held}


def _shortage(session, line: ReservationLine, offer: dict[str, Any] | None) -> dict[str, Any]:
    level = repo.stock_level(session, line.vendor_id, line.sku) if offer and offer["published"] else None
    return {
        "vendor_id": line.vendor_id,
        "sku": line.sku,
        "requested": line.quantity,
        "available": level.available if level else 0,
    }


def _repeat_of_reservation(existing: dict[str, Any], wanted: list[ReservationLine]) -> dict[str, Any]:
    if existing["status"] == RELEASED:
        raise Conflict(f"reservation {existing['order_ref']} was released (or expired)")
    stored = [ReservationLine(x["vendor_id"], x["sku"], x["quantity"]) for x in existing["lines"]]
    if not same_lines(stored, wanted):
        raise Conflict(f"reservation {existing['order_ref']} exists with different lines")
    return {"status": "reserved", "lines": existing["lines"]}


def _level_lines(changed: Iterable[tuple[ReservationLine, StockLevel]]) -> list[dict[str, Any]]:
    return [
        {"vendor_id": line.vendor_id, "sku": line.sku, "available": level.available, "version": level.version}
        for line, level in changed
    ]


def commit_reservation(db: DatabaseAccess, order_ref: Any) -> dict[str, Any]:
    """Turn a reservation into a sale: the units leave on_hand and reserved. Idempotent."""
    return _retry_on_lock_conflict(lambda: _finish(db, str(order_ref), COMMITTED))


def release_reservation(db: DatabaseAccess, order_ref: Any) -> dict[str, Any]:
    """Give the units back. Idempotent; releasing an unknown reference holds nothing and blocks a later reserve
    with that reference (a reserve that reached us after the caller gave up on it)."""
    return _retry_on_lock_conflict(lambda: _finish(db, str(order_ref), RELEASED))


def _finish(db: DatabaseAccess, order_ref: str, to_status: str) -> dict[str, Any]:
    with db.transaction() as tx:
        reservation = repo.find_reservation(tx.session, order_ref, lock=True)
        if reservation is None:
            if to_status == RELEASED:
                repo.insert_release_marker(tx.session, order_ref)
                return {"status": RELEASED}
            raise NotFound(f"unknown reservation {order_ref}")
        check = check_can_commit if to_status == COMMITTED else check_can_release
        if not check(order_ref, reservation["status"]):
            return {"status": to_status}
        if not repo.set_reservation_status(tx.session, order_ref, RESERVED, to_status):
            raise Conflict(f"reservation {order_ref} changed concurrently; try again")
        changed = []
        for raw in sorted(reservation["lines"], key=lambda x: (x["vendor_id"], x["sku"])):
            line = ReservationLine(raw["vendor_id"], raw["sku"], raw["quantity"])
            level = repo.give_back(tx.session, line, sold=to_status == COMMITTED)
            if to_status == RELEASED and level is not None:
                changed.append((line, level))
        if changed:
            tx.emit("stock_changed", {"lines": _level_lines(changed)})
    return {"status": to_status}


def release_expired(db: DatabaseAccess, moment: datetime, limit: int = 100) -> list[str]:
    """Release reservations whose time ran out; each in its own transaction. Returns their references."""
    with db.read() as session:
        expired = repo.expired_reservations(session, moment, limit)
    released = []
    for order_ref in expired:
        try:
            release_reservation(db, order_ref)
            released.append(order_ref)
        except Conflict:  # committed between the query and the release: it is a sale now
            continue
    if released:
        log.info("released %d expired reservations", len(released))
    return released
