"""`vidpipe edit`: change a project in place (scene texts, options, storyboard, references);
prints the new plan. The options it shares with `fork` are in vidpipe/cli/edit_options.py."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vidpipe.cli.edit_options import (
    EditFlags,
    music_option,
    parse_edits,
    reference_edits,
    storyboard_file_checked,
    with_edit_options,
)
from vidpipe.cli.flags import SCENE_FLAGS
from vidpipe.cli.runtime import EXIT_BAD_INPUT, EXIT_OK, Invocation, database, execute, fail
from vidpipe.cli.shared import Commands, IdArg, JsonFlag, settings_of, show_plan

commands = Commands()


@commands.command()
@with_edit_options
def edit(
    ctx: typer.Context,
    project: IdArg,
    edit_flags: EditFlags,
    subtitles: Annotated[
        str | None, typer.Option(help="Subtitles: off, soft or burn (re-muxes only).")
    ] = None,
    music: Annotated[
        Path | None, typer.Option(help="A new music bed (re-mixes only; clips are kept).")
    ] = None,
    loudness: Annotated[
        float | None, typer.Option(help="A new loudness target in LUFS (re-mixes only).")
    ] = None,
    add_reference: Annotated[
        list[str] | None,
        typer.Option(
            "--add-reference",
            help="Add a reference image: NAME=PATH[::description] (repeatable). With "
            "--remove-reference NAME it replaces that image.",
        ),
    ] = None,
    remove_reference: Annotated[
        list[str] | None,
        typer.Option("--remove-reference", help="Remove a reference by name (repeatable)."),
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Change a scene's texts or references, project options, the whole storyboard or the
    reference images; prints the new plan."""
    settings = settings_of(ctx)
    edits = parse_edits(**edit_flags, subtitles=subtitles, loudness=loudness)
    reference_edits(edits, add_reference or [], remove_reference or [])
    edits.music = music_option(music)
    if edits.empty:
        raise fail("nothing to change: give --scene N with a text, or an option", EXIT_BAD_INPUT)

    async def work(invocation: Invocation) -> int:
        from vidpipe.app import iterate
        from vidpipe.db.queries import resolve_project_id
        from vidpipe.providers.registry import load_registry

        async with database(settings, create=False) as session:
            project_id = await resolve_project_id(session, project)
            invocation.project_id = str(project_id)
            with storyboard_file_checked(edits, edit_flags["storyboard_file"], project_id):
                await iterate.edit(session, settings, load_registry(), None, project_id, edits)
            await show_plan(session, settings, project_id, json_output)
        return EXIT_OK

    execute(work, SCENE_FLAGS)
