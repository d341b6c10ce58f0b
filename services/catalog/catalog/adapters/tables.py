"""The catalog's tables (created by the Alembic migrations in catalog/migrations/versions/)."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from marktplatz_shared.db import BigId

metadata = MetaData()

vendors = Table(
    "vendors",
    metadata,
    Column("vendor_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(100), nullable=False, default=""),
    Column("street", String(200), nullable=False),
    Column("postcode", String(20), nullable=False),
    Column("city", String(100), nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("opening_hours", JSON, nullable=False),
    Column("fulfilment", JSON, nullable=False),
    Column("contact_email", String(320), nullable=True),
    Column("webhook_url", String(2000), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("last_stock_update_at", DateTime(timezone=True), nullable=True),  # the shop's last stock batch
)

products = Table(
    "products",
    metadata,
    Column("vendor_id", String(64), primary_key=True),
    Column("sku", String(64), primary_key=True),
    Column("gtin", String(13), nullable=False, index=True),
    Column("title", String(300), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("brand", String(200), nullable=False, default=""),
    Column("category", String(300), nullable=False),
    Column("price_cents", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False, default="EUR"),
    Column("attributes", JSON, nullable=False),
    Column("published", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    ForeignKeyConstraint(["vendor_id"], ["vendors.vendor_id"], name="fk_products_vendor"),
    CheckConstraint("price_cents >= 0", name="ck_products_price_not_negative"),
)

stock = Table(
    "stock",
    metadata,
    Column("vendor_id", String(64), primary_key=True),
    Column("sku", String(64), primary_key=True),
    Column("on_hand", Integer, nullable=False),
    Column("reserved", Integer, nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("last_sequence", BigInteger, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    ForeignKeyConstraint(["vendor_id", "sku"], ["products.vendor_id", "products.sku"], name="fk_stock_product"),
    CheckConstraint("on_hand >= 0", name="ck_stock_on_hand_not_negative"),
    CheckConstraint("reserved >= 0", name="ck_stock_reserved_not_negative"),
)

reservations = Table(
    "reservations",
    metadata,
    Column("order_ref", String(200), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_reservations_status_expires_at", "status", "expires_at"),
)

reservation_lines = Table(
    "reservation_lines",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("order_ref", String(200), nullable=False, index=True),
    Column("vendor_id", String(64), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_cents", BigInteger, nullable=False),
    Column("title", String(300), nullable=False),
    ForeignKeyConstraint(["order_ref"], ["reservations.order_ref"], name="fk_reservation_lines_reservation"),
    CheckConstraint("quantity > 0", name="ck_reservation_lines_quantity_positive"),
)

#: POS lines that could not be applied (unknown sku), so a retailer can be told: never silently dropped
stock_rejections = Table(
    "stock_rejections",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("vendor_id", String(64), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("sequence", BigInteger, nullable=True),
    Column("reason", String(200), nullable=False),
    Column("source", String(200), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Index("ix_stock_rejections_vendor", "vendor_id", "id"),
)
