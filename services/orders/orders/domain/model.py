"""Orders and vendor orders as plain dataclasses, with the rules that change them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from .states import OPEN_STATES, Action, IllegalTransition, State, StockSettlement, next_state, settlement_for

CENT = Decimal("0.01")


def money(value: Decimal | str) -> str:
    """A decimal amount as the platform writes it: ``"12.90"``."""
    return str(Decimal(value).quantize(CENT))


@dataclass(frozen=True)
class Shopper:
    name: str | None
    email: str | None
    phone: str | None
    language: str

    @property
    def erased(self) -> bool:
        return self.email is None


@dataclass(frozen=True)
class Fulfilment:
    method: str  # pickup | delivery
    address: dict[str, Any] | None = None


@dataclass(frozen=True)
class Line:
    sku: str
    title: str
    quantity: int
    unit_price: Decimal

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class ExpiryPolicy:
    """How long a vendor order may wait: to be accepted, and to be collected once ready."""

    accept_window: timedelta = timedelta(hours=24)
    pickup_window: timedelta = timedelta(hours=48)

    def deadline(self, state: State, since: datetime) -> datetime | None:
        if state is State.PLACED:
            return since + self.accept_window
        if state is State.READY:
            return since + self.pickup_window
        return None


@dataclass
class VendorOrder:
    vendor_order_id: str
    order_id: str
    vendor_id: str
    vendor_name: str
    fulfilment: Fulfilment
    pickup_code: str
    lines: list[Line]
    state: State = State.PLACED
    placed_at: datetime | None = None
    accepted_at: datetime | None = None
    ready_at: datetime | None = None
    closed_at: datetime | None = None
    expires_at: datetime | None = None
    cancel_reason: str | None = None
    cancelled_by: str | None = None

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal("0"))

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def apply(
        self, action: Action, now: datetime, policy: ExpiryPolicy, reason: str | None = None, by: str | None = None
    ) -> StockSettlement | None:
        """Move to the next state or raise :class:`IllegalTransition`; returns what catalog must do, if anything."""
        if action is Action.EXPIRE and (self.expires_at is None or now < self.expires_at):
            raise IllegalTransition(self.state, action, "its window has not passed")
        target = next_state(self.state, action, self.fulfilment.method)
        self.state = target
        if target is State.ACCEPTED:
            self.accepted_at = now
        elif target is State.READY:
            self.ready_at = now
        if target in OPEN_STATES:
            self.expires_at = policy.deadline(target, now)
        else:
            self.closed_at = now
            self.expires_at = None
        if target is State.CANCELLED:
            self.cancel_reason = reason
            self.cancelled_by = by
        elif target is State.EXPIRED:
            self.cancelled_by = "system"
        return settlement_for(target)


@dataclass
class Order:
    order_id: str
    shopper: Shopper
    vendor_orders: list[VendorOrder] = field(default_factory=list)
    created_at: datetime | None = None
    closed_at: datetime | None = None

    @property
    def total(self) -> Decimal:
        return sum((vo.total for vo in self.vendor_orders), Decimal("0"))

    @property
    def is_closed(self) -> bool:
        return all(not vo.is_open for vo in self.vendor_orders)

    def vendor_order(self, vendor_order_id: str) -> VendorOrder | None:
        return next((vo for vo in self.vendor_orders if vo.vendor_order_id == vendor_order_id), None)


__all__ = [
    "CENT",
    "ExpiryPolicy",
    "Fulfilment",
    "IllegalTransition",
    "Line",
    "Order",
    "Shopper",
    "StockSettlement",
    "VendorOrder",
    "money",
]
