"""takes per clip: `--takes K` rounds and which take was picked by fidelity

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 03:45:00

Projects made before this revision make one take per clip (K = 1), as they always did.
Downgrades are not supported (README, "Configuration"): on SQLite the batch rebuild of `projects`
cascade-deletes its rows' children.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "projects",
        sa.Column("takes_per_clip", sa.Integer(), nullable=False, server_default="1"),
    )
    op.add_column("video_clips", sa.Column("takes_wanted", sa.Integer(), nullable=True))
    op.add_column("video_clips", sa.Column("round_takes", sa.JSON(), nullable=True))
    op.add_column("takes", sa.Column("auto_selected", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("takes") as batch:
        batch.drop_column("auto_selected")
    with op.batch_alter_table("video_clips") as batch:
        batch.drop_column("round_takes")
        batch.drop_column("takes_wanted")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("takes_per_clip")
