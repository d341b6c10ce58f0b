"""the shared kernel's tables: outbox and processed_events

Revision ID: 0001
Revises:
"""

from marktplatz_shared.migrations import create_kernel_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    create_kernel_tables()


def downgrade():
    from alembic import op

    op.drop_table("processed_events")
    op.drop_table("outbox")
