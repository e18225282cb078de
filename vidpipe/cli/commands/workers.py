"""`vidpipe worker` (run queued projects) and `vidpipe workers` (the live ones)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from vidpipe.cli import views
from vidpipe.cli.runtime import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    Invocation,
    database,
    database_exists,
    execute,
    fail,
    print_json,
    stdout,
)
from vidpipe.cli.shared import Commands, JsonFlag, settings_of

if TYPE_CHECKING:
    from vidpipe.documents import WorkerDocument

commands = Commands()


@commands.command()
def worker(
    ctx: typer.Context,
    concurrency: Annotated[
        int | None,
        typer.Option(
            min=1, max=64, help="Projects at once (VIDPIPE_WORKER_CONCURRENCY; default 4)."
        ),
    ] = None,
) -> None:
    """Run queued projects (PostgreSQL); start any number, on any machine. SIGTERM stops it."""
    import asyncio
    import logging

    from vidpipe.config import QUEUE_NEEDS_POSTGRES
    from vidpipe.memory import collect_as_usual
    from vidpipe.providers.registry import load_registry
    from vidpipe.runners.worker import run_worker

    settings = settings_of(ctx)
    if not settings.uses_postgres:
        raise fail(
            "vidpipe worker needs PostgreSQL; " + QUEUE_NEEDS_POSTGRES.partition(": ")[2],
            EXIT_BAD_INPUT,
        )
    registry = load_registry()
    registry.build(
        settings, settings.storyboard_provider, settings.image_provider, settings.video_provider
    )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # migrations: only when they fail
    collect_as_usual()  # a long-running process: the usual collection schedule from here on
    try:
        asyncio.run(run_worker(settings, registry, concurrency or settings.worker_concurrency))
    except KeyboardInterrupt:
        pass
    raise typer.Exit(EXIT_OK)


@commands.command()
def workers(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """The live workers: host, pid, the projects they run, last heartbeat."""
    from vidpipe.orchestrator.report import workers_document

    settings = settings_of(ctx)

    async def work(invocation: Invocation) -> int:
        found: list[WorkerDocument] = []
        if database_exists(settings):
            async with database(settings, create=False) as session:
                found = await workers_document(session, settings)
        if json_output:
            print_json([worker.as_json() for worker in found])
        else:
            views.show_workers(stdout, found)
        return EXIT_OK

    execute(work)
