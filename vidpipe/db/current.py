"""Open the database without Alembic when it is already migrated (short CLI processes).

Importing and running Alembic costs ~0.3 s per process even when there is nothing to migrate; a
`vidpipe status` should not pay that. The newest revision is read from the migration files
themselves (their `revision = ...` / `down_revision = ...` lines). When the database's
`alembic_version` holds exactly that one head, migrations are skipped; anything unclear (no
version table, several heads, a file that does not parse, an older database) runs Alembic as
`open_database` does. Engine and sessions come from `engine.py`, as everywhere else.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from vidpipe.db.engine import create_engine, session_factory

VERSIONS_DIR = Path(__file__).with_name("migrations") / "versions"
_REVISION = re.compile(r"^revision\s*(?::[^=\n]*)?=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=\n]*)?=(.*)$", re.MULTILINE)
_QUOTED = re.compile(r"['\"]([^'\"]+)['\"]")


def migration_head(versions_dir: Path = VERSIONS_DIR) -> str | None:
    """The single head revision of the migration files, or None when that is not certain."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in versions_dir.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN_REVISION.search(source)
        if revision is None or down is None:
            return None
        revisions.add(revision.group(1))
        parents.update(_QUOTED.findall(down.group(1)))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


async def revisions(engine: AsyncEngine) -> list[str]:
    """The revisions the database records, read only (none when it has no version table)."""
    async with engine.connect() as connection:  # a server that does not answer still raises
        try:
            result = await connection.execute(text("SELECT version_num FROM alembic_version"))
        except DBAPIError:  # no version table yet: a new database
            return []
        return list(result.scalars())


async def is_at_head(engine: AsyncEngine, versions_dir: Path = VERSIONS_DIR) -> bool:
    head = migration_head(versions_dir)
    if head is None:
        return False
    try:
        return await revisions(engine) == [head]
    except DBAPIError:  # cannot connect: Alembic runs and says why, as before
        return False


@asynccontextmanager
async def open_current_database(url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """`open_database`, skipping Alembic when there is nothing to migrate."""
    engine = create_engine(url)
    try:
        if not await is_at_head(engine):
            from vidpipe.db.migrate import upgrade_to_head

            await upgrade_to_head(engine)
        yield session_factory(engine)
    finally:
        await engine.dispose()
