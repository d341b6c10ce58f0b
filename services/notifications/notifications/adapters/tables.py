"""The notifications database: the vendors we address and the notification log."""

from sqlalchemy import JSON, Column, DateTime, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

from marktplatz_shared.db import BigId

metadata = MetaData()

vendors = Table(
    "vendors",
    metadata,
    Column("vendor_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("street", String(200), nullable=False, default=""),
    Column("postcode", String(20), nullable=False, default=""),
    Column("city", String(100), nullable=False, default=""),
    Column("timezone", String(64), nullable=False, default="Europe/Berlin"),
    Column("opening_hours", JSON, nullable=False, default=dict),
    Column("contact_email", String(320), nullable=True),
    Column("webhook_url", String(2000), nullable=True),
    # signs the vendor's webhooks; owned here, handed out once by rotate_webhook_secret
    Column("webhook_secret", String(200), nullable=False),
    # occurred_at of the catalog event the row reflects: an older event never overwrites a newer one
    Column("version_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("recipient_key", String(64), nullable=False),  # sha256 of channel and recipient
    Column("recipient_masked", String(320), nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("order_id", String(100), nullable=False),
    Column("vendor_id", String(64), nullable=True),
    Column("template", String(100), nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
    Column("claim_token", String(36), nullable=True),
    Column("lease_until", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("event_id", "channel", "recipient_key", name="uq_notifications_event_channel_recipient"),
    Index("ix_notifications_order_id", "order_id"),
)
