"""ledger attempts: each billable attempt is a row written before it is sent

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows written before this change recorded calls that had answered: they are `ok`.
    op.add_column(
        "provider_calls",
        sa.Column("status", sa.String(length=16), nullable=False, server_default="ok"),
    )
    op.add_column(
        "provider_calls", sa.Column("request", sa.Text(), nullable=False, server_default="")
    )
    op.add_column(
        "provider_calls", sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("provider_calls", sa.Column("note", sa.Text(), nullable=True))
    op.add_column("projects", sa.Column("estimated_cost", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("estimated_cost")
    with op.batch_alter_table("provider_calls") as batch:
        for column in ("note", "settled_at", "request", "status"):
            batch.drop_column(column)
