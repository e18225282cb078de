"""Finished projects made once per test session and copied into each test that needs one.

Rendering a multi-scene project costs seconds; most iterating tests only need one to start from.
`ProjectTemplates` renders each kind once (on SQLite, in a folder of its own) and then copies
it into a test's own database and data directory: every row, table by table, and every file,
byte for byte (never a link, so inode and link-count assertions see files of their own). The
copy is a project like any other: the test edits, runs, forks and collects garbage on it.
Templates are rendered on SQLite; a test on PostgreSQL gets the same rows inserted into its own
PostgreSQL database, so one render serves both parametrisations.
"""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.config import Settings
from vidpipe.db.engine import create_engine, open_database
from vidpipe.db.models import Base


async def run_new_project(
    session: AsyncSession, settings: Settings, prompt: str, **options: Any
) -> uuid.UUID:
    """A project created as `generate` creates it (no cost checks) and run to the end on the
    configured providers (the local ones by default): what a template renders."""
    from vidpipe.orchestrator import run_pipeline
    from vidpipe.orchestrator.projects import GenerateOptions, create_project
    from vidpipe.providers.registry import load_registry

    merged = GenerateOptions.model_validate({"prompt": prompt, **options})
    project = await create_project(session, settings, merged)
    await run_pipeline(session, project.id, settings=settings, registry=load_registry())
    return project.id


Make = Callable[..., Awaitable[uuid.UUID]]  # make(session, settings, **options) -> project id
CompleteProject = Make  # the same call, answered by a copy

# tables that only hold a run's passing state (rate limits, slots); a template must leave them empty
_TRANSIENT = {"provider_slots", "provider_requests", "sim_concurrency"}


@dataclass(frozen=True)
class Template:
    project_id: uuid.UUID
    data_dir: Path
    database: Path


class ProjectTemplates:
    """Projects rendered once and copied per test (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._made: dict[tuple[str, str], Template] = {}

    async def copy(
        self, session: AsyncSession, settings: Settings, make: Make, **options: Any
    ) -> uuid.UUID:
        """The project `make(session, settings, **options)` renders, copied into the test's
        database (reached through `session`) and data directory (`settings.data_dir`). A template
        is made per `make`, options and settings (all but the paths)."""
        key = f"{make.__module__}.{make.__qualname__}({sorted(options.items())!r})"
        template = await self._template(settings, key, lambda s, o: make(s, o, **options))
        await copy_rows(template.database, session)
        copy_files(template.data_dir, settings.data_dir)
        return template.project_id

    def maker(self, make: Make) -> CompleteProject:
        """`make`'s stand-in for tests: the same call, answered by a copy of its template."""

        async def copy(session: AsyncSession, settings: Settings, **options: Any) -> uuid.UUID:
            return await self.copy(session, settings, make, **options)

        return copy

    async def _template(self, settings: Settings, key: str, make: Make) -> Template:
        shown = settings.model_dump(mode="json", exclude={"data_dir", "database_url"})
        index = (key, repr(sorted(shown.items())))
        if index not in self._made:
            folder = self.root / f"template-{len(self._made)}"
            database = folder / "vidpipe.db"
            own = settings.model_copy(
                update={
                    "data_dir": folder / "data",
                    "database_url": f"sqlite+aiosqlite:///{database}",
                }
            )
            async with open_database(own.effective_database_url) as sessions:
                async with sessions() as template_session:
                    project_id = await make(template_session, own)
            self._made[index] = Template(project_id, own.data_dir, database)
        return self._made[index]


async def copy_rows(database: Path, session: AsyncSession) -> None:
    """Every row of a SQLite database into the (migrated, empty) database behind `session`."""
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    try:
        async with engine.connect() as source:
            names = await source.run_sync(lambda c: inspect(c).get_table_names())
            for name in sorted(set(names) & _TRANSIENT):
                count = (await source.execute(text(f"SELECT count(*) FROM {name}"))).scalar()
                assert count == 0, f"the template left rows in {name}"
            rows = {
                table.name: [dict(row) for row in (await source.execute(select(table))).mappings()]
                for table in Base.metadata.sorted_tables
            }
    finally:
        await engine.dispose()
    for table in Base.metadata.sorted_tables:
        if rows[table.name]:
            await session.execute(insert(table), rows[table.name])
    await session.commit()


def copy_files(source: Path, target: Path) -> None:
    """Every file of a data directory, as new files (same bytes and times, new inodes)."""
    shutil.copytree(source, target, dirs_exist_ok=True)


def copy_data_dir(source: Path, target: Path) -> None:
    """A whole data directory of a stopped vidpipe (its SQLite database inside): the database
    through SQLite's backup (a consistent copy, whatever its journal holds), the rest as files."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("vidpipe.db*"))
    origin, copy = sqlite3.connect(source / "vidpipe.db"), sqlite3.connect(target / "vidpipe.db")
    try:
        origin.backup(copy)
    finally:
        origin.close()
        copy.close()
