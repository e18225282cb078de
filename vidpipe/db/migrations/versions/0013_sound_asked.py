"""sound asked: whether the storyboard writer fills narration and dialogue

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-06 14:10:00

`generate --narration/--dialogue` is kept on the project, so a storyboard written later (a queued
project, a resume after a crash) is asked for the same. Projects made before: neither.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "projects",
        sa.Column("wants_narration", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "projects",
        sa.Column("wants_dialogue", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("wants_dialogue")
        batch.drop_column("wants_narration")
