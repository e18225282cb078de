"""`vidpipe stitch`: re-stitch a complete project with other options; generates nothing."""

from __future__ import annotations

from typing import Annotated

import typer

from vidpipe.cli.runtime import EXIT_FAILED, EXIT_OK, Invocation, database, execute, stderr
from vidpipe.cli.shared import Commands, IdArg, JsonFlag, settings_of, show_document
from vidpipe.errors import StitchFailedError

commands = Commands()


@commands.command()
def stitch(
    ctx: typer.Context,
    project: IdArg,
    crossfade: Annotated[
        float | None, typer.Option(help="Crossfade seconds; 0 = hard cuts. Default: as before.")
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Re-stitch a complete project (e.g. with --crossfade) without regenerating anything."""
    from vidpipe.app import projects, runs
    from vidpipe.db.queries import resolve_project_id
    from vidpipe.providers.registry import load_registry
    from vidpipe.runners.inline import InlineRunner

    settings = settings_of(ctx)
    registry = load_registry()

    async def work(invocation: Invocation) -> int:
        async with database(settings, create=False) as session:
            project_id = await resolve_project_id(session, project)
            invocation.project_id = str(project_id)
            runner = InlineRunner(session, settings, registry)
            try:
                found = await runs.restitch(
                    session, settings, registry, runner, project_id, crossfade
                )
            except StitchFailedError as exc:
                stderr.print(f"error: {exc}", markup=False, soft_wrap=True)
                return EXIT_FAILED
            document = projects.document(found, settings)
        show_document(document, json_output)
        return EXIT_OK

    execute(work)
