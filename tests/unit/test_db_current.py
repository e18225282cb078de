"""Opening an already-migrated database skips Alembic; anything unclear still migrates."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from vidpipe.db.current import VERSIONS_DIR, is_at_head, migration_head, open_current_database
from vidpipe.db.engine import create_engine, open_database


def write_revision(folder: Path, name: str, body: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.py").write_text(f'"""{name}"""\n\n{body}\n\ndef upgrade() -> None: ...\n')


def test_the_shipped_migrations_have_one_head() -> None:
    from alembic.script import ScriptDirectory

    from vidpipe.db.migrate import alembic_config

    assert migration_head() == ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert migration_head(VERSIONS_DIR) is not None


def test_head_follows_the_chain_in_either_spelling(tmp_path: Path) -> None:
    write_revision(tmp_path, "0001_a", 'revision = "0001"\ndown_revision = None')
    write_revision(tmp_path, "0002_b", "revision: str = '0002'\ndown_revision: str | None = '0001'")
    assert migration_head(tmp_path) == "0002"
    write_revision(tmp_path, "0003_c", 'revision = "0003"\ndown_revision = "0002"')
    assert migration_head(tmp_path) == "0003"


def test_anything_unclear_means_no_head(tmp_path: Path) -> None:
    write_revision(tmp_path, "0001_a", 'revision = "0001"\ndown_revision = None')
    write_revision(tmp_path, "0002_b", 'revision = "0002"\ndown_revision = "0001"')
    write_revision(tmp_path, "0002_c", 'revision = "0003"\ndown_revision = "0001"')
    assert migration_head(tmp_path) is None  # two heads
    (tmp_path / "0002_c.py").unlink()
    write_revision(tmp_path, "0003_d", "revision = make_id()\ndown_revision = '0002'")
    assert migration_head(tmp_path) is None  # a revision we cannot read
    assert migration_head(tmp_path / "empty") is None


async def test_at_head_only_after_migrating(database_url: str, tmp_path: Path) -> None:
    engine = create_engine(database_url)
    try:
        assert not await is_at_head(engine)  # no version table yet
        async with open_database(database_url):
            pass
        assert await is_at_head(engine)
        newer = tmp_path / "versions"
        newer.mkdir()
        for path in VERSIONS_DIR.glob("*.py"):
            (newer / path.name).write_text(path.read_text())
        write_revision(
            newer, "9999_next", f'revision = "9999"\ndown_revision = "{migration_head()}"'
        )
        assert not await is_at_head(engine, newer)  # a newer release: Alembic must run
    finally:
        await engine.dispose()


async def test_open_current_database_migrates_a_new_database(database_url: str) -> None:
    async with open_current_database(database_url) as sessions:
        async with sessions() as session:
            assert await session.scalar(text("SELECT count(*) FROM projects")) == 0
    async with open_current_database(database_url) as sessions:  # the fast path
        async with sessions() as session:
            version = await session.scalar(text("SELECT version_num FROM alembic_version"))
    assert version == migration_head()
