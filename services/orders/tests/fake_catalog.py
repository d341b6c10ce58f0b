"""A faithful stand-in for the catalog service at orders' port boundary (catalog is another bounded context).

A real nameko service named "catalog" over a real database, implementing the reservation part of the catalog
RPC contract (docs/rpc-contracts.md): ``reserve`` is all or nothing and never takes stock below zero (one
conditional UPDATE per line in one transaction), idempotent per order_ref; ``commit_reservation`` and
``release_reservation`` are idempotent; a release that arrives before its reserve leaves a tombstone so the
late reserve reserves nothing. ``get_vendor`` and ``get_offers`` answer from the same tables.

``FAKE_CATALOG_RESERVE_DELAY`` (seconds) makes ``reserve`` slow, for the tests of a catalog that does not answer
in time: the reservation is still made, late.
"""

from __future__ import annotations

import json

import eventlet
from nameko.dependency_providers import Config
from nameko.rpc import rpc
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, insert, select, update
from sqlalchemy.exc import IntegrityError

from marktplatz_shared.db import Database, make_engine, transaction
from marktplatz_shared.errors import Conflict, NotFound

metadata = MetaData()

vendors = Table(
    "vendors",
    metadata,
    Column("vendor_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("fulfilment", Text, nullable=False),
)
stock = Table(
    "stock",
    metadata,
    Column("vendor_id", String(64), primary_key=True),
    Column("sku", String(64), primary_key=True),
    Column("title", String(300), nullable=False),
    Column("price", String(16), nullable=False),
    Column("on_hand", Integer, nullable=False),
    Column("reserved", Integer, nullable=False, default=0),
)
reservations = Table(
    "reservations",
    metadata,
    Column("order_ref", String(64), primary_key=True),
    Column("status", String(16), nullable=False),  # reserved | committed | released
    Column("lines", Text, nullable=False),
    Column("expires_at", String(40), nullable=True),
)


class _Short(Exception):
    def __init__(self, shortages):
        self.shortages = shortages


class FakeCatalog:
    name = "catalog"
    db = Database()
    config = Config()

    def _slow(self):
        eventlet.sleep(float(self.config.get("FAKE_CATALOG_RESERVE_DELAY", 0)))

    @rpc
    def get_vendor(self, vendor_id):
        with self.db.read() as session:
            row = session.execute(select(vendors).where(vendors.c.vendor_id == vendor_id)).first()
        if row is None:
            raise NotFound(f"no vendor {vendor_id}")
        return {"vendor_id": row.vendor_id, "name": row.name, "fulfilment": json.loads(row.fulfilment)}

    @rpc
    def get_offers(self, refs):
        keys = {(r["vendor_id"], r["sku"]) for r in refs}
        with self.db.read() as session:
            rows = session.execute(select(stock)).all()
        return [_product(r) for r in rows if (r.vendor_id, r.sku) in keys]

    @rpc
    def reserve(self, order_ref, lines, expires_at):
        self._slow()
        try:
            with self.db.transaction() as tx:
                existing = tx.session.execute(select(reservations).where(reservations.c.order_ref == order_ref)).first()
                if existing is not None:
                    if existing.status == "released":
                        raise Conflict("this reservation was released", {"order_ref": order_ref})
                    return {"status": "reserved", "lines": json.loads(existing.lines)}
                priced, shortages = [], []
                for line in lines:
                    key = (stock.c.vendor_id == line["vendor_id"], stock.c.sku == line["sku"])
                    taken = tx.session.execute(
                        update(stock)
                        .where(*key, stock.c.on_hand - stock.c.reserved >= line["quantity"])
                        .values(reserved=stock.c.reserved + line["quantity"])
                    ).rowcount
                    row = tx.session.execute(select(stock).where(*key)).first()
                    if not taken:
                        available = max(row.on_hand - row.reserved, 0) if row else 0
                        shortages.append({**_ref(line), "requested": line["quantity"], "available": available})
                    else:
                        price = {"unit_price": row.price, "title": row.title}
                        priced.append({**_ref(line), "quantity": line["quantity"], **price})
                if shortages:
                    raise _Short(shortages)  # rolls back every line taken so far: all or nothing
                tx.session.execute(
                    insert(reservations).values(
                        order_ref=order_ref, status="reserved", lines=json.dumps(priced), expires_at=expires_at
                    )
                )
                return {"status": "reserved", "lines": priced}
        except _Short as short:
            return {"status": "short", "shortages": short.shortages}
        except IntegrityError:  # the same order_ref reserved concurrently: idempotent
            return self.reserve(order_ref, lines, expires_at)

    @rpc
    def commit_reservation(self, order_ref):
        return self._finish(order_ref, "committed")

    @rpc
    def release_reservation(self, order_ref):
        return self._finish(order_ref, "released")

    def _finish(self, order_ref, status):
        with self.db.transaction() as tx:
            row = tx.session.execute(select(reservations).where(reservations.c.order_ref == order_ref)).first()
            if row is None:
                if status == "committed":
                    raise NotFound(f"no reservation {order_ref}")
                tx.session.execute(insert(reservations).values(order_ref=order_ref, status="released", lines="[]"))
                return {"status": status}
            if row.status == status:
                return {"status": status}
            if row.status != "reserved":
                raise Conflict(f"reservation is {row.status}", {"status": row.status})
            # conditional on the status: of two concurrent calls only one moves the stock
            moved = tx.session.execute(
                update(reservations)
                .where(reservations.c.order_ref == order_ref, reservations.c.status == "reserved")
                .values(status=status)
            ).rowcount
            if not moved:
                return {"status": status}
            for line in json.loads(row.lines):
                key = (stock.c.vendor_id == line["vendor_id"], stock.c.sku == line["sku"])
                values = {"reserved": stock.c.reserved - line["quantity"]}
                if status == "committed":
                    values["on_hand"] = stock.c.on_hand - line["quantity"]
                tx.session.execute(update(stock).where(*key).values(**values))
        return {"status": status}


def _ref(line):
    return {"vendor_id": line["vendor_id"], "sku": line["sku"]}


def _product(row):
    return {
        "vendor_id": row.vendor_id,
        "sku": row.sku,
        "title": row.title,
        "price": row.price,
        "available": row.on_hand - row.reserved,
        "on_hand": row.on_hand,
        "reserved": row.reserved,
    }


class CatalogDb:
    """The fake catalog's database as a test arranges and inspects it."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        metadata.create_all(self.engine)

    def add_vendor(self, vendor_id, name=None, fulfilment=("pickup",)):
        with transaction(self.engine, "catalog") as tx:
            tx.session.execute(
                insert(vendors).values(vendor_id=vendor_id, name=name or vendor_id, fulfilment=json.dumps(fulfilment))
            )

    def add_stock(self, vendor_id, sku, on_hand, price="9.90", title=None):
        with transaction(self.engine, "catalog") as tx:
            tx.session.execute(
                insert(stock).values(
                    vendor_id=vendor_id,
                    sku=sku,
                    title=title or f"Artikel {sku}",
                    price=price,
                    on_hand=on_hand,
                    reserved=0,
                )
            )

    def stock(self, vendor_id, sku):
        with self.engine.connect() as conn:
            row = conn.execute(select(stock).where(stock.c.vendor_id == vendor_id, stock.c.sku == sku)).first()
        return {"on_hand": row.on_hand, "reserved": row.reserved, "available": row.on_hand - row.reserved}

    def totals(self):
        """(on_hand, reserved) summed over all stock."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(stock.c.on_hand, stock.c.reserved)).all()
        return sum(r.on_hand for r in rows), sum(r.reserved for r in rows)

    def reservation(self, order_ref):
        with self.engine.connect() as conn:
            row = conn.execute(select(reservations).where(reservations.c.order_ref == order_ref)).first()
        return None if row is None else row.status

    def reservation_count(self):
        """Reservations of any status, tombstones of early releases included."""
        with self.engine.connect() as conn:
            return len(conn.execute(select(reservations.c.order_ref)).all())

    def active_reservations(self):
        with self.engine.connect() as conn:
            query = select(reservations.c.order_ref).where(reservations.c.status == "reserved")
            return conn.execute(query).scalars().all()

    def dispose(self):
        self.engine.dispose()
