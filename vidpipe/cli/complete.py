"""Shell completion of project ids (`vidpipe --install-completion` installs the shell's hook).

Every Tab press runs a whole `vidpipe` process, so this must be quick and must never fail: it
builds the one Settings object (flags, environment, vidpipe.toml), reads a SQLite database with
the standard library's `sqlite3`, read-only (no SQLAlchemy, no migrations, nothing created), and
answers nothing at all when there is no database or anything goes wrong.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import typer

from vidpipe.cli.output import shorten

LIMIT = 200  # newest projects offered; a prefix narrows them anyway
SQLITE_PREFIXES = ("sqlite+aiosqlite:///", "sqlite:///")
TIMEOUT_SECONDS = 2.0


def complete_project_id(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Ids that start with what was typed (dashes optional), newest first, with a short help."""
    try:
        rows = _recent_projects(_root_options(ctx))
        return matching(rows, incomplete)
    except Exception:  # a completion must never print a traceback into the user's prompt
        return []


def matching(rows: Iterable[tuple[str, str, str]], incomplete: str) -> list[tuple[str, str]]:
    """(id, "status: prompt") for rows whose id starts with `incomplete`."""
    typed = incomplete.strip().lower()
    dashless = typed.replace("-", "")
    found = []
    for project_id, status, prompt in rows:
        if project_id.startswith(typed) or project_id.replace("-", "").startswith(dashless):
            found.append((project_id, f"{status}: {shorten(prompt, 50)}"))
    return found


def _root_options(ctx: typer.Context) -> dict[str, Any]:
    """--data-dir / --database-url given before the command (parsed, callbacks not yet run)."""
    params = ctx.find_root().params
    return {k: v for k in ("data_dir", "database_url") if (v := params.get(k)) is not None}


def _recent_projects(overrides: dict[str, Any]) -> list[tuple[str, str, str]]:
    import sqlite3

    from vidpipe.config import Settings

    url = Settings(**overrides).effective_database_url
    path = next((url[len(p) :] for p in SQLITE_PREFIXES if url.startswith(p)), None)
    if path is None:
        return _recent_projects_elsewhere(url)
    if not path or path == ":memory:" or not Path(path).exists():
        return []
    connection = sqlite3.connect(
        f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=TIMEOUT_SECONDS
    )
    try:
        rows = connection.execute(
            "SELECT id, status, prompt FROM projects ORDER BY created_at DESC LIMIT ?", (LIMIT,)
        ).fetchall()
    finally:
        connection.close()
    return [(str(uuid.UUID(str(pid))), status, prompt) for pid, status, prompt in rows]


def _recent_projects_elsewhere(url: str) -> list[tuple[str, str, str]]:
    """PostgreSQL and other servers: one query through the usual engine, with a time limit."""
    import asyncio

    from sqlalchemy import text

    from vidpipe.db.engine import create_engine

    async def fetch() -> list[tuple[str, str, str]]:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                result = await connection.execute(
                    text(
                        "SELECT id, status, prompt FROM projects ORDER BY created_at DESC"
                        " LIMIT :limit"
                    ),
                    {"limit": LIMIT},
                )
                return [(str(uuid.UUID(str(r[0]))), r[1], r[2]) for r in result]
        finally:
            await engine.dispose()

    return asyncio.run(asyncio.wait_for(fetch(), TIMEOUT_SECONDS))
