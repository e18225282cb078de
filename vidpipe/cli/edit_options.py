"""The options `edit` and `fork` share, and their parsing into the one edit object
(vidpipe.app.iterate.Edits) that the API's PATCH and fork build too. Bad input is refused here,
before anything is opened: one line on stderr and exit 2."""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast, get_type_hints

import typer

from vidpipe.cli.flags import FLAG_NAMES, SCENE_FLAGS, flag_of, flagged
from vidpipe.cli.runtime import EXIT_BAD_INPUT, fail
from vidpipe.errors import BadInputError

if TYPE_CHECKING:
    from vidpipe.app.iterate import Edits
    from vidpipe.orchestrator.sound import MusicFile
    from vidpipe.providers.base import StyleGuide

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

# The options `edit` and `fork` both take, by parameter name, in the order `--help` shows them.
SHARED_OPTIONS: dict[str, Any] = {
    "scene": SceneOpt,
    "description": Description,
    "start_prompt": StartPrompt,
    "end_prompt": EndPrompt,
    "motion": Motion,
    "transition": Transition,
    "crossfade": Crossfade,
    "clip_duration": ClipDuration,
    "style_guide_file": StyleGuideFile,
    "storyboard_file": StoryboardFile,
    "references": SceneReferences,
    "takes": Takes,
    "storyboard_model": StoryboardModel,
    "image_model": ImageModel,
    "video_model": VideoModel,
    "narration": Narration,
    "dialogue": Dialogue,
    "sound": Sound,
}
EditFlags = dict[str, Any]  # the shared options' values, by parameter name (for parse_edits)
C = TypeVar("C", bound=Callable[..., Any])


def with_edit_options(command: C) -> C:
    """Give a command the shared options where it declares `edit_flags: EditFlags`: Typer reads
    them from the signature, and the command gets their values in that one dict. Written once,
    so `edit` and `fork` cannot drift apart."""
    hints = get_type_hints(command, include_extras=True)
    KEYWORD = inspect.Parameter.POSITIONAL_OR_KEYWORD  # as the command's own (Typer names them)
    parameters: list[inspect.Parameter] = []
    for parameter in inspect.signature(command).parameters.values():
        if parameter.name != "edit_flags":
            parameters.append(parameter.replace(annotation=hints[parameter.name]))
            continue
        parameters += [
            inspect.Parameter(name, KEYWORD, default=None, annotation=hint)
            for name, hint in SHARED_OPTIONS.items()
        ]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        flags = {name: kwargs.pop(name) for name in SHARED_OPTIONS}
        return command(*args, edit_flags=flags, **kwargs)

    wrapper.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
    return cast(C, wrapper)


# the edit fields a validation error is shown by their flag (the rest by their place, e.g. a
# style guide's `visual_style`)
FLAGGED = {"takes", "references", "subtitles", "narration", "dialogue", "sound", "loudness"}
FLAGGED |= {"crossfade", "clip_duration"}


def _read_json(path: Path, flag: str) -> Any:
    try:
        return json.loads(path.read_text())
    except OSError as exc:
        raise BadInputError(f"invalid {flag}: cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise BadInputError(
            f"invalid {flag}: {path} is not JSON ({exc.msg}, line {exc.lineno})"
        ) from None


def parse_edits(**flags: Any) -> Edits:
    """The edit flags checked before anything is opened: one line and exit 2 when bad."""
    try:
        return _parse_edits(**flags)
    except BadInputError as exc:
        raise fail(flagged(exc), EXIT_BAD_INPUT) from None


def _parse_edits(
    *,
    scene: int | None = None,
    description: str | None = None,
    start_prompt: str | None = None,
    end_prompt: str | None = None,
    motion: str | None = None,
    transition: str | None = None,
    crossfade: float | None = None,
    clip_duration: float | None = None,
    style_guide_file: Path | None = None,
    storyboard_file: Path | None = None,
    references: str | None = None,
    takes: int | None = None,
    storyboard_model: str | None = None,
    image_model: str | None = None,
    video_model: str | None = None,
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
            style = _style_guide(_read_json(style_guide_file, "--style-guide-file"))
        project_edit = ProjectEdit(
            crossfade=crossfade,
            clip_duration=clip_duration,
            style_guide=style,
            takes=takes,
            storyboard_model=storyboard_model,
            image_model=image_model,
            video_model=video_model,
            subtitles=subtitles,
            loudness=loudness,
        )
        project_edit.models()  # shut-down, unknown or role-mismatched ids: refused here
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        head = where.split(".")[0]
        if head in FLAGGED or head in FLAG_NAMES or head.endswith("_model"):
            where = flag_of(head, SCENE_FLAGS)
        message = str(first["msg"]).removeprefix("Value error, ")
        raise BadInputError(f"invalid {where}: {message}") from None
    storyboard, version = None, None
    if storyboard_file is not None:
        flag = "--storyboard-file"
        data = _read_json(storyboard_file, flag)
        storyboard, version = parse_storyboard(data, flag), _version_of(data)
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
        scene_number=scene,
        scene_edit=scene_edit,
        project_edit=project_edit,
        storyboard=storyboard,
        storyboard_version=version,
    )


@contextlib.contextmanager
def storyboard_file_checked(edits: Edits, path: Path | None, project: object) -> Iterator[None]:
    """A `--storyboard-file` printed at an older storyboard version is refused with what to do
    about it (the file's own edits are kept in it, so the user decides)."""
    from vidpipe.orchestrator.edits import StoryboardChangedError

    try:
        yield
    except StoryboardChangedError as exc:
        if edits.storyboard_version is None or path is None:
            raise
        raise BadInputError(
            f"invalid --storyboard-file: {path} was printed at storyboard version "
            f"{edits.storyboard_version} and the storyboard changed elsewhere since (now version "
            f"{exc.version}): print it again (vidpipe storyboard {project}) and make your changes "
            'there, or delete its "version" to apply it as it is'
        ) from None


def _version_of(data: Any) -> int | None:
    """The storyboard version a file was printed at (None when it names none: a file written
    by hand is applied to whatever version there is)."""
    version = data.get("version") if isinstance(data, dict) else None
    if version is None:
        return None
    if isinstance(version, bool) or not isinstance(version, int):
        raise BadInputError(
            "invalid --storyboard-file: version must be the whole number `vidpipe storyboard` "
            "printed (or left out)"
        )
    return version


def _style_guide(data: Any) -> StyleGuide:
    """A style guide file checked; its problem named as the file's (`invalid
    --style-guide-file: visual_style: Field required`), not as a flag of its own."""
    from pydantic import ValidationError

    from vidpipe.providers.base import StyleGuide

    try:
        return StyleGuide.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "top"
        raise BadInputError(f"invalid --style-guide-file: {where}: {first['msg']}") from None


def music_option(path: Path | None) -> MusicFile | None:
    """`--music PATH` checked (readable audio) before anything is opened."""
    if path is None:
        return None
    from vidpipe.orchestrator.sound import check_music

    try:
        return check_music(path)
    except BadInputError as exc:
        raise fail(flagged(exc), EXIT_BAD_INPUT) from None


def _names(text: str | None) -> list[str] | None:
    """`--references Mara,Bo` as a list of names ('' is none)."""
    if text is None:
        return None
    return [name.strip() for name in text.split(",") if name.strip()]


def reference_edits(edits: Edits, add: list[str], remove: list[str]) -> None:
    """--add-reference files read and checked, --remove-reference names; exit 2 when bad."""
    from vidpipe.orchestrator.references import parse_name, parse_option

    try:
        edits.add_references = [parse_option(text, "add_references") for text in add]
        edits.remove_references = [parse_name(name, "remove_references") for name in remove]
    except BadInputError as exc:
        raise fail(flagged(exc), EXIT_BAD_INPUT) from None
