"""Repositories over the notifications tables: the vendor directory and the notification log.

Every function takes a session inside a transaction that its caller owns; none of them does network I/O.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marktplatz_shared.errors import NotFound
from marktplatz_shared.logs import mask_emails

from ..domain import model
from ..domain.delivery import SendInProgress
from ..domain.signing import new_webhook_secret
from .tables import notifications, vendors

MAX_ERROR_LENGTH = 2000


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything stored here is UTC."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# --- vendors ---------------------------------------------------------------------------------------------


def record_vendor(session: Session, data: dict[str, Any], occurred_at: datetime, now: datetime) -> bool:
    """Keep the vendor from a catalog event; False when a newer event was applied already.

    A vendor seen for the first time gets a webhook secret.
    """
    fields = {
        "name": data["name"],
        "street": data.get("street") or "",
        "postcode": data.get("postcode") or "",
        "city": data.get("city") or "",
        "timezone": data.get("timezone") or "Europe/Berlin",
        "opening_hours": data.get("opening_hours") or {},
        "contact_email": data.get("contact_email"),
        "webhook_url": data.get("webhook_url"),
        "version_at": occurred_at,
        "updated_at": now,
    }
    known = session.execute(select(vendors.c.version_at).where(vendors.c.vendor_id == data["vendor_id"])).first()
    if known is None:
        session.execute(
            insert(vendors).values(vendor_id=data["vendor_id"], webhook_secret=new_webhook_secret(), **fields)
        )
        return True
    if as_utc(known.version_at) >= as_utc(occurred_at):
        return False
    session.execute(update(vendors).where(vendors.c.vendor_id == data["vendor_id"]).values(**fields))
    return True


def vendor_profiles(session: Session, vendor_ids: Iterable[str]) -> dict[str, model.VendorProfile]:
    rows = session.execute(select(vendors).where(vendors.c.vendor_id.in_(set(vendor_ids)))).mappings()
    return {
        row["vendor_id"]: model.VendorProfile(
            vendor_id=row["vendor_id"],
            name=row["name"],
            street=row["street"],
            postcode=row["postcode"],
            city=row["city"],
            timezone=row["timezone"],
            opening_hours=row["opening_hours"] or {},
            contact_email=row["contact_email"],
            webhook_url=row["webhook_url"],
        )
        for row in rows
    }


def webhook_secret(session: Session, vendor_id: str) -> str:
    secret = session.execute(select(vendors.c.webhook_secret).where(vendors.c.vendor_id == vendor_id)).scalar()
    if secret is None:
        raise NotFound(f"vendor {vendor_id} is not known to notifications")
    return secret


def rotate_webhook_secret(session: Session, vendor_id: str, now: datetime) -> str:
    secret = new_webhook_secret()
    changed = session.execute(
        update(vendors).where(vendors.c.vendor_id == vendor_id).values(webhook_secret=secret, updated_at=now)
    )
    if changed.rowcount == 0:
        raise NotFound(f"vendor {vendor_id} is not known to notifications")
    return secret


# --- the notification log --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """A worker's right to send one notification now; ``attempt`` counts from 1."""

    notification_id: int
    token: str
    attempt: int


def claim(
    session: Session,
    notification: model.EmailNotification | model.WebhookNotification,
    event_id: str,
    event_type: str,
    now: datetime,
    lease: timedelta,
) -> Claim | None:
    """Claim ``notification`` for sending; None when it was sent already.

    Raises :class:`SendInProgress` while another worker holds an unexpired claim on it. A claim whose lease
    ran out (its worker died between claiming and marking) is taken over: that is the one window in which a
    notification can go out twice.
    """
    key = model.recipient_key(notification.channel, notification.recipient)
    token = str(uuid.uuid4())
    row = session.execute(
        select(notifications.c.id, notifications.c.status, notifications.c.lease_until, notifications.c.attempts)
        .where(notifications.c.event_id == event_id)
        .where(notifications.c.channel == notification.channel)
        .where(notifications.c.recipient_key == key)
    ).first()
    if row is None:
        try:
            with session.begin_nested():
                new_id = session.execute(
                    insert(notifications)
                    .values(
                        event_id=event_id,
                        channel=notification.channel,
                        recipient_key=key,
                        recipient_masked=mask_emails(notification.recipient),
                        event_type=event_type,
                        order_id=notification.order_id,
                        vendor_id=notification.vendor_id,
                        template=notification.template,
                        status=model.SENDING,
                        attempts=1,
                        claim_token=token,
                        lease_until=now + lease,
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(notifications.c.id)
                ).scalar_one()
        except IntegrityError:  # a concurrent duplicate inserted it first (PostgreSQL)
            raise SendInProgress(f"{notification.channel} notification of event {event_id} is being sent") from None
        return Claim(new_id, token, 1)
    if row.status == model.SENT:
        return None
    if row.status == model.SENDING and as_utc(row.lease_until) > now:
        raise SendInProgress(f"{notification.channel} notification of event {event_id} is being sent")
    taken = session.execute(
        update(notifications)
        .where(notifications.c.id == row.id)
        .where(notifications.c.status == row.status)
        .where(notifications.c.attempts == row.attempts)
        .values(status=model.SENDING, claim_token=token, lease_until=now + lease, attempts=row.attempts + 1)
    )
    if taken.rowcount != 1:
        raise SendInProgress(f"{notification.channel} notification of event {event_id} is being sent")
    return Claim(row.id, token, row.attempts + 1)


def mark_sent(session: Session, claim: Claim, now: datetime) -> None:
    session.execute(
        update(notifications)
        .where(notifications.c.id == claim.notification_id)
        .where(notifications.c.claim_token == claim.token)
        .values(status=model.SENT, sent_at=now, updated_at=now, claim_token=None, lease_until=None, last_error=None)
    )


def mark_unsent(session: Session, claim: Claim, status: str, error: str, now: datetime) -> None:
    session.execute(
        update(notifications)
        .where(notifications.c.id == claim.notification_id)
        .where(notifications.c.claim_token == claim.token)
        .values(
            status=status,
            last_error=mask_emails(error)[:MAX_ERROR_LENGTH],
            updated_at=now,
            claim_token=None,
            lease_until=None,
        )
    )


def sent_for_order(session: Session, order_id: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(notifications).where(notifications.c.order_id == order_id).order_by(notifications.c.id)
    ).mappings()
    return [
        {
            "event_id": row["event_id"],
            "event_type": row["event_type"],
            "channel": row["channel"],
            "recipient": row["recipient_masked"],
            "template": row["template"],
            "status": row["status"],
            "attempts": row["attempts"],
            "error": row["last_error"],
            "sent_at": as_utc(row["sent_at"]).isoformat() if row["sent_at"] else None,
        }
        for row in rows
    ]
