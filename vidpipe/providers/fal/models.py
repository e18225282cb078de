"""fal models as the catalog describes them (providers/catalog/fal.toml), and their requests.

Each model's `request` table names its fields, because fal's models disagree (Kling takes
`start_image_url`/`end_image_url`, Veo `first_frame_url`/`last_frame_url`, an edit model a list
`image_urls`) and fal silently drops a field it does not know: a misnamed end-frame field would
give a clip with no end frame and no error. Keys of the table:

  prompt          the text field (default "prompt")
  start_image     the start frame's URL field;   start_image_list = true: a one-item list
  end_image       the end frame's URL field (video models with end_frame = true)
  duration        the duration field;  duration_format = "string" ("5"), "seconds" ("8s"),
                  "number" (5)
  aspect_ratio, resolution, audio   optional fields sent when named
  image_size      image models: an {width, height} object field
  fixed           values sent as they are (e.g. num_images = 1, output_format = "png")
"""

from __future__ import annotations

from typing import Any

from vidpipe.errors import BadInputError
from vidpipe.providers.catalog import ModelEntry, load_catalog


def fal_model(model_id: str, role: str, setting: str) -> ModelEntry:
    """The catalog entry of a fal model in `role`; a clear refusal naming `setting` otherwise."""
    catalog = load_catalog()
    entry = catalog.find("fal", model_id)
    if entry is None or entry.role != role:
        hint = catalog.closest(model_id, provider="fal", role=role)
        also = f" (closest: {', '.join(hint)})" if hint else ""
        known = ", ".join(e.id for e in catalog.entries(provider="fal", role=role))
        raise BadInputError(
            f"no fal {role} model {model_id!r} in the catalog{also}; known: {known}; "
            f"check {setting}"
        )
    if entry.deprecated:
        instead = f"; use {entry.replacement}" if entry.replacement else ""
        raise BadInputError(f"fal model {model_id} is deprecated{instead}; check {setting}")
    return entry


def field(entry: ModelEntry, key: str, default: str | None = None) -> str | None:
    value = entry.request.get(key, default)
    return None if value is None else str(value)


def duration_value(entry: ModelEntry, seconds: float) -> Any:
    whole = int(round(seconds))
    form = field(entry, "duration_format", "number")
    if form == "string":
        return str(whole)
    if form == "seconds":
        return f"{whole}s"
    return whole


def video_arguments(
    entry: ModelEntry,
    *,
    prompt: str,
    start_url: str,
    end_url: str | None,
    duration: float,
    aspect_ratio: str,
    resolution: str,
    audio: bool,
) -> dict[str, Any]:
    """The submit body for one clip, in the model's own field names."""
    args: dict[str, Any] = dict(_fixed(entry))
    args[field(entry, "prompt", "prompt") or "prompt"] = prompt
    start = field(entry, "start_image")
    if start is None:
        raise BadInputError(f"fal model {entry.id} takes no start frame")
    args[start] = [start_url] if entry.request.get("start_image_list") else start_url
    end = field(entry, "end_image")
    if end_url is not None and entry.end_frame:
        if end is None:
            raise BadInputError(f"catalog entry fal:{entry.id} names no end-frame field")
        args[end] = end_url
    if (name := field(entry, "duration")) is not None:
        args[name] = duration_value(entry, duration)
    if (name := field(entry, "aspect_ratio")) is not None:
        args[name] = aspect_ratio
    if (name := field(entry, "resolution")) is not None:
        args[name] = resolution
    if (name := field(entry, "audio")) is not None:
        args[name] = bool(audio and entry.native_audio)
    return args


def image_arguments(
    entry: ModelEntry,
    *,
    prompt: str,
    width: int,
    height: int,
    aspect_ratio: str,
    image_url: str | None,
) -> dict[str, Any]:
    """The submit body for one keyframe (an edit when `image_url` is given)."""
    args: dict[str, Any] = dict(_fixed(entry))
    args[field(entry, "prompt", "prompt") or "prompt"] = prompt
    if image_url is not None:
        name = field(entry, "start_image")
        if name is None:
            raise BadInputError(f"fal model {entry.id} takes no input image")
        args[name] = [image_url] if entry.request.get("start_image_list") else image_url
    if (name := field(entry, "image_size")) is not None:
        args[name] = {"width": width, "height": height}
    if (name := field(entry, "aspect_ratio")) is not None:
        args[name] = aspect_ratio
    return args


def _fixed(entry: ModelEntry) -> dict[str, Any]:
    fixed = entry.request.get("fixed", {})
    return dict(fixed) if isinstance(fixed, dict) else {}
