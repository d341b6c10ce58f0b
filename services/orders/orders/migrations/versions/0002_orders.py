"""orders, vendor orders and their lines

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "orders",
        sa.Column("order_id", sa.String(36), primary_key=True),
        sa.Column("idempotency_key", sa.String(200), nullable=True, unique=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reservation_refs", sa.Text, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=True),
        sa.Column("shopper_name", sa.String(200), nullable=True),
        sa.Column("shopper_email", sa.String(254), nullable=True),
        sa.Column("shopper_phone", sa.String(40), nullable=True),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("total", sa.String(16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("release_due_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_orders_release_due", "orders", ["release_due_at"])
    op.create_index("ix_orders_status_created", "orders", ["status", "created_at"])
    op.create_index("ix_orders_closed_erased", "orders", ["closed_at", "erased_at"])
    op.create_table(
        "vendor_orders",
        sa.Column("seq", BigId, primary_key=True, autoincrement=True),
        sa.Column("vendor_order_id", sa.String(36), nullable=False, unique=True),
        sa.Column("order_id", sa.String(36), sa.ForeignKey("orders.order_id"), nullable=False),
        sa.Column("vendor_id", sa.String(64), nullable=False),
        sa.Column("vendor_name", sa.String(200), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("fulfilment_method", sa.String(16), nullable=False),
        sa.Column("delivery_address", sa.Text, nullable=True),
        sa.Column("pickup_code", sa.String(12), nullable=False),
        sa.Column("total", sa.String(16), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ready_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(500), nullable=True),
        sa.Column("cancelled_by", sa.String(16), nullable=True),
        sa.Column("settlement", sa.String(16), nullable=True),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_vendor_orders_order_id", "vendor_orders", ["order_id"])
    op.create_index("ix_vendor_orders_expires_at", "vendor_orders", ["expires_at"])
    op.create_index("ix_vendor_orders_vendor_state_seq", "vendor_orders", ["vendor_id", "state", "seq"])
    op.create_index("ix_vendor_orders_unsettled", "vendor_orders", ["settlement", "settled_at"])
    op.create_table(
        "order_lines",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("vendor_order_id", sa.String(36), sa.ForeignKey("vendor_orders.vendor_order_id"), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("unit_price", sa.String(16), nullable=False),
        sa.UniqueConstraint("vendor_order_id", "sku", name="uq_order_lines_vendor_order_sku"),
    )
    op.create_index("ix_order_lines_vendor_order_id", "order_lines", ["vendor_order_id"])


def downgrade():
    op.drop_table("order_lines")
    op.drop_table("vendor_orders")
    op.drop_table("orders")
