"""`vidpipe takes` (a scene's takes) and `vidpipe select` (use another one)."""

from __future__ import annotations

from typing import Annotated

import typer

from vidpipe.cli import views
from vidpipe.cli.runtime import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    Invocation,
    database,
    execute,
    fail,
    print_json,
    stderr,
    stdout,
)
from vidpipe.cli.shared import Commands, IdArg, JsonFlag, settings_of, show_document

commands = Commands()


@commands.command()
def takes(
    ctx: typer.Context,
    project: IdArg,
    scene: Annotated[int, typer.Option("--scene", help="Scene number (1-based).")],
    json_output: JsonFlag = False,
) -> None:
    """The takes of a scene's clip and frames: created, cost, provider, fidelity, selected."""
    settings = settings_of(ctx)

    async def work(invocation: Invocation) -> int:
        from vidpipe.db.queries import resolve_project_id
        from vidpipe.orchestrator.report import takes_document

        async with database(settings, create=False) as session:
            project_id = await resolve_project_id(session, project)
            document = await takes_document(session, settings, project_id, scene)
        if json_output:
            print_json(document.as_json())
        else:
            views.show_takes(stdout, document)
        return EXIT_OK

    execute(work)


@commands.command("select")
def select_take(
    ctx: typer.Context,
    project: IdArg,
    scene: Annotated[int, typer.Option("--scene", help="Scene number (1-based).")],
    take: Annotated[int, typer.Option("--take", help="Take number (see `vidpipe takes`).")],
    end_frame: Annotated[
        bool, typer.Option("--end-frame", help="Select an end-frame take (not a clip take).")
    ] = False,
    start_frame: Annotated[
        bool, typer.Option("--start-frame", help="Select a start-frame take (scene 1).")
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Keep a clip take made from other frames or options; the project goes out of "
            "date and `resume` remakes the clip.",
        ),
    ] = False,
    json_output: JsonFlag = False,
) -> None:
    """Switch a scene to another clip take and re-stitch; generates nothing. A clip take made
    from other frames or options than those in use is refused (--force keeps it). With --end-frame
    or --start-frame, another keyframe take: what was made from it is selected again where it
    exists, the rest becomes stale (`vidpipe plan`, then `resume`)."""
    settings = settings_of(ctx)
    if end_frame and start_frame:
        raise fail("select one of --end-frame, --start-frame (or neither: a clip)", EXIT_BAD_INPUT)
    slot = "end" if end_frame else "start" if start_frame else "clip"

    async def work(invocation: Invocation) -> int:
        from vidpipe.app import iterate, projects
        from vidpipe.db.queries import resolve_project_id
        from vidpipe.providers.registry import load_registry
        from vidpipe.runners.inline import InlineRunner

        registry = load_registry()
        async with database(settings, create=False) as session:
            project_id = await resolve_project_id(session, project)
            invocation.project_id = str(project_id)
            runner = InlineRunner(session, settings, registry)
            selected = await iterate.select(
                session, settings, registry, runner, project_id, scene, take, slot, force=force
            )
            found = selected.project
            if not selected.restitched and not selected.plan.empty:
                stderr.print(
                    "other work is stale, so nothing was re-stitched; "
                    f"`vidpipe resume {project_id}` brings it up to date",
                    markup=False,
                )
            document = projects.document(found, settings)
        show_document(document, json_output)
        return EXIT_OK

    execute(work)
