"""sound mix: a project's sound options, scenes sized to their narration, audio artifacts

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 14:10:00

Projects made before this revision have no sound options (no narration, music or subtitles) and
their final video is what it was; nothing they made changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("projects", sa.Column("sound_options", sa.JSON(), nullable=True))
    op.add_column("scenes", sa.Column("clip_duration", sa.Float(), nullable=True))
    op.create_table(
        "audio_artifacts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("scene_index", sa.Integer(), nullable=False),
        sa.Column("line_index", sa.Integer(), nullable=False),
        sa.Column("speaker", sa.String(length=64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("voice", sa.String(length=64), nullable=False),
        sa.Column("speed", sa.Float(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("file_path", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=False),
        sa.Column("start_seconds", sa.Float(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_audio_artifacts_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audio_artifacts")),
        sa.UniqueConstraint(
            "project_id",
            "kind",
            "scene_index",
            "line_index",
            name=op.f("uq_audio_artifacts_project_id"),
        ),
    )
    op.create_index(
        op.f("ix_audio_artifacts_project_id"), "audio_artifacts", ["project_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_audio_artifacts_project_id"), table_name="audio_artifacts")
    op.drop_table("audio_artifacts")
    with op.batch_alter_table("scenes") as batch:
        batch.drop_column("clip_duration")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("sound_options")
