"""`vidpipe redo`: a new take of a clip or keyframe (old takes are kept), then resume."""

from __future__ import annotations

from typing import Annotated

import typer

from vidpipe.cli.edit_options import Yes
from vidpipe.cli.flags import flagged
from vidpipe.cli.runtime import EXIT_BAD_INPUT, Invocation, database, execute, fail
from vidpipe.cli.shared import Commands, IdArg, JsonFlag, bring_up_to_date, settings_of
from vidpipe.errors import BadInputError

commands = Commands()


@commands.command()
def redo(
    ctx: typer.Context,
    project: IdArg,
    scene: Annotated[int, typer.Option("--scene", help="Scene number (1-based).")],
    clip: Annotated[bool, typer.Option("--clip", help="A new take of the clip.")] = False,
    end_frame: Annotated[bool, typer.Option("--end-frame", help="A new end frame.")] = False,
    start_frame: Annotated[
        bool, typer.Option("--start-frame", help="A new start frame (scene 1).")
    ] = False,
    direction: Annotated[
        str | None, typer.Option("--direction", help="Added to the prompt for this take only.")
    ] = None,
    takes: Annotated[
        int | None,
        typer.Option(
            "--takes", help="With --clip: K new takes (1–4); the best by fidelity is used."
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option("--model", help="With --clip: PROVIDER:MODEL to make the take on."),
    ] = None,
    yes: Yes = False,
    json_output: JsonFlag = False,
) -> None:
    """Make a new take of a clip or keyframe (old takes are kept), then bring the project up
    to date."""
    from vidpipe.orchestrator.edits import check_redo_model, check_takes

    settings = settings_of(ctx)
    slots = [s for s, on in (("clip", clip), ("end", end_frame), ("start", start_frame)) if on]
    if len(slots) != 1:
        raise fail("say what to redo: one of --clip, --end-frame, --start-frame", EXIT_BAD_INPUT)
    try:
        check_takes(takes, slots[0])
        check_redo_model(model, slots[0])
    except BadInputError as exc:
        raise fail(flagged(exc), EXIT_BAD_INPUT) from None

    async def work(invocation: Invocation) -> int:
        from vidpipe.app import iterate
        from vidpipe.db.queries import resolve_project_id
        from vidpipe.providers.registry import load_registry

        registry = load_registry()
        async with database(settings, create=False) as session:
            project_id = await resolve_project_id(session, project)
            invocation.project_id = str(project_id)
            await iterate.redo(
                session, settings, registry, None, project_id, scene, slots[0], direction,
                takes, model=model,
            )  # fmt: skip
            return await bring_up_to_date(
                session, settings, registry, project_id, yes=yes, json_output=json_output
            )

    execute(work)
