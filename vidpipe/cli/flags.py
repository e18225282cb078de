"""How the CLI names what an error is about: an option's field as its flag (`clip_duration` →
`--clip-duration`). The layers below raise errors with a `field`; only the CLI knows flags."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError

    from vidpipe.errors import VidpipeError

FLAG_NAMES = {
    "prompt": "prompt",
    "references": "--reference",
    "add_references": "--add-reference",
    "remove_references": "--remove-reference",
}
# `edit` and `fork` set a scene's references with --references (generate adds images with
# --reference): the commands that mean it pass this to `execute`.
SCENE_FLAGS = {"references": "--references"}


def flag_of(field: str, flags: dict[str, str] | None = None) -> str:
    """The flag (or argument) that sets `field` (`flags`: a command's own spellings)."""
    return (flags or {}).get(field) or FLAG_NAMES.get(field) or "--" + field.replace("_", "-")


def flagged(exc: VidpipeError, flags: dict[str, str] | None = None) -> str:
    """An error's one line, naming its field as the flag the user typed."""
    return exc.worded(flag_of(exc.field, flags) if exc.field else None)


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
