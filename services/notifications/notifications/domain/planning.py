"""Which notifications an order event causes.

=========================  ==========================================  ===============================
event                      e-mail to the shopper                        to the vendor
=========================  ==========================================  ===============================
order_placed               order confirmation (every shop of the order)  "new order" e-mail, webhook
vendor_order_accepted      -                                            webhook
vendor_order_ready         ready for pickup                             webhook
vendor_order_collected     -                                            webhook
vendor_order_cancelled     cancelled (with the reason)                  webhook
order_expired              expired                                      webhook
=========================  ==========================================  ===============================

A vendor without a contact e-mail or webhook URL (or not yet known from catalog's events) gets none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marktplatz_shared.events import Event

from . import model
from .formatting import address_lines, line_total

SHOPPER_TEMPLATES = {
    "order_placed": model.ORDER_CONFIRMATION,
    "vendor_order_ready": model.ORDER_READY,
    "vendor_order_cancelled": model.ORDER_CANCELLED,
    "order_expired": model.ORDER_EXPIRED,
}


def vendor_orders_of(event: Event) -> list[dict[str, Any]]:
    data = event.data
    return list(data["vendor_orders"]) if "vendor_orders" in data else [data["vendor_order"]]


def shop_view(vendor_order: Mapping[str, Any], vendor: model.VendorProfile | None) -> dict[str, Any]:
    """One shop's part of an order as the templates show it: what, where, when open, pickup code."""
    fulfilment = vendor_order["fulfilment"]
    delivery_address = fulfilment.get("address") or {}
    return {
        "vendor_id": vendor_order["vendor_id"],
        "vendor_order_id": vendor_order["vendor_order_id"],
        "name": (vendor.name if vendor else "") or vendor_order.get("vendor_name") or vendor_order["vendor_id"],
        "address_lines": address_lines(vendor.street, vendor.postcode, vendor.city) if vendor else [],
        "opening_hours": dict(vendor.opening_hours) if vendor else {},
        "method": fulfilment["method"],
        "delivery_address_lines": [str(value) for value in delivery_address.values() if value],
        "pickup_code": vendor_order["pickup_code"],
        "lines": [
            {
                "title": line["title"],
                "sku": line["sku"],
                "quantity": line["quantity"],
                "unit_price": line["unit_price"],
                "line_total": str(line_total(line["quantity"], line["unit_price"])),
            }
            for line in vendor_order["lines"]
        ],
        "total": vendor_order["total"],
    }


def emails_for(
    event: Event, vendors: Mapping[str, model.VendorProfile], vendor_language: str = "de"
) -> list[model.EmailNotification]:
    data = event.data
    shopper = data["shopper"]
    order_id = data["order_id"]
    vendor_orders = vendor_orders_of(event)
    shops = [shop_view(vo, vendors.get(vo["vendor_id"])) for vo in vendor_orders]
    emails = []
    template = SHOPPER_TEMPLATES.get(event.event_type)
    if template is not None:
        context = {
            "order_id": order_id,
            "shopper_name": shopper["name"],
            "shops": shops,
            "shop": shops[0],
            "total": data.get("total") or shops[0]["total"],
            "reason": data.get("reason"),
            "cancelled_by": data.get("by"),
        }
        emails.append(
            model.EmailNotification(
                order_id=order_id,
                template=template,
                language=shopper.get("language") or "de",
                recipient=shopper["email"],
                context=context,
            )
        )
    if event.event_type == "order_placed":
        for shop in shops:
            vendor = vendors.get(shop["vendor_id"])
            if vendor is None or not vendor.contact_email:
                continue
            context = {
                "order_id": order_id,
                "shop": shop,
                "shopper": {"name": shopper["name"], "email": shopper["email"], "phone": shopper.get("phone")},
            }
            emails.append(
                model.EmailNotification(
                    order_id=order_id,
                    template=model.VENDOR_NEW_ORDER,
                    language=vendor_language,
                    recipient=vendor.contact_email,
                    context=context,
                    vendor_id=vendor.vendor_id,
                )
            )
    return emails


def webhooks_for(event: Event, vendors: Mapping[str, model.VendorProfile]) -> list[model.WebhookNotification]:
    """One POST per vendor of the event with a webhook URL, carrying only that vendor's part of the order."""
    data = event.data
    hooks = []
    for vendor_order in vendor_orders_of(event):
        vendor = vendors.get(vendor_order["vendor_id"])
        if vendor is None or not vendor.webhook_url:
            continue
        payload = {
            "event_id": event.event_id,
            "event_type": event.event_type,
            "occurred_at": event.occurred_at.isoformat(),
            "order_id": data["order_id"],
            "shopper": dict(data["shopper"]),
            "vendor_order": dict(vendor_order),
        }
        if "vendor_order" in data:
            payload["reason"] = data.get("reason")
            payload["by"] = data.get("by")
        hooks.append(
            model.WebhookNotification(
                order_id=data["order_id"],
                vendor_id=vendor.vendor_id,
                url=vendor.webhook_url,
                event_type=event.event_type,
                payload=payload,
            )
        )
    return hooks


def vendor_ids_of(event: Event) -> list[str]:
    return [vo["vendor_id"] for vo in vendor_orders_of(event)]
