"""search: the vendors search knows, and the query log

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "search_vendors",
        sa.Column("vendor_id", sa.String(64), primary_key=True),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "search_query_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("q", sa.String(200), nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("zero_results", sa.Boolean, nullable=False),
        sa.Column("latency_ms", sa.Float, nullable=False),
    )
    op.create_index("ix_search_query_log_at", "search_query_log", ["at"])


def downgrade():
    op.drop_table("search_query_log")
    op.drop_table("search_vendors")
