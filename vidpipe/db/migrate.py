"""Apply Alembic migrations at start, from the package (no alembic.ini needed).

On PostgreSQL the migrations run under one advisory lock, so several workers and API servers may
start at once; Procrastinate's schema (the job queue) is applied in the same transaction,
once, right after them.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
PG_MIGRATION_LOCK = 0x76696470  # "vidp"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    postgres = connection.dialect.name == "postgresql"
    if postgres:  # several workers may start at once
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_MIGRATION_LOCK})
    command.upgrade(alembic_config(connection), "head")


async def _apply_queue_schema(connection: AsyncConnection) -> None:
    """Procrastinate's tables and functions, when absent (still under the advisory lock)."""
    present = await connection.scalar(text("SELECT to_regclass('procrastinate_jobs')"))
    if present is not None:
        return
    from importlib import resources

    schema = (resources.files("procrastinate.sql") / "schema.sql").read_text(encoding="utf-8")
    raw = await connection.get_raw_connection()
    await raw.driver_connection.execute(schema)  # type: ignore[union-attr]  # asyncpg: many statements


async def upgrade_to_head(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)
        if connection.dialect.name == "postgresql":
            await _apply_queue_schema(connection)
