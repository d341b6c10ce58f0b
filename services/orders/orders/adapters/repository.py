"""Reading and writing orders. Every state change is a conditional UPDATE, so concurrent writers cannot
both win (on PostgreSQL as on SQLite, where write transactions are serialised anyway)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import and_, insert, select, update
from sqlalchemy.orm import Session

from ..domain.model import Fulfilment, Line, Order, Shopper, VendorOrder, money
from ..domain.states import OPEN_STATES, State, StockSettlement, settlement_for
from .tables import order_lines, orders, vendor_orders

PENDING, PLACED, FAILED = "pending", "placed", "failed"


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything here is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


@dataclass(frozen=True)
class Attempt:
    """The bookkeeping row of a checkout: its idempotency key, status and reservation refs."""

    order_id: str
    status: str
    fingerprint: str
    refs: dict[str, str]  # vendor_id -> vendor_order_id (= order_ref of the reservation in catalog)
    token_hash: str | None


def _attempt(row) -> Attempt:
    return Attempt(row.order_id, row.status, row.fingerprint, json.loads(row.reservation_refs), row.token_hash)


# --- checkout ---------------------------------------------------------------------------------------------


def attempt_by_key(session: Session, key: str) -> Attempt | None:
    row = session.execute(select(orders).where(orders.c.idempotency_key == key)).first()
    return _attempt(row) if row else None


def attempt_by_id(session: Session, order_id: str) -> Attempt | None:
    row = session.execute(select(orders).where(orders.c.order_id == order_id)).first()
    return _attempt(row) if row else None


def insert_pending(
    session: Session, order_id: str, key: str, fingerprint: str, refs: dict[str, str], now: datetime
) -> None:
    """Raises IntegrityError when another attempt holds the key."""
    session.execute(
        insert(orders).values(
            order_id=order_id,
            idempotency_key=key,
            fingerprint=fingerprint,
            status=PENDING,
            reservation_refs=json.dumps(refs, sort_keys=True),
            language="de",
            created_at=now,
        )
    )


def mark_failed(session: Session, order_id: str, now: datetime) -> bool:
    """pending -> failed, freeing the idempotency key for a new attempt; False if the attempt is not pending."""
    result = session.execute(
        update(orders)
        .where(orders.c.order_id == order_id, orders.c.status == PENDING)
        .values(status=FAILED, idempotency_key=None, closed_at=now, release_due_at=now)
    )
    return result.rowcount == 1


def schedule_release(session: Session, order_id: str, due: datetime | None) -> None:
    """When the failed attempt's reservations are to be released (again); None: nothing left to do."""
    session.execute(update(orders).where(orders.c.order_id == order_id).values(release_due_at=due))


def place(session: Session, order: Order, token_hash: str, now: datetime) -> bool:
    """pending -> placed with its vendor orders; False if the attempt is no longer pending."""
    result = session.execute(
        update(orders)
        .where(orders.c.order_id == order.order_id, orders.c.status == PENDING)
        .values(
            status=PLACED,
            token_hash=token_hash,
            shopper_name=order.shopper.name,
            shopper_email=order.shopper.email,
            shopper_phone=order.shopper.phone,
            language=order.shopper.language,
            total=money(order.total),
            placed_at=order.created_at or now,
        )
    )
    if result.rowcount != 1:
        return False
    for vo in order.vendor_orders:
        session.execute(
            insert(vendor_orders).values(
                vendor_order_id=vo.vendor_order_id,
                order_id=order.order_id,
                vendor_id=vo.vendor_id,
                vendor_name=vo.vendor_name,
                state=vo.state.value,
                fulfilment_method=vo.fulfilment.method,
                delivery_address=json.dumps(vo.fulfilment.address) if vo.fulfilment.address else None,
                pickup_code=vo.pickup_code,
                total=money(vo.total),
                placed_at=vo.placed_at,
                expires_at=vo.expires_at,
            )
        )
        session.execute(
            insert(order_lines),
            [
                {
                    "vendor_order_id": vo.vendor_order_id,
                    "sku": line.sku,
                    "title": line.title,
                    "quantity": line.quantity,
                    "unit_price": money(line.unit_price),
                }
                for line in vo.lines
            ],
        )
    return True


# --- loading ----------------------------------------------------------------------------------------------


def _vendor_orders(session: Session, condition) -> list[tuple[int, VendorOrder]]:
    rows = session.execute(select(vendor_orders).where(condition).order_by(vendor_orders.c.seq)).all()
    if not rows:
        return []
    ids = [r.vendor_order_id for r in rows]
    lines: dict[str, list[Line]] = {}
    for line in session.execute(
        select(order_lines).where(order_lines.c.vendor_order_id.in_(ids)).order_by(order_lines.c.id)
    ):
        lines.setdefault(line.vendor_order_id, []).append(
            Line(line.sku, line.title, line.quantity, Decimal(line.unit_price))
        )
    return [
        (
            r.seq,
            VendorOrder(
                vendor_order_id=r.vendor_order_id,
                order_id=r.order_id,
                vendor_id=r.vendor_id,
                vendor_name=r.vendor_name,
                fulfilment=Fulfilment(
                    r.fulfilment_method, json.loads(r.delivery_address) if r.delivery_address else None
                ),
                pickup_code=r.pickup_code,
                lines=lines.get(r.vendor_order_id, []),
                state=State(r.state),
                placed_at=aware(r.placed_at),
                accepted_at=aware(r.accepted_at),
                ready_at=aware(r.ready_at),
                closed_at=aware(r.closed_at),
                expires_at=aware(r.expires_at),
                cancel_reason=r.cancel_reason,
                cancelled_by=r.cancelled_by,
            ),
        )
        for r in rows
    ]


def _shopper(row) -> Shopper:
    return Shopper(row.shopper_name, row.shopper_email, row.shopper_phone, row.language)


@dataclass(frozen=True)
class StoredOrder:
    order: Order
    token_hash: str | None


def load_order(session: Session, order_id: str) -> StoredOrder | None:
    """A placed order with its vendor orders (pending and failed attempts are not orders)."""
    row = session.execute(select(orders).where(orders.c.order_id == order_id, orders.c.status == PLACED)).first()
    if row is None:
        return None
    order = Order(
        order_id=row.order_id,
        shopper=_shopper(row),
        vendor_orders=[vo for _, vo in _vendor_orders(session, vendor_orders.c.order_id == order_id)],
        created_at=aware(row.placed_at),
        closed_at=aware(row.closed_at),
    )
    return StoredOrder(order, row.token_hash)


def order_id_of(session: Session, vendor_order_id: str) -> str | None:
    return session.execute(
        select(vendor_orders.c.order_id).where(vendor_orders.c.vendor_order_id == vendor_order_id)
    ).scalar()


def vendor_orders_page(
    session: Session, vendor_id: str, state: str | None, after_seq: int, limit: int
) -> tuple[list[tuple[VendorOrder, Shopper]], int | None]:
    """Oldest first (the vendor's work queue); returns the page and the seq to continue after, if any."""
    condition = and_(vendor_orders.c.vendor_id == vendor_id, vendor_orders.c.seq > after_seq)
    if state is not None:
        condition = and_(condition, vendor_orders.c.state == state)
    seq_ids = session.execute(
        select(vendor_orders.c.seq).where(condition).order_by(vendor_orders.c.seq).limit(limit + 1)
    ).scalars()
    seqs = list(seq_ids)
    more = len(seqs) > limit
    seqs = seqs[:limit]
    if not seqs:
        return [], None
    page = _vendor_orders(session, vendor_orders.c.seq.in_(seqs))
    shoppers = {
        r.order_id: _shopper(r)
        for r in session.execute(select(orders).where(orders.c.order_id.in_({vo.order_id for _, vo in page})))
    }
    return [(vo, shoppers[vo.order_id]) for _, vo in page], (seqs[-1] if more else None)


# --- transitions ------------------------------------------------------------------------------------------


def save_transition(session: Session, vo: VendorOrder, expected: State) -> bool:
    """Write the vendor order's new state if it still is ``expected``; False if someone else moved it."""
    settlement = settlement_for(vo.state)
    result = session.execute(
        update(vendor_orders)
        .where(vendor_orders.c.vendor_order_id == vo.vendor_order_id, vendor_orders.c.state == expected.value)
        .values(
            state=vo.state.value,
            accepted_at=vo.accepted_at,
            ready_at=vo.ready_at,
            closed_at=vo.closed_at,
            expires_at=vo.expires_at,
            cancel_reason=vo.cancel_reason,
            cancelled_by=vo.cancelled_by,
            settlement=settlement.value if settlement else None,
        )
    )
    return result.rowcount == 1


def close_order(session: Session, order_id: str, now: datetime) -> None:
    session.execute(
        update(orders).where(orders.c.order_id == order_id, orders.c.closed_at.is_(None)).values(closed_at=now)
    )


def mark_settled(session: Session, vendor_order_id: str, now: datetime) -> None:
    session.execute(
        update(vendor_orders).where(vendor_orders.c.vendor_order_id == vendor_order_id).values(settled_at=now)
    )


# --- housekeeping -----------------------------------------------------------------------------------------


def overdue_vendor_orders(session: Session, now: datetime, limit: int) -> list[str]:
    open_states = [s.value for s in OPEN_STATES]
    return list(
        session.execute(
            select(vendor_orders.c.vendor_order_id)
            .where(vendor_orders.c.expires_at <= now, vendor_orders.c.state.in_(open_states))
            .order_by(vendor_orders.c.expires_at)
            .limit(limit)
        ).scalars()
    )


def unsettled_vendor_orders(session: Session, closed_before: datetime, limit: int) -> list[tuple[str, StockSettlement]]:
    """Vendor orders closed before ``closed_before`` whose commit or release catalog has not confirmed."""
    rows = session.execute(
        select(vendor_orders.c.vendor_order_id, vendor_orders.c.settlement)
        .where(
            vendor_orders.c.settlement.is_not(None),
            vendor_orders.c.settled_at.is_(None),
            vendor_orders.c.closed_at < closed_before,
        )
        .limit(limit)
    ).all()
    return [(r.vendor_order_id, StockSettlement(r.settlement)) for r in rows]


def stale_pending(session: Session, started_before: datetime, limit: int) -> list[str]:
    return list(
        session.execute(
            select(orders.c.order_id)
            .where(orders.c.status == PENDING, orders.c.created_at < started_before)
            .limit(limit)
        ).scalars()
    )


def releases_due(session: Session, now: datetime, limit: int) -> list[Attempt]:
    """Failed attempts whose reservations are to be released (again) in catalog."""
    rows = session.execute(
        select(orders).where(orders.c.status == FAILED, orders.c.release_due_at <= now).limit(limit)
    ).all()
    return [_attempt(r) for r in rows]


def failed_at(session: Session, order_id: str) -> datetime | None:
    return aware(session.execute(select(orders.c.closed_at).where(orders.c.order_id == order_id)).scalar())


def erase_personal_data(session: Session, closed_before: datetime, now: datetime, limit: int = 500) -> int:
    """Erase the shopper's contact and delivery addresses of orders closed before ``closed_before``."""
    ids = list(
        session.execute(
            select(orders.c.order_id)
            .where(orders.c.closed_at < closed_before, orders.c.erased_at.is_(None))
            .limit(limit)
        ).scalars()
    )
    if not ids:
        return 0
    session.execute(
        update(orders)
        .where(orders.c.order_id.in_(ids))
        .values(shopper_name=None, shopper_email=None, shopper_phone=None, erased_at=now)
    )
    session.execute(update(vendor_orders).where(vendor_orders.c.order_id.in_(ids)).values(delivery_address=None))
    return len(ids)
