"""state that tells the truth: the stage an idle, edited project is out of date from; what each
take was made from

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 14:00:00

`projects.stale_stage`: the earliest stage an `out_of_date` project must redo (None otherwise).
`takes.prompt`: the prompt a take was made with (a keyframe's, or a clip's motion prompt), so a
selected keyframe take brings its prompt back into the storyboard. `takes.made_from`: for a clip
take, the content hashes of the frames it animates and its duration, so `select` can refuse a take
made from other frames. Rows made before this revision have neither and are treated as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"  # re-chained onto main's 0007 at the merge
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("projects", sa.Column("stale_stage", sa.String(16), nullable=True))
    op.add_column("takes", sa.Column("prompt", sa.Text(), nullable=True))
    op.add_column("takes", sa.Column("made_from", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("takes") as batch:
        batch.drop_column("made_from")
        batch.drop_column("prompt")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("stale_stage")
