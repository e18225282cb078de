"""models per project, per scene and per take

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 14:20:00

Projects made before this revision chose no model: they keep using the configured ones. Takes
made before it have no recorded model (shown as their provider).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("projects", sa.Column("storyboard_model", sa.String(128), nullable=True))
    op.add_column("projects", sa.Column("image_model", sa.String(128), nullable=True))
    op.add_column("projects", sa.Column("video_model", sa.String(128), nullable=True))
    op.add_column("scenes", sa.Column("video_model", sa.String(200), nullable=True))
    op.add_column("takes", sa.Column("model", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("takes") as batch:
        batch.drop_column("model")
    with op.batch_alter_table("scenes") as batch:
        batch.drop_column("video_model")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("video_model")
        batch.drop_column("image_model")
        batch.drop_column("storyboard_model")
