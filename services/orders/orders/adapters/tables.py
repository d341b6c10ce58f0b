"""The orders database. Created by the Alembic migrations in orders/migrations/versions/."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

from marktplatz_shared.db import BigId

metadata = MetaData()

#: one row per checkout attempt; ``status`` pending -> placed, or pending -> failed
orders = Table(
    "orders",
    metadata,
    Column("order_id", String(36), primary_key=True),
    # NULL once an attempt failed, so a retry with the same key starts a new attempt
    Column("idempotency_key", String(200), nullable=True, unique=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # pending | placed | failed
    # JSON list of the vendor order ids, which are the order_refs of the reservations in catalog
    Column("reservation_refs", Text, nullable=False),
    Column("token_hash", String(64), nullable=True),
    Column("shopper_name", String(200), nullable=True),
    Column("shopper_email", String(254), nullable=True),
    Column("shopper_phone", String(40), nullable=True),
    Column("language", String(2), nullable=False, default="de"),
    Column("total", String(16), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("placed_at", DateTime(timezone=True), nullable=True),
    # when the last vendor order reached a terminal state (or the attempt failed): starts the DSGVO clock
    Column("closed_at", DateTime(timezone=True), nullable=True),
    Column("erased_at", DateTime(timezone=True), nullable=True),
    # failed attempts: when their reservations in catalog are to be released (again); NULL when done
    Column("release_due_at", DateTime(timezone=True), nullable=True),
    Index("ix_orders_status_created", "status", "created_at"),
    Index("ix_orders_release_due", "release_due_at"),
    Index("ix_orders_closed_erased", "closed_at", "erased_at"),
)

vendor_orders = Table(
    "vendor_orders",
    metadata,
    Column("seq", BigId, primary_key=True, autoincrement=True),
    Column("vendor_order_id", String(36), nullable=False, unique=True),
    Column("order_id", String(36), ForeignKey("orders.order_id"), nullable=False, index=True),
    Column("vendor_id", String(64), nullable=False),
    Column("vendor_name", String(200), nullable=False, default=""),
    Column("state", String(16), nullable=False),
    Column("fulfilment_method", String(16), nullable=False),
    Column("delivery_address", Text, nullable=True),  # JSON; personal data, erased with the contact
    Column("pickup_code", String(12), nullable=False),
    Column("total", String(16), nullable=False),
    Column("placed_at", DateTime(timezone=True), nullable=False),
    Column("accepted_at", DateTime(timezone=True), nullable=True),
    Column("ready_at", DateTime(timezone=True), nullable=True),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    Column("expires_at", DateTime(timezone=True), nullable=True, index=True),
    Column("cancel_reason", String(500), nullable=True),
    Column("cancelled_by", String(16), nullable=True),
    # commit | release once the order is terminal; settled_at is set when catalog confirmed it
    Column("settlement", String(16), nullable=True),
    Column("settled_at", DateTime(timezone=True), nullable=True),
    Index("ix_vendor_orders_vendor_state_seq", "vendor_id", "state", "seq"),
    Index("ix_vendor_orders_unsettled", "settlement", "settled_at"),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("vendor_order_id", String(36), ForeignKey("vendor_orders.vendor_order_id"), nullable=False, index=True),
    Column("sku", String(64), nullable=False),
    Column("title", String(300), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", String(16), nullable=False),
    UniqueConstraint("vendor_order_id", "sku", name="uq_order_lines_vendor_order_sku"),
)
