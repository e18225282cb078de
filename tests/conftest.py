"""Shared fixtures: a data directory, and a database on SQLite or PostgreSQL.

PostgreSQL runs when VIDPIPE_TEST_POSTGRES_URL names a server (CI sets it); each test gets a
database of its own, created and dropped around it.

Migrating an empty database costs more than most tests: a test that opens its database through
`settings` starts from a copy of one migrated once per session (a copied SQLite file, a
PostgreSQL database created from a template). A test that asks only for `database_url` (or
`postgres_database_url`) gets an empty database, as before.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

sys.path.insert(0, str(Path(__file__).with_name("support")))  # shared test helpers
pytest_plugins = ["alone"]  # the `alone` mark: no other test runs beside it (pytest-xdist)
os.environ["VIDPIPE_NO_PLUGINS"] = "1"  # an installed plugin must not change results
for name in list(os.environ):
    if name.startswith("VIDPIPE_") and name not in (
        "VIDPIPE_NO_PLUGINS",
        "VIDPIPE_TEST_POSTGRES_URL",
    ):
        del os.environ[name]

from finished_projects import ProjectTemplates  # noqa: E402

from vidpipe.config import Settings  # noqa: E402
from vidpipe.db.engine import open_database  # noqa: E402

POSTGRES_URL = os.environ.get("VIDPIPE_TEST_POSTGRES_URL")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if POSTGRES_URL:
        return
    skip = pytest.mark.skip(reason="set VIDPIPE_TEST_POSTGRES_URL to run PostgreSQL tests")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


async def _admin(sql: str) -> None:
    import asyncpg

    assert POSTGRES_URL
    url = make_url(POSTGRES_URL)
    connection = await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, password=url.password,
        database=url.database,
    )  # fmt: skip
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _postgres_url(name: str) -> str:
    assert POSTGRES_URL
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


@asynccontextmanager
async def fresh_postgres_database(template: str | None = None) -> AsyncIterator[str]:
    """A new PostgreSQL database for one test, dropped afterwards: empty, or a copy of the
    database `template` (PostgreSQL's own copy, CREATE DATABASE ... TEMPLATE)."""
    name = f"vidpipe_test_{uuid.uuid4().hex[:12]}"
    await _admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    try:
        yield _postgres_url(name)
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine to the end from sync code, even while a test's event loop runs."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result()


class MigratedDatabases:
    """An empty database of each kind, migrated to head once per session, for tests to copy."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._sqlite: Path | None = None
        self._postgres: str | None = None

    def copy_sqlite(self, target: Path) -> None:
        """A migrated SQLite database at `target`, copied with SQLite's backup."""
        if self._sqlite is None:
            made = self.root / "migrated.db"
            _run(_migrate(f"sqlite+aiosqlite:///{made}"))
            self._sqlite = made
        target.parent.mkdir(parents=True, exist_ok=True)
        origin, copy = sqlite3.connect(self._sqlite), sqlite3.connect(target)
        try:
            origin.backup(copy)
        finally:
            origin.close()
            copy.close()

    def postgres_template(self) -> str:
        """The name of a migrated PostgreSQL database nobody connects to (a template)."""
        if self._postgres is None:
            name = f"vidpipe_template_{uuid.uuid4().hex[:12]}"
            _run(_admin(f'CREATE DATABASE "{name}"'))
            _run(_migrate(_postgres_url(name)))
            self._postgres = name
        return self._postgres

    def close(self) -> None:
        if self._postgres is not None:
            _run(_admin(f'DROP DATABASE IF EXISTS "{self._postgres}" WITH (FORCE)'))


async def _migrate(url: str) -> None:
    async with open_database(url):  # migrates to head, then disposes of its engine
        pass


@pytest.fixture(scope="session")
def migrated_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedDatabases]:
    databases = MigratedDatabases(tmp_path_factory.mktemp("migrated"))
    yield databases
    databases.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The database URL for a test, once on SQLite and once on PostgreSQL: already migrated
    when the test opens it through `settings`, else empty."""
    migrated = (
        request.getfixturevalue("migrated_databases")
        if "settings" in request.fixturenames
        else None
    )
    if request.param == "sqlite":
        if migrated is not None:
            migrated.copy_sqlite(tmp_path / "vidpipe.db")
        yield f"sqlite+aiosqlite:///{tmp_path / 'vidpipe.db'}"
        return
    template = migrated.postgres_template() if migrated is not None else None
    async with fresh_postgres_database(template) as url:
        yield url


@pytest.fixture
def sqlite_database_url(tmp_path: Path, migrated_databases: MigratedDatabases) -> str:
    """A SQLite database already migrated to head (a copy), for tests on SQLite only."""
    migrated_databases.copy_sqlite(tmp_path / "vidpipe.db")
    return f"sqlite+aiosqlite:///{tmp_path / 'vidpipe.db'}"


@pytest.fixture
async def postgres_database_url() -> AsyncIterator[str]:
    """An empty PostgreSQL database."""
    async with fresh_postgres_database() as url:
        yield url


@pytest.fixture
async def migrated_postgres_database_url(
    migrated_databases: MigratedDatabases,
) -> AsyncIterator[str]:
    """A PostgreSQL database already migrated to head (made from a migrated template)."""
    async with fresh_postgres_database(migrated_databases.postgres_template()) as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        lease_seconds=10,
        heartbeat_seconds=1,
    )


@pytest.fixture
async def sessions(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with open_database(settings.effective_database_url) as factory:
        yield factory


@pytest.fixture
async def session(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    async with sessions() as session:
        yield session


@pytest.fixture
async def sqlite(
    tmp_path: Path, sqlite_database_url: str
) -> AsyncIterator[tuple[Settings, AsyncSession]]:
    """Settings and a session on a migrated SQLite database, for tests on SQLite only."""
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=sqlite_database_url,
        lease_seconds=10,
        heartbeat_seconds=1,
    )
    async with open_database(settings.effective_database_url) as sessions, sessions() as session:
        yield settings, session


@pytest.fixture(scope="session")
def project_templates(tmp_path_factory: pytest.TempPathFactory) -> ProjectTemplates:
    """Finished projects rendered once per session, copied into each test that asks."""
    return ProjectTemplates(tmp_path_factory.mktemp("templates"))
