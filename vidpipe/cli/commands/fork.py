"""`vidpipe fork`: a new project sharing the original's files, with edits; then brought up to
date. It takes the options of `edit` (vidpipe/cli/edit_options.py) that change what is made."""

from __future__ import annotations

import typer

from vidpipe.cli.edit_options import (
    ClipDuration,
    Crossfade,
    Description,
    Dialogue,
    EndPrompt,
    ImageModel,
    Motion,
    Narration,
    SceneOpt,
    SceneReferences,
    Sound,
    StartPrompt,
    StoryboardFile,
    StoryboardModel,
    StyleGuideFile,
    Takes,
    Transition,
    VideoModel,
    Yes,
    parse_edits,
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
def fork(
    ctx: typer.Context,
    project: IdArg,
    scene: SceneOpt = None,
    description: Description = None,
    start_prompt: StartPrompt = None,
    end_prompt: EndPrompt = None,
    motion: Motion = None,
    transition: Transition = None,
    crossfade: Crossfade = None,
    clip_duration: ClipDuration = None,
    style_guide_file: StyleGuideFile = None,
    storyboard_file: StoryboardFile = None,
    references: SceneReferences = None,
    takes: Takes = None,
    storyboard_model: StoryboardModel = None,
    image_model: ImageModel = None,
    video_model: VideoModel = None,
    narration: Narration = None,
    dialogue: Dialogue = None,
    sound: Sound = None,
    yes: Yes = False,
    json_output: JsonFlag = False,
) -> None:
    """A new project sharing the original's files (hard links); the edits apply to the new one,
    which then makes only what they made stale. The original is not changed."""
    settings = settings_of(ctx)
    edits = parse_edits(
        scene, description, start_prompt, end_prompt, motion, transition, crossfade,
        clip_duration, style_guide_file, storyboard_file, references, takes,
        (storyboard_model, image_model, video_model),
        narration, dialogue, sound,
    )  # fmt: skip

    async def work(invocation: Invocation) -> int:
        from vidpipe.app import iterate
        from vidpipe.db.queries import resolve_project_id
        from vidpipe.providers.registry import load_registry

        registry = load_registry()
        async with database(settings, create=False) as session:
            original = await resolve_project_id(session, project)
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
