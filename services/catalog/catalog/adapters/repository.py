"""Reading and writing the catalog's tables. Functions take the session of the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, bindparam, case, func, insert, or_, select, tuple_, update
from sqlalchemy.orm import Session

from ..domain.products import cents_to_price, price_to_cents
from ..domain.reservations import RELEASED, RESERVED, ReservationLine
from ..domain.stock import StockLevel
from .tables import products, reservation_lines, reservations, stock, stock_rejections, vendors

#: SQLite allows 32766 bound parameters; stay well below for (vendor_id, sku) pairs and IN lists
CHUNK = 900

VENDOR_FIELDS = (
    "vendor_id",
    "name",
    "kind",
    "street",
    "postcode",
    "city",
    "lat",
    "lon",
    "timezone",
    "opening_hours",
    "fulfilment",
    "contact_email",
    "webhook_url",
)


def now() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes; every time we store is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _locking(session: Session, query):
    """Row locks on PostgreSQL; SQLite's write transactions (BEGIN IMMEDIATE) already exclude each other."""
    return query.with_for_update() if session.get_bind().dialect.name == "postgresql" else query


# --- vendors ---------------------------------------------------------------------------------------------


def vendor_record(row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in VENDOR_FIELDS}


def find_vendor(session: Session, vendor_id: str, lock: bool = False) -> dict[str, Any] | None:
    query = select(vendors).where(vendors.c.vendor_id == vendor_id)
    row = session.execute(_locking(session, query) if lock else query).first()
    return vendor_record(row) if row else None


def vendor_exists(session: Session, vendor_id: str) -> bool:
    return session.execute(select(vendors.c.vendor_id).where(vendors.c.vendor_id == vendor_id)).first() is not None


def touch_stock_update(session: Session, vendor_id: str) -> None:
    session.execute(update(vendors).where(vendors.c.vendor_id == vendor_id).values(last_stock_update_at=now()))


def stock_freshness(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(
        select(vendors.c.vendor_id, vendors.c.name, vendors.c.last_stock_update_at).order_by(vendors.c.vendor_id)
    )
    return [{"vendor_id": r.vendor_id, "name": r.name, "last_pos_update": _aware(r.last_stock_update_at)} for r in rows]


def _aware(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def insert_vendor(session: Session, vendor: Mapping[str, Any]) -> None:
    moment = now()
    session.execute(insert(vendors).values(**vendor, created_at=moment, updated_at=moment))


def update_vendor(session: Session, vendor: Mapping[str, Any]) -> None:
    session.execute(
        update(vendors).where(vendors.c.vendor_id == vendor["vendor_id"]).values(**vendor, updated_at=now())
    )


def vendors_page(session: Session, after: str | None, limit: int) -> list[dict[str, Any]]:
    query = select(vendors).order_by(vendors.c.vendor_id).limit(limit)
    if after is not None:
        query = query.where(vendors.c.vendor_id > after)
    # updated_at: a consumer filling its copy from this page orders it against the vendor events (notifications)
    return [{**vendor_record(row), "updated_at": aware(row.updated_at).isoformat()} for row in session.execute(query)]


# --- products --------------------------------------------------------------------------------------------

_PRODUCT_COLUMNS = (
    products.c.vendor_id,
    products.c.sku,
    products.c.gtin,
    products.c.title,
    products.c.description,
    products.c.brand,
    products.c.category,
    products.c.price_cents,
    products.c.currency,
    products.c.attributes,
    products.c.published,
    stock.c.on_hand,
    stock.c.reserved,
    stock.c.version,
)


def _products_with_stock():
    return select(*_PRODUCT_COLUMNS).select_from(
        products.join(stock, and_(stock.c.vendor_id == products.c.vendor_id, stock.c.sku == products.c.sku))
    )


def product_record(row: Any) -> dict[str, Any]:
    """The product as the RPC contract and the ``product_upserted`` event show it, with its stock."""
    level = StockLevel(on_hand=row.on_hand, reserved=row.reserved, version=row.version)
    return {
        "vendor_id": row.vendor_id,
        "sku": row.sku,
        "gtin": row.gtin,
        "title": row.title,
        "description": row.description,
        "brand": row.brand,
        "category": row.category,
        "price": cents_to_price(row.price_cents),
        "currency": row.currency,
        "attributes": dict(row.attributes or {}),
        "published": bool(row.published),
        "available": level.available,
        "on_hand": level.on_hand,
        "reserved": level.reserved,
        "version": level.version,
    }


def find_product(session: Session, vendor_id: str, sku: str) -> dict[str, Any] | None:
    row = session.execute(
        _products_with_stock().where(products.c.vendor_id == vendor_id, products.c.sku == sku)
    ).first()
    return product_record(row) if row else None


def _product_values(product: Mapping[str, Any]) -> dict[str, Any]:
    values = {k: product[k] for k in ("gtin", "title", "description", "brand", "category", "currency", "published")}
    values["attributes"] = dict(product["attributes"])
    values["price_cents"] = price_to_cents(Decimal(product["price"]))
    return values


def insert_product(session: Session, product: Mapping[str, Any]) -> None:
    moment = now()
    session.execute(
        insert(products).values(
            vendor_id=product["vendor_id"],
            sku=product["sku"],
            **_product_values(product),
            created_at=moment,
            updated_at=moment,
        )
    )
    session.execute(
        insert(stock).values(
            vendor_id=product["vendor_id"], sku=product["sku"], on_hand=0, reserved=0, version=0, updated_at=moment
        )
    )


def update_product(session: Session, product: Mapping[str, Any]) -> None:
    session.execute(
        update(products)
        .where(products.c.vendor_id == product["vendor_id"], products.c.sku == product["sku"])
        .values(**_product_values(product), updated_at=now())
    )


def set_published(session: Session, vendor_id: str, sku: str, published: bool) -> None:
    session.execute(
        update(products)
        .where(products.c.vendor_id == vendor_id, products.c.sku == sku)
        .values(published=published, updated_at=now())
    )


def products_page(
    session: Session,
    after: tuple[str, str] | None,
    limit: int,
    vendor_id: str | None = None,
    published_only: bool = False,
) -> list[dict[str, Any]]:
    query = _products_with_stock().order_by(products.c.vendor_id, products.c.sku).limit(limit)
    if vendor_id is not None:
        query = query.where(products.c.vendor_id == vendor_id)
    if published_only:
        query = query.where(products.c.published.is_(True))
    if after is not None:
        query = query.where(tuple_(products.c.vendor_id, products.c.sku) > tuple_(*after))
    return [product_record(row) for row in session.execute(query)]


def find_products(session: Session, refs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for chunk in _chunks(list(dict.fromkeys(refs)), 400):
        condition = or_(*(and_(products.c.vendor_id == v, products.c.sku == s) for v, s in chunk))
        for row in session.execute(_products_with_stock().where(condition)):
            found[(row.vendor_id, row.sku)] = product_record(row)
    return found


# --- stock -----------------------------------------------------------------------------------------------


def lock_stock_levels(session: Session, vendor_id: str, skus: Sequence[str]) -> dict[str, StockLevel]:
    """The current levels of the skus that exist, locked for this transaction (one query per ~900 skus)."""
    levels: dict[str, StockLevel] = {}
    for chunk in _chunks(list(dict.fromkeys(skus))):
        query = select(stock.c.sku, stock.c.on_hand, stock.c.reserved, stock.c.version, stock.c.last_sequence).where(
            stock.c.vendor_id == vendor_id, stock.c.sku.in_(chunk)
        )
        for row in session.execute(_locking(session, query)):
            levels[row.sku] = StockLevel(row.on_hand, row.reserved, row.version, row.last_sequence)
    return levels


_save_stock = (
    update(stock)
    .where(stock.c.vendor_id == bindparam("b_vendor_id"), stock.c.sku == bindparam("b_sku"))
    .values(
        on_hand=bindparam("b_on_hand"),
        version=bindparam("b_version"),
        last_sequence=bindparam("b_last_sequence"),
        updated_at=bindparam("b_updated_at"),
    )
)


def save_stock_levels(session: Session, vendor_id: str, levels: Mapping[str, StockLevel]) -> None:
    """Write on_hand, version and sequence of many rows in one executemany (reserved is not touched)."""
    if not levels:
        return
    moment = now()
    params = [
        {
            "b_vendor_id": vendor_id,
            "b_sku": sku,
            "b_on_hand": level.on_hand,
            "b_version": level.version,
            "b_last_sequence": level.last_sequence,
            "b_updated_at": moment,
        }
        for sku, level in levels.items()
    ]
    session.connection().execute(_save_stock, params)


def record_rejections(
    session: Session, vendor_id: str, lines: Iterable[tuple[str, int | None]], reason: str, source: str
) -> None:
    rows = [
        {"vendor_id": vendor_id, "sku": sku, "sequence": seq, "reason": reason, "source": source, "received_at": now()}
        for sku, seq in lines
    ]
    if rows:
        session.execute(insert(stock_rejections), rows)


def rejections_page(session: Session, vendor_id: str, limit: int) -> list[dict[str, Any]]:
    query = (
        select(stock_rejections)
        .where(stock_rejections.c.vendor_id == vendor_id)
        .order_by(stock_rejections.c.id.desc())
        .limit(limit)
    )
    return [
        {
            "sku": row.sku,
            "sequence": row.sequence,
            "reason": row.reason,
            "source": row.source,
            "received_at": aware(row.received_at).isoformat(),
        }
        for row in session.execute(query)
    ]


# --- reservations ----------------------------------------------------------------------------------------


def find_reservation(session: Session, order_ref: str, lock: bool = False) -> dict[str, Any] | None:
    query = select(reservations).where(reservations.c.order_ref == order_ref)
    row = session.execute(_locking(session, query) if lock else query).first()
    if row is None:
        return None
    lines = session.execute(
        select(reservation_lines).where(reservation_lines.c.order_ref == order_ref).order_by(reservation_lines.c.id)
    ).all()
    return {
        "order_ref": row.order_ref,
        "status": row.status,
        "expires_at": aware(row.expires_at),
        "lines": [
            {
                "vendor_id": line.vendor_id,
                "sku": line.sku,
                "quantity": line.quantity,
                "unit_price": cents_to_price(line.unit_price_cents),
                "title": line.title,
            }
            for line in lines
        ],
    }


def hold_stock(session: Session, line: ReservationLine) -> StockLevel | None:
    """Reserve ``line.quantity`` only if that many are available: one conditional UPDATE, so no interleaving
    of concurrent transactions can take availability below zero. None when there are not enough."""
    result = session.execute(
        update(stock)
        .where(
            stock.c.vendor_id == line.vendor_id,
            stock.c.sku == line.sku,
            stock.c.on_hand - stock.c.reserved >= line.quantity,
        )
        .values(reserved=stock.c.reserved + line.quantity, version=stock.c.version + 1, updated_at=now())
    )
    if result.rowcount != 1:
        return None
    return stock_level(session, line.vendor_id, line.sku)


def stock_level(session: Session, vendor_id: str, sku: str) -> StockLevel | None:
    row = session.execute(
        select(stock.c.on_hand, stock.c.reserved, stock.c.version, stock.c.last_sequence).where(
            stock.c.vendor_id == vendor_id, stock.c.sku == sku
        )
    ).first()
    return StockLevel(row.on_hand, row.reserved, row.version, row.last_sequence) if row else None


def give_back(session: Session, line: ReservationLine, sold: bool) -> StockLevel | None:
    """Undo a hold: on release the units become available again; on commit they leave the shelf (sold)."""
    values: dict[str, Any] = {
        "reserved": case((stock.c.reserved >= line.quantity, stock.c.reserved - line.quantity), else_=0),
        "version": stock.c.version + 1,
        "updated_at": now(),
    }
    if sold:
        values["on_hand"] = case((stock.c.on_hand >= line.quantity, stock.c.on_hand - line.quantity), else_=0)
    session.execute(update(stock).where(stock.c.vendor_id == line.vendor_id, stock.c.sku == line.sku).values(**values))
    return stock_level(session, line.vendor_id, line.sku)


def insert_reservation(
    session: Session, order_ref: str, expires_at: datetime, lines: Sequence[Mapping[str, Any]]
) -> None:
    moment = now()
    session.execute(
        insert(reservations).values(
            order_ref=order_ref, status=RESERVED, expires_at=expires_at, created_at=moment, updated_at=moment
        )
    )
    session.execute(
        insert(reservation_lines),
        [
            {
                "order_ref": order_ref,
                "vendor_id": line["vendor_id"],
                "sku": line["sku"],
                "quantity": line["quantity"],
                "unit_price_cents": price_to_cents(Decimal(line["unit_price"])),
                "title": line["title"],
            }
            for line in lines
        ],
    )


def insert_release_marker(session: Session, order_ref: str) -> None:
    """A released reservation without lines, for a release that came before its reserve: when the late reserve
    arrives (a retried or delayed message) it finds the reference released and holds nothing."""
    moment = now()
    session.execute(
        insert(reservations).values(
            order_ref=order_ref, status=RELEASED, expires_at=moment, created_at=moment, updated_at=moment
        )
    )


def set_reservation_status(session: Session, order_ref: str, from_status: str, to_status: str) -> bool:
    """Move a reservation on only if it is still in ``from_status``: True if this call moved it."""
    result = session.execute(
        update(reservations)
        .where(reservations.c.order_ref == order_ref, reservations.c.status == from_status)
        .values(status=to_status, updated_at=now())
    )
    return result.rowcount == 1


def expired_reservations(session: Session, moment: datetime, limit: int) -> list[str]:
    query = (
        select(reservations.c.order_ref)
        .where(reservations.c.status == RESERVED, reservations.c.expires_at < moment)
        .order_by(reservations.c.expires_at)
        .limit(limit)
    )
    return list(session.execute(query).scalars())


def count_rows(session: Session, table) -> int:
    return session.execute(select(func.count()).select_from(table)).scalar_one()
