"""references: reference images of a project and, per scene, which appear

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 04:00:00

Projects made before this revision have no references and scenes that list none; their
fingerprints do not change (a keyframe's fingerprint holds references only when it has some), so
a complete project stays complete with an empty plan.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "project_references",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("file_path", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("description_source", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_references_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_references")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_project_references_project_id")),
    )
    op.create_index(op.f("ix_project_references_project_id"), "project_references", ["project_id"])
    op.create_index(
        op.f("ix_project_references_content_hash"), "project_references", ["content_hash"]
    )
    op.add_column("scenes", sa.Column("reference_names", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scenes") as batch:
        batch.drop_column("reference_names")
    op.drop_index(op.f("ix_project_references_content_hash"), table_name="project_references")
    op.drop_index(op.f("ix_project_references_project_id"), table_name="project_references")
    op.drop_table("project_references")
