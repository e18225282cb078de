"""iterating: fingerprints, takes, review gates, stop requests, forks

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 01:30:00

Rows made before this revision carry no fingerprint: they are accepted as they are, and their
fingerprint is recorded from the current inputs the next time the project is run or edited, so
a complete project stays complete with an empty plan. Their files become take 1.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

PROJECT_COLUMNS = (
    sa.Column("output_fingerprint", sa.String(length=64), nullable=True),
    sa.Column("pause_after", sa.String(length=16), nullable=True),
    sa.Column("paused_before", sa.String(length=16), nullable=True),
    sa.Column("stop_requested_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("forked_from", sa.Uuid(), nullable=True),
    sa.Column("storyboard_version", sa.Integer(), nullable=False, server_default="1"),
)


def _artifact_columns() -> tuple[sa.Column, ...]:
    return (
        sa.Column("take", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
    )


def upgrade() -> None:
    for column in PROJECT_COLUMNS:
        op.add_column("projects", column)
    for column in _artifact_columns():
        op.add_column("keyframes", column)
    for column in _artifact_columns():
        op.add_column("video_clips", column)
    op.add_column("video_clips", sa.Column("direction", sa.Text(), nullable=True))
    op.add_column("scenes", sa.Column("frame_direction", sa.Text(), nullable=True))
    op.add_column("scenes", sa.Column("pending_frame_request", sa.Text(), nullable=True))
    takes = op.create_table(
        "takes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("scene_index", sa.Integer(), nullable=False),
        sa.Column("slot", sa.String(length=8), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("file_path", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("cost", sa.Float(), nullable=False),
        sa.Column("direction", sa.Text(), nullable=True),
        sa.Column("fidelity", sa.Float(), nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("has_audio", sa.Boolean(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_takes_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_takes")),
        sa.UniqueConstraint(
            "project_id", "scene_index", "slot", "number", name=op.f("uq_takes_project_id")
        ),
    )
    op.create_index(op.f("ix_takes_project_id"), "takes", ["project_id"], unique=False)
    _backfill_takes(takes)


def _backfill_takes(takes: sa.Table) -> None:
    """Existing generated keyframes and finished clips become take 1 of their slot."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT s.project_id, s.scene_index, k.position, k.file_path, k.created_at, "
            "p.image_provider FROM keyframes k JOIN scenes s ON s.id = k.scene_id "
            "JOIN projects p ON p.id = s.project_id WHERE k.source = 'generated'"
        )
    ).fetchall()
    clips = bind.execute(
        sa.text(
            "SELECT s.project_id, s.scene_index, c.file_path, c.completed_at, c.provider, "
            "c.duration_seconds, c.has_audio FROM video_clips c JOIN scenes s ON s.id = c.scene_id "
            "WHERE c.status = 'complete' AND c.file_path IS NOT NULL"
        )
    ).fetchall()
    values = [
        {
            "id": uuid.uuid4(),
            "project_id": _uuid(r[0]),
            "scene_index": r[1],
            "slot": r[2],
            "number": 1,
            "file_path": r[3],
            "provider": r[5],
            "cost": 0.0,
            "created_at": _when(r[4]),
        }
        for r in rows
    ] + [
        {
            "id": uuid.uuid4(),
            "project_id": _uuid(r[0]),
            "scene_index": r[1],
            "slot": "clip",
            "number": 1,
            "file_path": r[2],
            "provider": r[4],
            "cost": 0.0,
            "duration_seconds": r[5],
            "has_audio": r[6],
            "created_at": _when(r[3]),
        }
        for r in clips
    ]
    if values:
        op.bulk_insert(takes, values)


def _when(value: object) -> datetime:
    """A timestamp as read by raw SQL (SQLite gives text), or now when there is none."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value)
    return datetime.now(UTC)


def _uuid(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def downgrade() -> None:
    op.drop_index(op.f("ix_takes_project_id"), table_name="takes")
    op.drop_table("takes")
    with op.batch_alter_table("scenes") as batch:
        batch.drop_column("pending_frame_request")
        batch.drop_column("frame_direction")
    with op.batch_alter_table("video_clips") as batch:
        for name in ("direction", "content_hash", "fingerprint", "take"):
            batch.drop_column(name)
    with op.batch_alter_table("keyframes") as batch:
        for name in ("content_hash", "fingerprint", "take"):
            batch.drop_column(name)
    with op.batch_alter_table("projects") as batch:
        for column in reversed(PROJECT_COLUMNS):
            batch.drop_column(column.name)
