"""scene sound: dialogue, narration and sound texts per scene

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 14:00:00

Scenes made before this revision have no dialogue, narration or sound; nothing they made changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("scenes", sa.Column("dialogue", sa.JSON(), nullable=True))
    op.add_column("scenes", sa.Column("narration", sa.Text(), server_default="", nullable=False))
    op.add_column("scenes", sa.Column("sound", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("scenes") as batch:
        batch.drop_column("sound")
        batch.drop_column("narration")
        batch.drop_column("dialogue")
