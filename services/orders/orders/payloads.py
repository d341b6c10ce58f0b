"""What the orders service hands out: RPC result documents and event data (the shapes of the contracts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .domain.model import Order, Shopper, VendorOrder, money
from .domain.states import State


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def shopper_document(shopper: Shopper) -> dict[str, Any]:
    return {
        "name": shopper.name,
        "email": shopper.email,
        "phone": shopper.phone,
        "language": shopper.language,
        "erased": shopper.erased,
    }


def vendor_order_document(vo: VendorOrder, shopper: Shopper | None = None) -> dict[str, Any]:
    doc = {
        "vendor_order_id": vo.vendor_order_id,
        "order_id": vo.order_id,
        "vendor_id": vo.vendor_id,
        "vendor_name": vo.vendor_name,
        "state": vo.state.value,
        "fulfilment": {"method": vo.fulfilment.method, "address": vo.fulfilment.address},
        "pickup_code": vo.pickup_code,
        "lines": [
            {
                "sku": line.sku,
                "title": line.title,
                "quantity": line.quantity,
                "unit_price": money(line.unit_price),
                "total": money(line.total),
            }
            for line in vo.lines
        ],
        "total": money(vo.total),
        "placed_at": _iso(vo.placed_at),
        "accepted_at": _iso(vo.accepted_at),
        "ready_at": _iso(vo.ready_at),
        "closed_at": _iso(vo.closed_at),
        "expires_at": _iso(vo.expires_at),
        "cancel_reason": vo.cancel_reason,
        "cancelled_by": vo.cancelled_by,
    }
    if shopper is not None:  # the vendor's view: who collects
        doc["shopper"] = shopper_document(shopper)
    return doc


def order_document(order: Order, order_token: str | None = None) -> dict[str, Any]:
    doc = {
        "order_id": order.order_id,
        "shopper": shopper_document(order.shopper),
        "vendor_orders": [vendor_order_document(vo) for vo in order.vendor_orders],
        "total": money(order.total),
        "created_at": _iso(order.created_at),
        "closed_at": _iso(order.closed_at),
    }
    if order_token is not None:
        doc["order_token"] = order_token
    return doc


# --- events (marktplatz_shared.events.contracts: OrderPlaced, VendorOrderEvent) ----------------------------


def _shopper_data(shopper: Shopper) -> dict[str, Any]:
    return {"name": shopper.name, "email": shopper.email, "phone": shopper.phone, "language": shopper.language}


def _vendor_order_data(vo: VendorOrder) -> dict[str, Any]:
    return {
        "vendor_order_id": vo.vendor_order_id,
        "vendor_id": vo.vendor_id,
        "vendor_name": vo.vendor_name,
        "state": vo.state.value,
        "fulfilment": {"method": vo.fulfilment.method, "address": vo.fulfilment.address},
        "pickup_code": vo.pickup_code,
        "lines": [
            {"sku": line.sku, "title": line.title, "quantity": line.quantity, "unit_price": money(line.unit_price)}
            for line in vo.lines
        ],
        "total": money(vo.total),
    }


def order_placed_data(order: Order) -> dict[str, Any]:
    return {
        "order_id": order.order_id,
        "shopper": _shopper_data(order.shopper),
        "vendor_orders": [_vendor_order_data(vo) for vo in order.vendor_orders],
        "total": money(order.total),
    }


EVENT_FOR_STATE = {
    State.ACCEPTED: "vendor_order_accepted",
    State.READY: "vendor_order_ready",
    State.COLLECTED: "vendor_order_collected",
    State.DELIVERED: "vendor_order_collected",  # the shopper has the goods: one event type for both
    State.CANCELLED: "vendor_order_cancelled",
    State.EXPIRED: "order_expired",
}


def vendor_order_event_data(order: Order, vo: VendorOrder, by: str | None) -> dict[str, Any]:
    return {
        "order_id": order.order_id,
        "shopper": _shopper_data(order.shopper),
        "vendor_order": _vendor_order_data(vo),
        "reason": vo.cancel_reason if vo.state is State.CANCELLED else None,
        "by": by,
    }
