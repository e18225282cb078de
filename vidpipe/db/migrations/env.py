"""Alembic environment: runs on the connection handed over by vidpipe.db.migrate."""

from __future__ import annotations

from alembic import context

from vidpipe.db.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through vidpipe.db.migrate.upgrade_to_head")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
