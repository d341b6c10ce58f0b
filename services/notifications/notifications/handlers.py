"""Use cases of the notifications service. Entry points call these; they call the domain and the adapters.

Sending once, never losing (the delivery protocol of every notification):

1. claim: in a short write transaction, record the notification under its unique key (event, channel,
   recipient) as ``sending`` with a lease, or skip it when it was sent already;
2. send, outside any transaction;
3. mark it ``sent`` (or ``retrying``/``failed``/``rejected`` with the error) in another short transaction.

A failed attempt raises, so the reliable handler redelivers the event after a back-off delay
(``RETRY_DELAYS``) and dead-letters it after the last one; a rejection raises :class:`PermanentFailure`,
which dead-letters at once. Only a crash between 2 and 3 can send twice: the claim's lease runs out and a
redelivery sends again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import Counter

from marktplatz_shared.consumer import PermanentFailure
from marktplatz_shared.db import DatabaseAccess, utcnow
from marktplatz_shared.events import Event
from marktplatz_shared.logs import mask_emails

from .adapters import repository
from .adapters.mail import MailTransport, build_message
from .adapters.templates import TemplateRenderer
from .adapters.webhook_client import WebhookClient
from .domain import model, planning
from .domain.delivery import DeliveryFailed, DeliveryRejected, SendInProgress

log = logging.getLogger(__name__)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # a row without a time: any vendor event is newer

NOTIFICATIONS = Counter(
    "marktplatz_notifications_total",
    "Notification attempts by channel and outcome (sent, retrying, failed, rejected, duplicate, in_progress)",
    ["channel", "outcome"],
)

Notification = model.EmailNotification | model.WebhookNotification


@dataclass
class Outbound:
    """The adapters the sending use cases need, built once per container (see bootstrap)."""

    mail: MailTransport
    mail_from: str
    renderer: TemplateRenderer
    webhooks: WebhookClient
    lease: timedelta
    max_attempts: int
    vendor_language: str = "de"


# --- vendors ---------------------------------------------------------------------------------------------


def backfill_vendors(db: DatabaseAccess, catalog: Any, page_size: int = 200) -> int:
    """Copy every shop from catalog's ``list_vendors`` pages: shops registered before notifications first
    ran (or while its database was lost) are known without waiting for their next vendor_updated.

    Each row counts as of its ``updated_at``, so a vendor event that is newer wins and an older one that
    arrives later changes nothing. Returns how many shops were new or newer here.
    """
    changed, cursor = 0, None
    while True:
        page = catalog.list_vendors(cursor, page_size)
        with db.transaction() as tx:
            for data in page["vendors"]:
                as_of = datetime.fromisoformat(data["updated_at"]) if data.get("updated_at") else EPOCH
                changed += repository.record_vendor(tx.session, data, as_of, utcnow())
        cursor = page.get("next_cursor")
        if not cursor:
            return changed


def record_vendor(db: DatabaseAccess, event: Event) -> None:
    with db.once(event) as tx:
        applied = repository.record_vendor(tx.session, event.data, event.occurred_at, utcnow())
    if not applied:
        vendor_id = event.data["vendor_id"]
        log.info("ignored %s of vendor %s: a newer vendor event was applied", event.event_type, vendor_id)


def rotate_webhook_secret(db: DatabaseAccess, vendor_id: str) -> dict[str, str]:
    with db.transaction() as tx:
        secret = repository.rotate_webhook_secret(tx.session, vendor_id, utcnow())
    log.warning("rotated the webhook secret of vendor %s", vendor_id)
    return {"secret": secret}


def sent_for_order(db: DatabaseAccess, order_id: str) -> list[dict[str, Any]]:
    with db.read() as session:
        return repository.sent_for_order(session, order_id)


# --- sending ---------------------------------------------------------------------------------------------


class ShopNotKnownYet(Exception):
    """An order event names a shop this service has not heard of: its vendor_registered event (or the copy
    from catalog at start) is still on its way. Raised so the event is retried after a back-off, instead of
    going out without the shop's mail, webhook and address; after the last retry it waits in the dead
    letters, with this message, for an operator's replay."""


def _known_shops(db: DatabaseAccess, event: Event) -> dict[str, model.VendorProfile]:
    wanted = planning.vendor_ids_of(event)
    with db.read() as session:
        vendors = repository.vendor_profiles(session, wanted)
    missing = sorted(set(wanted) - set(vendors))
    if missing:
        raise ShopNotKnownYet(f"shop {', '.join(missing)} of {event.event_type} {event.event_id} is not known yet")
    return vendors


def send_emails(db: DatabaseAccess, event: Event, out: Outbound) -> None:
    vendors = _known_shops(db, event)
    emails = planning.emails_for(event, vendors, out.vendor_language)

    def send(email: model.EmailNotification) -> None:
        rendered = out.renderer.render(email.template, email.language, email.context)
        headers = {"Auto-Submitted": "auto-generated", "X-Marktplatz-Event-Id": event.event_id}
        out.mail.send(build_message(rendered, out.mail_from, email.recipient, headers))

    deliver_all(db, event, emails, send, out)


def send_webhooks(db: DatabaseAccess, event: Event, out: Outbound) -> None:
    vendors = _known_shops(db, event)
    hooks = planning.webhooks_for(event, vendors)

    def send(hook: model.WebhookNotification) -> None:
        with db.read() as session:
            secret = repository.webhook_secret(session, hook.vendor_id)
        out.webhooks.post(hook.url, hook.payload, secret)

    deliver_all(db, event, hooks, send, out)


def deliver_all(
    db: DatabaseAccess, event: Event, planned: list[Notification], send: Callable[[Any], None], out: Outbound
) -> None:
    """Deliver each notification; one failing does not hold up the others. Raise when any must be retried
    (DeliveryFailed) or, failing that, when any was rejected (PermanentFailure)."""
    to_retry, rejected = [], []
    for notification in planned:
        try:
            deliver(db, event, notification, send, out)
        except DeliveryRejected as exc:
            rejected.append(f"{notification.channel} to {notification.recipient}: {exc}")
        except Exception as exc:  # noqa: BLE001 - any other failure is retried; the next ones still go out
            to_retry.append(f"{notification.channel} to {notification.recipient}: {type(exc).__name__}: {exc}")
    if to_retry:
        raise DeliveryFailed(mask_emails("; ".join(to_retry + rejected)))
    if rejected:
        raise PermanentFailure(mask_emails("; ".join(rejected)))


def deliver(
    db: DatabaseAccess, event: Event, notification: Notification, send: Callable[[Any], None], out: Outbound
) -> None:
    channel, who = notification.channel, mask_emails(notification.recipient)
    try:
        with db.transaction() as tx:
            claim = repository.claim(tx.session, notification, event.event_id, event.event_type, utcnow(), out.lease)
    except SendInProgress:
        NOTIFICATIONS.labels(channel, "in_progress").inc()
        raise
    if claim is None:
        NOTIFICATIONS.labels(channel, "duplicate").inc()
        log.info("%s %s to %s was sent before (event %s)", channel, notification.template, who, event.event_id)
        return
    try:
        send(notification)
    except DeliveryRejected as exc:
        _mark_unsent(db, claim, model.REJECTED, exc)
        NOTIFICATIONS.labels(channel, "rejected").inc()
        log.error("%s %s to %s rejected, not retried: %s", channel, notification.template, who, mask_emails(str(exc)))
        raise
    except Exception as exc:
        status = model.FAILED if claim.attempt >= out.max_attempts else model.RETRYING
        _mark_unsent(db, claim, status, exc)
        NOTIFICATIONS.labels(channel, status).inc()
        log.warning(
            "%s %s to %s failed (attempt %d, %s): %s",
            channel,
            notification.template,
            who,
            claim.attempt,
            status,
            mask_emails(str(exc)),
        )
        raise
    with db.transaction() as tx:
        repository.mark_sent(tx.session, claim, utcnow())
    NOTIFICATIONS.labels(channel, "sent").inc()
    log.info("sent %s %s to %s (event %s)", channel, notification.template, who, event.event_id)


def _mark_unsent(db: DatabaseAccess, claim: repository.Claim, status: str, exc: Exception) -> None:
    with db.transaction() as tx:
        repository.mark_unsent(tx.session, claim, status, f"{type(exc).__name__}: {exc}", utcnow())
