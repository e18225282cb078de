"""`vidpipe storyboard`: a project's storyboard as JSON, the form `edit --storyboard-file` takes."""

from __future__ import annotations

import typer

from vidpipe.cli.runtime import EXIT_OK, Invocation, database, execute, print_json
from vidpipe.cli.shared import Commands, IdArg, settings_of

commands = Commands()


@commands.command()
def storyboard(ctx: typer.Context, project: IdArg) -> None:
    """Print a project's storyboard as JSON (edit it, then `vidpipe edit ID --storyboard-file`)."""
    settings = settings_of(ctx)

    async def work(invocation: Invocation) -> int:
        from vidpipe.db.queries import load_project, resolve_project_id
        from vidpipe.orchestrator.edits import storyboard_document

        async with database(settings, create=False) as session:
            found = await load_project(session, await resolve_project_id(session, project))
            print_json(storyboard_document(found).as_json())
        return EXIT_OK

    execute(work)
