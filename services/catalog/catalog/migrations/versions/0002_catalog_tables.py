"""the catalog's tables: vendors, products, stock, reservations, stock rejections

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from marktplatz_shared.db import BigId

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "vendors",
        sa.Column("vendor_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("street", sa.String(200), nullable=False),
        sa.Column("postcode", sa.String(20), nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("opening_hours", sa.JSON, nullable=False),
        sa.Column("fulfilment", sa.JSON, nullable=False),
        sa.Column("contact_email", sa.String(320), nullable=True),
        sa.Column("webhook_url", sa.String(2000), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "products",
        sa.Column("vendor_id", sa.String(64), primary_key=True),
        sa.Column("sku", sa.String(64), primary_key=True),
        sa.Column("gtin", sa.String(13), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("brand", sa.String(200), nullable=False),
        sa.Column("category", sa.String(300), nullable=False),
        sa.Column("price_cents", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("attributes", sa.JSON, nullable=False),
        sa.Column("published", sa.Boolean, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(["vendor_id"], ["vendors.vendor_id"], name="fk_products_vendor"),
        sa.CheckConstraint("price_cents >= 0", name="ck_products_price_not_negative"),
    )
    op.create_index("ix_products_gtin", "products", ["gtin"])
    op.create_table(
        "stock",
        sa.Column("vendor_id", sa.String(64), primary_key=True),
        sa.Column("sku", sa.String(64), primary_key=True),
        sa.Column("on_hand", sa.Integer, nullable=False),
        sa.Column("reserved", sa.Integer, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("last_sequence", sa.BigInteger, nullable=True),
        sa.Column("updated_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(["vendor_id", "sku"], ["products.vendor_id", "products.sku"], name="fk_stock_product"),
        sa.CheckConstraint("on_hand >= 0", name="ck_stock_on_hand_not_negative"),
        sa.CheckConstraint("reserved >= 0", name="ck_stock_reserved_not_negative"),
    )
    op.create_table(
        "reservations",
        sa.Column("order_ref", sa.String(200), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_index("ix_reservations_status_expires_at", "reservations", ["status", "expires_at"])
    op.create_table(
        "reservation_lines",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("order_ref", sa.String(200), nullable=False),
        sa.Column("vendor_id", sa.String(64), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("unit_price_cents", sa.BigInteger, nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.ForeignKeyConstraint(["order_ref"], ["reservations.order_ref"], name="fk_reservation_lines_reservation"),
        sa.CheckConstraint("quantity > 0", name="ck_reservation_lines_quantity_positive"),
    )
    op.create_index("ix_reservation_lines_order_ref", "reservation_lines", ["order_ref"])
    op.create_table(
        "stock_rejections",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("vendor_id", sa.String(64), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("sequence", sa.BigInteger, nullable=True),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("received_at", TZ, nullable=False),
    )
    op.create_index("ix_stock_rejections_vendor", "stock_rejections", ["vendor_id", "id"])


def downgrade():
    for table in ("stock_rejections", "reservation_lines", "reservations", "stock", "products", "vendors"):
        op.drop_table(table)
