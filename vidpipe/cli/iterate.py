"""Commands for iterating on a video: storyboard, edit, redo, takes, select, fork,
stop, gc. Thin: parse, call a use case (vidpipe.app), print. cli/app.py adds them to the app."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from vidpipe.cli import views
from vidpipe.cli.flags import SCENE_FLAGS, flagged
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
from vidpipe.cli.shared import (
    Commands,
    IdArg,
    JsonFlag,
    bring_up_to_date,
    settings_of,
    show_document,
)
from vidpipe.errors import BadInputError

if TYPE_CHECKING:
    from vidpipe.app.iterate import Edits

commands = Commands()

SceneOpt = Annotated[int | None, typer.Option("--scene", help="Scene number (1-based).")]
Description = Annotated[str | None, typer.Option("--description", help="Scene description.")]
StartPrompt = Annotated[
    str | None, typer.Option("--start-prompt", help="Start frame prompt (scene 1 only).")
]
EndPrompt = Annotated[str | None, typer.Option("--end-prompt", help="End frame prompt.")]
Motion = Annotated[str | None, typer.Option("--motion", help="Video motion prompt.")]
Transition = Annotated[str | None, typer.Option("--transition", help="Transition notes.")]
Crossfade = Annotated[float | None, typer.Option("--crossfade", help="Crossfade seconds.")]
ClipDuration = Annotated[
    float | None, typer.Option("--clip-duration", help="Seconds per scene (all clips change).")
]
StyleGuideFile = Annotated[
    Path | None, typer.Option("--style-guide-file", help="JSON: visual_style, color_palette, ...")
]
StoryboardFile = Annotated[
    Path | None,
    typer.Option("--storyboard-file", help="A whole storyboard (as `vidpipe storyboard` prints)."),
]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Pay the plan's cost without asking.")]
SceneReferences = Annotated[
    str | None,
    typer.Option(
        "--references",
        help="With --scene: the reference images in that scene, by name (e.g. Mara,Bo; "
        "'' for none).",
    ),
]
Takes = Annotated[
    int | None,
    typer.Option("--takes", help="Takes per clip (1–4) for clips made from now on."),
]
StoryboardModel = Annotated[
    str | None,
    typer.Option("--storyboard-model", help="PROVIDER:MODEL that writes the storyboard."),
]
ImageModel = Annotated[
    str | None, typer.Option("--image-model", help="PROVIDER:MODEL that draws the keyframes.")
]
VideoModel = Annotated[
    str | None,
    typer.Option("--video-model", help="PROVIDER:MODEL that makes the clips (all go stale)."),
]
Narration = Annotated[
    str | None, typer.Option("--narration", help="With --scene: its voice-over line ('' none).")
]
Dialogue = Annotated[
    list[str] | None,
    typer.Option(
        "--dialogue",
        help="With --scene: a spoken line, 'Speaker: line' (repeatable, in order; the whole "
        "list; '' for none).",
    ),
]
Sound = Annotated[
    str | None,
    typer.Option("--sound", help="With --scene: ambience and effects in words ('' for none)."),
]


def _read_json(path: Path, flag: str) -> Any:
    try:
        return json.loads(path.read_text())
    except OSError as exc:
        raise BadInputError(f"invalid {flag}: cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise BadInputError(
            f"invalid {flag}: {path} is not JSON ({exc.msg}, line {exc.lineno})"
        ) from None


def _edits(*flags: Any) -> Edits:
    """The edit flags checked before anything is opened: one line and exit 2 when bad."""
    try:
        return _parse_edits(*flags)
    except BadInputError as exc:
        raise fail(flagged(exc), EXIT_BAD_INPUT) from None


def _parse_edits(
    scene: int | None,
    description: str | None,
    start_prompt: str | None,
    end_prompt: str | None,
    motion: str | None,
    transition: str | None,
    crossfade: float | None,
    clip_duration: float | None,
    style_guide_file: Path | None,
    storyboard_file: Path | None,
    references: str | None = None,
    takes: int | None = None,
    models: tuple[str | None, str | None, str | None] = (None, None, None),
    narration: str | None = None,
    dialogue: list[str] | None = None,
    sound: str | None = None,
    subtitles: str | None = None,
    loudness: float | None = None,
) -> Edits:
    """The edit flags as the one edit object; bad input raises BadInputError."""
    from pydantic import ValidationError

    from vidpipe.orchestrator.edits import (
        ProjectEdit,
        SceneEdit,
        dialogue_option,
        parse_storyboard,
    )
    from vidpipe.providers.base import StyleGuide

    try:
        scene_edit = SceneEdit(
            scene_description=description,
            start_frame_prompt=start_prompt,
            end_frame_prompt=end_prompt,
            video_motion_prompt=motion,
            transition_notes=transition,
            references=_names(references),
            narration=narration.strip() if narration is not None else None,
            dialogue=dialogue_option(dialogue),
            sound=sound.strip() if sound is not None else None,
        )
        style = None
        if style_guide_file is not None:
            style = StyleGuide.model_validate(_read_json(style_guide_file, "--style-guide-file"))
        project_edit = ProjectEdit(
            crossfade=crossfade,
            clip_duration=clip_duration,
            style_guide=style,
            takes=takes,
            storyboard_model=models[0],
            image_model=models[1],
            video_model=models[2],
            subtitles=subtitles,
            loudness=loudness,
        )
        project_edit.models()  # shut-down, unknown or role-mismatched ids: refused here
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        flags = {"takes": "--takes", "references": "--references", "subtitles": "--subtitles"}
        flags |= {"narration": "--narration", "dialogue": "--dialogue", "sound": "--sound"}
        where = (flags | {"loudness": "--loudness"}).get(where.split(".")[0], where)
        where = where if not where.endswith("_model") else "--" + where.replace("_", "-")
        raise BadInputError(f"invalid {where}: {first['msg']}") from None
    storyboard = None
    if storyboard_file is not None:
        storyboard = parse_storyboard(_read_json(storyboard_file, "--storyboard-file"))
    has_scene_edit = bool(scene_edit.model_dump(exclude_none=True))
    if has_scene_edit and scene is None:
        raise BadInputError("name the scene to edit: --scene N")
    if scene is not None and not has_scene_edit:
        raise BadInputError(
            "--scene needs a text to change (--motion, --end-prompt, --narration, ...) or "
            "--references"
        )
    from vidpipe.app.iterate import Edits

    return Edits(
        scene_number=scene, scene_edit=scene_edit, project_edit=project_edit, storyboard=storyboard
    )


def _music(path: Path | None) -> Any:
    """`--music PATH` checked (readable audio) before anything is opened."""
    if path is None:
        return None
    from vidpipe.orchestrator.sound import check_music

    try:
        return check_music(path)
    except BadInputError as exc:
        raise fail(str(exc), EXIT_BAD_INPUT) from None


def _names(text: str | None) -> list[str] | None:
    """`--references Mara,Bo` as a list of names ('' is none)."""
    if text is None:
        return None
    return [name.strip() for name in text.split(",") if name.strip()]


def _reference_edits(edits: Edits, add: list[str], remove: list[str]) -> None:
    """--add-reference files read and checked, --remove-reference names; exit 2 when bad."""
    from vidpipe.orchestrator.references import check_name, parse_option

    try:
        edits.add_references = [parse_option(text, "--add-reference") for text in add]
        edits.remove_references = [check_name(n, "--remove-reference name") for n in remove]
    except BadInputError as exc:
        raise fail(flagged(exc), EXIT_BAD_INPUT) from None


async def _resume(
    session: Any, settings: Any, project_id: uuid.UUID, yes: bool, json_output: bool
) -> int:
    from vidpipe.providers.registry import load_registry

    return await bring_up_to_date(
        session, settings, load_registry(), project_id, yes=yes, json_output=json_output
    )


async def _show_plan(session: Any, settings: Any, project_id: uuid.UUID, json_output: bool) -> None:
    from vidpipe.app import runs
    from vidpipe.providers.registry import load_registry

    plan = await runs.plan(session, settings, load_registry(), project_id)
    if json_output:
        print_json(plan.as_dict())
    else:
        views.show_plan(stdout, plan.as_dict())


@commands.command()
def storyboard(ctx: typer.Context, project: IdArg) -> None:
    """Print a project's storyboard as JSON (edit it, then `vidpipe edit ID --storyboard-file`)."""
    settings = settings_of(ctx)

    async def work(invocation: Invocation) -> int:
        from vidpipe.db.queries import load_project, resolve_project_id
        from vidpipe.orchestrator.edits import storyboard_document

        async with database(settings, create=False) as session:
            found = await load_project(session, await resolve_project_id(session, project))
            print_json(storyboard_document(found))
        return EXIT_OK

    execute(work)


@commands.command()
def edit(
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
    edits = _edits(
        scene, description, start_prompt, end_prompt, motion, transition, crossfade,
        clip_duration, style_guide_file, storyboard_file, references, takes,
        (storyboard_model, image_model, video_model),
        narration, dialogue, sound,
        subtitles, loudness,
    )  # fmt: skip
    _reference_edits(edits, add_reference or [], remove_reference or [])
    edits.music = _music(music)
    if edits.empty:
        raise fail("nothing to change: give --scene N with a text, or an option", EXIT_BAD_INPUT)

    async def work(invocation: Invocation) -> int:
        from vidpipe.app import iterate
        from vidpipe.db.queries import resolve_project_id
        from vidpipe.providers.registry import load_registry

        async with database(settings, create=False) as session:
            project_id = await resolve_project_id(session, project)
            invocation.project_id = str(project_id)
            await iterate.edit(session, settings, load_registry(), None, project_id, edits)
            await _show_plan(session, settings, project_id, json_output)
        return EXIT_OK

    execute(work, SCENE_FLAGS)


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

        async with database(settings, create=False) as session:
            project_id = await resolve_project_id(session, project)
            invocation.project_id = str(project_id)
            await iterate.redo(
                session, settings, load_registry(), None, project_id, scene, slots[0], direction,
                takes, model=model,
            )  # fmt: skip
            return await _resume(session, settings, project_id, yes, json_output)

    execute(work)


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
            document = (await takes_document(session, settings, project_id, scene)).as_json()
        if json_output:
            print_json(document)
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
        from vidpipe.app import iterate
        from vidpipe.db.queries import resolve_project_id
        from vidpipe.orchestrator.report import project_document
        from vidpipe.providers.registry import load_registry
        from vidpipe.runners.inline import InlineRunner
        from vidpipe.storage import ProjectStorage

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
            document = project_document(
                found, ProjectStorage(settings.projects_dir, found.id)
            ).as_json()
        show_document(document, json_output)
        return EXIT_OK

    execute(work)


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
    edits = _edits(
        scene, description, start_prompt, end_prompt, motion, transition, crossfade,
        clip_duration, style_guide_file, storyboard_file, references, takes,
        (storyboard_model, image_model, video_model),
        narration, dialogue, sound,
    )  # fmt: skip

    async def work(invocation: Invocation) -> int:
        from vidpipe.app import iterate
        from vidpipe.db.queries import resolve_project_id
        from vidpipe.providers.registry import load_registry

        async with database(settings, create=False) as session:
            original = await resolve_project_id(session, project)
            twin = await iterate.fork(session, settings, load_registry(), None, original, edits)
            invocation.project_id = str(twin.id)
            stderr.print(f"project {twin.id} (fork of {original})", markup=False)
            if twin.status == "complete":
                await _show_document(session, settings, twin.id, json_output)
                return EXIT_OK
            return await _resume(session, settings, twin.id, yes, json_output)

    execute(work, SCENE_FLAGS)


async def _show_document(
    session: Any, settings: Any, project_id: uuid.UUID, json_output: bool
) -> None:
    from vidpipe.db.queries import load_project
    from vidpipe.orchestrator.report import project_document
    from vidpipe.storage import ProjectStorage

    found = await load_project(session, project_id)
    document = project_document(found, ProjectStorage(settings.projects_dir, project_id)).as_json()
    show_document(document, json_output)


@commands.command()
def stop(ctx: typer.Context, project: IdArg) -> None:
    """Ask the process running a project to stop at its next safe point (any machine)."""
    settings = settings_of(ctx)

    async def work(invocation: Invocation) -> int:
        from vidpipe.app import runs
        from vidpipe.db.queries import resolve_project_id

        async with database(settings, create=False) as session:
            project_id = await resolve_project_id(session, project)
            await runs.stop(session, project_id)
        stdout.print(
            f"stop requested: project {project_id} stops at its next safe point; "
            f"`vidpipe resume {project_id}` continues it",
            markup=False,
            soft_wrap=True,
        )
        return EXIT_OK

    execute(work)


@commands.command()
def gc(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only list what would be deleted.")
    ] = False,
    json_output: JsonFlag = False,
) -> None:
    """Delete artifact files that no take of any project references, and uploaded reference
    images no project uses that are older than a day; prints what it freed."""
    settings = settings_of(ctx)

    async def work(invocation: Invocation) -> int:
        from vidpipe.app import runs
        from vidpipe.cli.runtime import database_exists

        if database_exists(settings):
            async with database(settings, create=False) as session:
                report = await runs.gc(session, settings, dry_run=dry_run)
        else:
            report = await runs.gc(None, settings, dry_run=dry_run)
        if json_output:
            print_json(report.as_dict())
            return EXIT_OK
        verb = "would free" if dry_run else "freed"
        for path in report.files:
            stdout.print(str(path), markup=False, soft_wrap=True)
        uploads = f" ({report.uploads} unused uploaded reference images)" if report.uploads else ""
        if report.shared:
            uploads += f"; {report.shared} of them still used by a fork (hard links: no space)"
        stdout.print(f"{verb} {report.bytes / 1e6:.1f} MB in {len(report.files)} files{uploads}")
        return EXIT_OK

    execute(work)
