"""`vidpipe fork`: a new project sharing the original's files, with edits; then brought up to
date. It takes the options of `edit` (vidpipe/cli/edit_options.py) that change what is made."""

from __future__ import annotations

import typer

from vidpipe.cli.edit_options import (
    EditFlags,
    Yes,
    parse_edits,
    storyboard_file_checked,
    with_edit_options,
)
from vidpipe.cli.flags import SCENE_FLAGS
from vidpipe.cli.runtime import EXIT_OK, Invocation, database, execute, stderr
from vidpipe.cli.shared import (
    Commands,
    IdArg,
    JsonFlag,
    bring_up_to_date,
    settings_of,
    show_project,
)

commands = Commands()


@commands.command()
@with_edit_options
def fork(
    ctx: typer.Context,
    project: IdArg,
    edit_flags: EditFlags,
    yes: Yes = False,
    json_output: JsonFlag = False,
) -> None:
    """A new project sharing the original's files (hard links); the edits apply to the new one,
    which then makes only what they made stale. The original is not changed."""
    settings = settings_of(ctx)
    edits = parse_edits(**edit_flags)

    async def work(invocation: Invocation) -> int:
        from vidpipe.app import iterate
        from vidpipe.db.queries import resolve_project_id
        from vidpipe.providers.registry import load_registry

        registry = load_registry()
        async with database(settings, create=False) as session:
            original = await resolve_project_id(session, project)
            with storyboard_file_checked(edits, edit_flags["storyboard_file"], original):
                twin = await iterate.fork(session, settings, registry, None, original, edits)
            invocation.project_id = str(twin.id)
            stderr.print(f"project {twin.id} (fork of {original})", markup=False)
            if twin.status == "complete":
                await show_project(session, settings, twin.id, json_output)
                return EXIT_OK
            return await bring_up_to_date(
                session, settings, registry, twin.id, yes=yes, json_output=json_output
            )

    execute(work, SCENE_FLAGS)
