"""What every command shares: settings, the database, exit codes, signals.

Light to import (no SQLAlchemy, no settings model at module level): `vidpipe --help` and shell
completion load this module and nothing of the database.
"""

from __future__ import annotations

import json
import math
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from vidpipe.cli.output import make_console
from vidpipe.errors import BadInputError, ProjectBusyError, ProjectNotFoundError, VidpipeError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from vidpipe.config import Settings

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130

stderr = make_console(stderr=True)
stdout = make_console()


@dataclass
class Invocation:
    """State a command leaves for the exit handler (which project to name on Ctrl+C)."""

    project_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def fail(message: str, code: int) -> typer.Exit:
    stderr.print(f"error: {message}", markup=False, soft_wrap=True)
    return typer.Exit(code)


def print_json(document: Any) -> None:
    """Standard JSON: a non-finite number (an `inf` budget stored before they were refused)
    prints as null, never as `Infinity`, which no JSON parser reads."""
    sys.stdout.write(json.dumps(finite(document), indent=2, default=str, allow_nan=False) + "\n")
    sys.stdout.flush()


def finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite(item) for item in value]
    return value


def database_exists(settings: Settings) -> bool:
    from sqlalchemy.engine import make_url

    url = make_url(settings.effective_database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return True
    return Path(url.database).exists()


@asynccontextmanager
async def database(settings: Settings, *, create: bool) -> AsyncIterator[AsyncSession]:
    """A session on the migrated database. Lookups never create an empty database."""
    from vidpipe.db.current import open_current_database

    if not create and not database_exists(settings):
        raise ProjectNotFoundError("no projects yet (the database does not exist)")
    async with open_current_database(settings.effective_database_url) as factory:
        async with factory() as session:
            yield session


def execute(
    work: Callable[[Invocation], Awaitable[int]], flags: dict[str, str] | None = None
) -> None:
    """Run a command's coroutine and turn its outcome into an exit code (`flags`: how this
    command spells the fields an error may name, when not as generate does)."""
    import asyncio

    from vidpipe.memory import collect_as_usual

    collect_as_usual()  # the command has imported what it needs; its work begins
    invocation = Invocation()
    try:
        code = asyncio.run(_with_sigterm(work(invocation)))
    except BadInputError as exc:
        from vidpipe.cli.flags import flagged

        raise fail(flagged(exc, flags), EXIT_BAD_INPUT) from None
    except ProjectBusyError as exc:  # refused before anything ran, like an edit of it (exit 2)
        from vidpipe.cli.flags import flagged

        raise fail(f"refused: {flagged(exc)}", EXIT_BAD_INPUT) from None
    except (KeyboardInterrupt, asyncio.CancelledError):
        where = invocation.project_id
        hint = f"; project {where} is resumable: vidpipe resume {where}" if where else ""
        raise fail(f"interrupted{hint}", EXIT_INTERRUPTED) from None
    except VidpipeError as exc:
        raise fail(str(exc), EXIT_FAILED) from None
    raise typer.Exit(code)


async def _with_sigterm(work: Awaitable[int]) -> int:
    """SIGTERM behaves like Ctrl+C: the run is cancelled and left resumable."""
    import asyncio

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
