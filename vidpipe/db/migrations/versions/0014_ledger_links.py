"""ledger links: which submission an attempt belongs to, and which request it started

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 20:00:00

A ledger row now names the provider's request id its attempt started and the clip submission it
was made for, so a request the service dropped (cancelled while queued) is settled as not billed,
and a submission stopped before any attempt was recorded is known never to have been sent.
Rows and clips made before have neither and keep the old, careful reading.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("provider_calls", sa.Column("operation_id", sa.Text(), nullable=True))
    op.add_column("provider_calls", sa.Column("submission", sa.String(length=32), nullable=True))
    op.add_column("video_clips", sa.Column("submission", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("video_clips") as batch:
        batch.drop_column("submission")
    with op.batch_alter_table("provider_calls") as batch:
        batch.drop_column("submission")
        batch.drop_column("operation_id")
