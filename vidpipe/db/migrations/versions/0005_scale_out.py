"""scale-out: queued projects, live workers, global provider slots and request windows

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 04:00:00

The tables below are used only with PostgreSQL and `VIDPIPE_EXECUTION=queue`;
they are created on SQLite too so that one schema describes every database. Procrastinate's own
schema is applied right after the migrations, under the same advisory lock (vidpipe.db.migrate).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("projects", sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "workers",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("host", sa.String(length=200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("concurrency", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_heartbeat", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workers")),
    )
    op.create_table(
        "provider_slots",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", "slot", name=op.f("pk_provider_slots")),
    )
    op.create_table(
        "provider_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_requests")),
    )
    op.create_index("ix_provider_requests_key_sent_at", "provider_requests", ["key", "sent_at"])
    op.create_table(
        "sim_concurrency",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("running", sa.Integer(), nullable=False),
        sa.Column("peak", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sim_concurrency")),
    )


def downgrade() -> None:
    op.drop_table("sim_concurrency")
    op.drop_index("ix_provider_requests_key_sent_at", table_name="provider_requests")
    op.drop_table("provider_requests")
    op.drop_table("provider_slots")
    op.drop_table("workers")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("queued_at")
