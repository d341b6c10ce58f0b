"""The notification service's vocabulary: vendors as we know them, and the notifications an event causes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

EMAIL = "email"
WEBHOOK = "webhook"

# statuses of a notification in the log
SENDING = "sending"  # claimed by a worker, which sends it now
SENT = "sent"
RETRYING = "retrying"  # an attempt failed; the event comes back after a back-off delay
FAILED = "failed"  # the last attempt failed: the event is in the dead letters
REJECTED = "rejected"  # the receiver refused it (webhook 4xx, mailbox unknown): no retry, dead letter at once

ORDER_CONFIRMATION = "order_confirmation"
ORDER_READY = "order_ready"
ORDER_CANCELLED = "order_cancelled"
ORDER_EXPIRED = "order_expired"
VENDOR_NEW_ORDER = "vendor_new_order"
EMAIL_TEMPLATES = (ORDER_CONFIRMATION, ORDER_READY, ORDER_CANCELLED, ORDER_EXPIRED, VENDOR_NEW_ORDER)

ORDER_EVENTS = (
    "order_placed",
    "vendor_order_accepted",
    "vendor_order_ready",
    "vendor_order_collected",
    "vendor_order_cancelled",
    "order_expired",
)


@dataclass(frozen=True)
class VendorProfile:
    """What notifications keeps of a shop (from catalog's vendor events) to address and describe it."""

    vendor_id: str
    name: str
    street: str = ""
    postcode: str = ""
    city: str = ""
    timezone: str = "Europe/Berlin"
    opening_hours: dict[str, list[list[str]]] = field(default_factory=dict)
    contact_email: str | None = None
    webhook_url: str | None = None


@dataclass(frozen=True)
class EmailNotification:
    """One e-mail to send: ``template`` rendered in ``language`` with ``context``."""

    order_id: str
    template: str
    language: str
    recipient: str
    context: dict[str, Any]
    vendor_id: str | None = None

    @property
    def channel(self) -> str:
        return EMAIL


@dataclass(frozen=True)
class WebhookNotification:
    """One POST of an event's part that concerns ``vendor_id`` to the vendor's webhook URL."""

    order_id: str
    vendor_id: str
    url: str
    event_type: str
    payload: dict[str, Any]

    @property
    def channel(self) -> str:
        return WEBHOOK

    @property
    def recipient(self) -> str:
        return self.vendor_id

    @property
    def template(self) -> str:
        return self.event_type


def recipient_key(channel: str, recipient: str) -> str:
    """The log's key for a recipient: a hash, so the log does not keep shoppers' addresses in clear."""
    normalized = recipient.strip().lower() if channel == EMAIL else recipient
    return hashlib.sha256(f"{channel}:{normalized}".encode()).hexdigest()
