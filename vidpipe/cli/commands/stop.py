"""`vidpipe stop`: ask whichever process runs a project to stop at its next safe point."""

from __future__ import annotations

import typer

from vidpipe.cli.runtime import EXIT_OK, Invocation, database, execute, stdout
from vidpipe.cli.shared import Commands, IdArg, settings_of

commands = Commands()


@commands.command()
def stop(ctx: typer.Context, project: IdArg) -> None:
    """Ask the process running a project to stop at its next safe point (any machine)."""
    settings = settings_of(ctx)

    async def work(invocation: Invocation) -> int:
        from vidpipe.app import runs
        from vidpipe.db.queries import resolve_project_id

        async with database(settings, create=False) as session:
            project_id = await resolve_project_id(session, project)
            if settings.execution == "queue":  # a job no worker has taken yet is withdrawn
                from vidpipe.runners.queue import queue_runner_for

                async with queue_runner_for(settings, session) as queue:
                    withdrawn = await runs.stop(session, project_id, queue)
            else:
                withdrawn = await runs.stop(session, project_id)
        said = (
            f"stopped: project {project_id} was taken out of the queue before it started"
            if withdrawn
            else f"stop requested: project {project_id} stops at its next safe point"
        )
        stdout.print(
            f"{said}; `vidpipe resume {project_id}` continues it",
            markup=False,
            soft_wrap=True,
        )
        return EXIT_OK

    execute(work)
