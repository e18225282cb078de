"""login sessions: the web page's logins kept in the database, shared by every server

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 20:30:00

Before, sessions lived in each server's memory: a restart logged everyone out, and a second
server on the same database refused the first one's cookies. Only digests are stored (the
SHA-256 of the session id, an HMAC of it under the API token), never a usable cookie.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_sessions",
        sa.Column("id_digest", sa.String(length=64), nullable=False),
        sa.Column("token_mac", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id_digest", name=op.f("pk_login_sessions")),
    )
    op.create_index("ix_login_sessions_expires_at", "login_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_login_sessions_expires_at", table_name="login_sessions")
    op.drop_table("login_sessions")
