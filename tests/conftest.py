"""Shared fixtures: a data directory, and a database on SQLite or PostgreSQL.

PostgreSQL runs when VIDPIPE_TEST_POSTGRES_URL names a server (CI sets it); each test gets a
database of its own, created and dropped around it.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

sys.path.insert(0, str(Path(__file__).with_name("support")))  # shared test helpers
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


@asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    """A new, empty PostgreSQL database for one test, dropped afterwards."""
    assert POSTGRES_URL
    name = f"vidpipe_test_{uuid.uuid4().hex[:12]}"
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The database URL for a test, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'vidpipe.db'}"
        return
    async with fresh_postgres_database() as url:
        yield url


@pytest.fixture
async def postgres_database_url() -> AsyncIterator[str]:
    async with fresh_postgres_database() as url:
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


@pytest.fixture(scope="session")
def project_templates(tmp_path_factory: pytest.TempPathFactory) -> ProjectTemplates:
    """Finished projects rendered once per session, copied into each test that asks."""
    return ProjectTemplates(tmp_path_factory.mktemp("templates"))
