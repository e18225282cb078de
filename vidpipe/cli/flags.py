"""How the CLI names what an error is about: an option's field as its flag (`clip_duration` →
`--clip-duration`), and a step a refusal suggests as the command to type. The layers below
raise errors with a `field` and `NextStep`s; only the CLI knows flags and commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vidpipe.errors import Guided

if TYPE_CHECKING:
    from pydantic import ValidationError

    from vidpipe.errors import NextStep, VidpipeError

FLAG_NAMES = {
    "prompt": "prompt",
    "references": "--reference",
    "add_references": "--add-reference",
    "remove_references": "--remove-reference",
    # a scene's texts, by the short flags of `edit` and `fork`
    "scene_description": "--description",
    "start_frame_prompt": "--start-prompt",
    "end_frame_prompt": "--end-prompt",
    "video_motion_prompt": "--motion",
    "transition_notes": "--transition",
}
# `edit` and `fork` set a scene's references with --references (generate adds images with
# --reference): the commands that mean it pass this to `execute`.
SCENE_FLAGS = {"references": "--references"}


def flag_of(field: str, flags: dict[str, str] | None = None) -> str:
    """The flag (or argument) that sets `field` (`flags`: a command's own spellings)."""
    return (flags or {}).get(field) or FLAG_NAMES.get(field) or "--" + field.replace("_", "-")


# which take a command means: `redo --end-frame`, `select --start-frame` (a clip: `redo --clip`,
# `select` with neither)
SLOT_FLAGS = {"clip": "--clip", "end": "--end-frame", "start": "--start-frame"}


def flagged(exc: VidpipeError, flags: dict[str, str] | None = None) -> str:
    """An error's one line, naming its field as the flag the user typed and the next steps it
    suggests as the commands to type."""
    name = flag_of(exc.field, flags) if exc.field else None
    if isinstance(exc, Guided):
        said = exc.spelled(command_of)
        return f"invalid {name}: {said}" if name else said
    return exc.worded(name)


def command_of(step: NextStep) -> str:
    """A suggested step as the command that does it."""
    if step.action == "force":
        return "with --force"
    if step.action == "stitch":
        return f"vidpipe stitch {step.project}"
    if step.action == "stop":
        return f"stop it first: vidpipe stop {step.project}"
    if step.action == "resume":
        return f"resume it: vidpipe resume {step.project}"
    if step.action == "edit" and step.clip_duration is not None:
        return f"vidpipe edit {step.project} --clip-duration {step.clip_duration:g}"
    words = [f"vidpipe {step.action} {step.project} --scene {step.scene}"]
    if step.action == "redo":
        words.append(SLOT_FLAGS[step.slot or "clip"])
    elif step.action == "select":
        words += [SLOT_FLAGS[step.slot]] if step.slot in ("end", "start") else []
        words.append(f"--take {step.take or 'N'}")
    return " ".join(words)


def one_line(error: ValidationError, names: dict[str, str] | None = None) -> str:
    """The first validation problem as one readable line, named the way the user spelled it
    (`names`: field → name; by default the generate options' flags)."""
    from vidpipe.orchestrator.projects import MAX_PROMPT, GenerateOptions

    first = error.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    if names is not None:
        name = names.get(field, field)
    else:  # a generate option by its flag; anything else (an unknown key) as it was spelt
        name = flag_of(field) if field in GenerateOptions.model_fields else field
    message = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "string_too_long" and field == "prompt":
        message = f"is {len(str(first['input']))} characters; the limit is {MAX_PROMPT}"
    return f"invalid {name}: {message}" if name else message
