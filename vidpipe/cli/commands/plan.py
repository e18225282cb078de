"""`vidpipe plan`: what `resume` would make and what it would cost; calls no provider."""

from __future__ import annotations

import typer

from vidpipe.cli.runtime import EXIT_OK, Invocation, database, execute
from vidpipe.cli.shared import Commands, IdArg, JsonFlag, settings_of, show_plan

commands = Commands()


@commands.command()
def plan(ctx: typer.Context, project: IdArg, json_output: JsonFlag = False) -> None:
    """What `resume` would generate and what it would cost; calls no provider."""
    from vidpipe.db.queries import resolve_project_id

    settings = settings_of(ctx)

    async def work(invocation: Invocation) -> int:
        async with database(settings, create=False) as session:
            project_id = await resolve_project_id(session, project)
            await show_plan(session, settings, project_id, json_output)
        return EXIT_OK

    execute(work)
