"""What every command shares: settings, the database, exit codes (CLI-4), signals."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.config import Settings
from vidpipe.db.engine import open_database
from vidpipe.errors import BadInputError, ProjectBusyError, ProjectNotFoundError, VidpipeError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130

stderr = Console(stderr=True, highlight=False)
stdout = Console(highlight=False)


@dataclass
class Invocation:
    """State a command leaves for the exit handler (which project to name on Ctrl+C)."""

    project_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def fail(message: str, code: int) -> typer.Exit:
    stderr.print(f"error: {message}", markup=False, soft_wrap=True)
    return typer.Exit(code)


def print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, default=str) + "\n")
    sys.stdout.flush()


def database_exists(settings: Settings) -> bool:
    url = make_url(settings.effective_database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return True
    return Path(url.database).exists()


@asynccontextmanager
async def database(settings: Settings, *, create: bool) -> AsyncIterator[AsyncSession]:
    """A session on the migrated database. Lookups never create an empty database (CLI-5)."""
    if not create and not database_exists(settings):
        raise ProjectNotFoundError("no projects yet (the database does not exist)")
    async with open_database(settings.effective_database_url) as factory:
        async with factory() as session:
            yield session


def execute(work: Callable[[Invocation], Awaitable[int]]) -> None:
    """Run a command's coroutine and turn its outcome into an exit code."""
    invocation = Invocation()
    try:
        code = asyncio.run(_with_sigterm(work(invocation)))
    except BadInputError as exc:
        raise fail(str(exc), EXIT_BAD_INPUT) from None
    except ProjectBusyError as exc:
        raise fail(f"refused: {exc}", EXIT_FAILED) from None
    except (KeyboardInterrupt, asyncio.CancelledError):
        where = invocation.project_id
        hint = f"; project {where} is resumable: vidpipe resume {where}" if where else ""
        raise fail(f"interrupted{hint}", EXIT_INTERRUPTED) from None
    except VidpipeError as exc:
        raise fail(str(exc), EXIT_FAILED) from None
    raise typer.Exit(code)


async def _with_sigterm(work: Awaitable[int]) -> int:
    """SIGTERM behaves like Ctrl+C: the run is cancelled and left resumable (CORE-7)."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(work)
    try:
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
    except (NotImplementedError, RuntimeError):  # not the main thread (e.g. tests)
        pass
    try:
        return await task
    finally:
        try:
            loop.remove_signal_handler(signal.SIGTERM)
        except (NotImplementedError, RuntimeError):
            pass
