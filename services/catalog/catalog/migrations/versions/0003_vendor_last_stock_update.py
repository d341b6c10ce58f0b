"""vendors.last_stock_update_at: when a shop's POS (or the HTTP stock endpoint) last sent a stock batch

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("vendors", sa.Column("last_stock_update_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("vendors") as batch:
        batch.drop_column("last_stock_update_at")
