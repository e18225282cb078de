"""`vidpipe generate`: a new project from a prompt, run to the end (or to a review gate)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vidpipe.cli.runtime import EXIT_BAD_INPUT, Invocation, database, execute, fail, stderr
from vidpipe.cli.shared import (
    Commands,
    DetachFlag,
    JsonFlag,
    check_detach,
    confirm_cost,
    hand_over,
    settings_of,
)
from vidpipe.errors import BadInputError

commands = Commands()


@commands.command()
def generate(
    ctx: typer.Context,
    prompt: Annotated[str, typer.Argument(help="What the video is about.")],
    style: Annotated[str, typer.Option(help="Visual style.")] = "cinematic",
    aspect_ratio: Annotated[str, typer.Option(help="16:9, 9:16 or 1:1.")] = "16:9",
    clip_duration: Annotated[
        str,
        typer.Option(
            help="Seconds per scene, or 'auto': each scene as long as its spoken lines need "
            "(at least 4 s)."
        ),
    ] = "4",
    scenes: Annotated[
        int | None, typer.Option(help="Number of scenes (1–20); default: the writer picks 3–5.")
    ] = None,
    resolution: Annotated[
        str, typer.Option(help="360p (a draft tier, e.g. Gemini Omni), 480p, 720p or 1080p.")
    ] = "720p",
    crossfade: Annotated[float, typer.Option(help="Crossfade seconds; 0 = hard cuts.")] = 0.0,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Don't ask to confirm costs.")] = False,
    max_cost: Annotated[
        float | None, typer.Option(help="Budget in USD, enforced before every paid call.")
    ] = None,
    pause_after: Annotated[
        str | None,
        typer.Option(help="Stop for review after 'storyboard' or 'keyframes'; resume goes on."),
    ] = None,
    takes: Annotated[
        int,
        typer.Option(help="Takes per clip (1–4), each paid for; the best by fidelity is used."),
    ] = 1,
    reference: Annotated[
        list[str] | None,
        typer.Option(
            "--reference",
            help="A character or object to keep the same: NAME=PATH[::description] "
            "(PNG, JPEG or WebP; repeatable).",
        ),
    ] = None,
    storyboard_model: Annotated[
        str | None,
        typer.Option(help="PROVIDER:MODEL that writes the storyboard (see `vidpipe models`)."),
    ] = None,
    image_model: Annotated[
        str | None, typer.Option(help="PROVIDER:MODEL that draws the keyframes.")
    ] = None,
    video_model: Annotated[
        str | None, typer.Option(help="PROVIDER:MODEL that makes the clips.")
    ] = None,
    narration: Annotated[
        bool, typer.Option("--narration", help="Give each scene a voice-over line.")
    ] = False,
    dialogue: Annotated[
        bool,
        typer.Option("--dialogue", help="Give scenes spoken lines for the characters."),
    ] = False,
    subtitles: Annotated[
        str, typer.Option(help="Subtitles of the spoken lines: off, soft (a track) or burn.")
    ] = "off",
    music: Annotated[
        Path | None, typer.Option(help="A music bed (any audio ffmpeg reads), ducked under speech.")
    ] = None,
    loudness: Annotated[
        float, typer.Option(help="Loudness target of the mix in LUFS (integrated).")
    ] = -14.0,
    detach: DetachFlag = False,
    json_output: JsonFlag = False,
) -> None:
    """Create a project and run it to the end (or to a review gate)."""
    from pydantic import ValidationError

    from vidpipe.cli.flags import flagged, one_line
    from vidpipe.orchestrator.projects import GenerateOptions
    from vidpipe.orchestrator.sound import clip_duration_option
    from vidpipe.providers.registry import load_registry

    settings = settings_of(ctx)
    check_detach(settings, detach)
    try:
        seconds, auto = clip_duration_option(clip_duration)
    except BadInputError as exc:
        raise fail(flagged(exc), EXIT_BAD_INPUT) from None
    try:
        options = GenerateOptions(
            prompt=prompt,
            style=style,
            aspect_ratio=aspect_ratio,
            clip_duration=seconds,
            clip_duration_auto=auto,
            subtitles=subtitles,
            loudness=loudness,
            scenes=scenes,
            resolution=resolution,
            crossfade=crossfade,
            max_cost=max_cost,
            pause_after=pause_after,
            takes=takes,
            storyboard_model=storyboard_model,
            image_model=image_model,
            video_model=video_model,
            narration=narration,
            dialogue=dialogue,
        )
    except ValidationError as exc:
        raise fail(one_line(exc), EXIT_BAD_INPUT) from None
    registry = load_registry()

    async def work(invocation: Invocation) -> int:
        from vidpipe.app.generate import check_generate, start_generate
        from vidpipe.orchestrator.references import parse_option

        files = [parse_option(r) for r in reference or []]
        checked = await check_generate(settings, registry, options, files, music=music)
        for warning in checked.warnings:
            stderr.print(f"warning: {warning}", markup=False, soft_wrap=True)
        if checked.estimate > 0 and not yes:
            confirm_cost(checked.estimate)
        async with database(settings, create=True) as session:
            project = await start_generate(session, settings, checked, None)
            invocation.project_id = str(project.id)
            if not detach:
                stderr.print(f"project {project.id}", markup=False, soft_wrap=True)
            return await hand_over(
                session, settings, registry, project.id, lambda runner: runner.enqueue(project.id),
                json_output=json_output, detach=detach,
            )  # fmt: skip

    execute(work)
