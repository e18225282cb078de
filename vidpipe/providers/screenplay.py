"""What an LLM storyboard writer is told and how its answer is checked (google and openai).

The JSON schema is derived from `Storyboard` itself, inlined (no $ref: not every server follows
references) and closed (`additionalProperties: false`, every property required), which is what
OpenAI's strict mode demands and what Gemini's `responseJsonSchema` accepts.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pydantic import ValidationError

from vidpipe.errors import ProviderError
from vidpipe.providers.base import Storyboard, StoryboardRequest

log = logging.getLogger(__name__)

# Invalid JSON is retried up to 3 times, each attempt with another temperature.
TEMPERATURES: tuple[float, ...] = (0.9, 0.5, 1.2, 0.2)

SYSTEM_PROMPT = """\
You are the storyboard writer of a short-video pipeline. From the user's idea you write a style
guide and a list of scenes. Each scene becomes one video clip animated between a start frame and
an end frame, and the clips are joined in order, so the frames form a strict chain: the END frame
of scene k is reused, unchanged, as the START frame of scene k+1.

Rules:
- style_guide.visual_style: one sentence naming the look (medium, lighting, lens, texture).
- style_guide.color_palette: 3 to 6 colours as #RRGGBB hex codes, dominant first.
- style_guide.camera_style: one sentence on framing and camera movement.
- For every scene: scene_description (what happens), start_frame_prompt and end_frame_prompt
  (complete, self-contained image prompts that repeat the style and the subject's appearance),
  video_motion_prompt (the motion and camera move from the start frame to the end frame, in
  present tense), transition_notes (how it hands over to the next scene).
- start_frame_prompt of scene k+1 must describe the same picture as end_frame_prompt of scene k.
- Keep characters, places and colours consistent from scene to scene.
- If reference images are listed, give every scene a `references` list naming exactly the
  references that appear in it (only listed names; an empty list when none appear), and describe
  each one in the frame prompts of its scenes as its description says.
- Answer with JSON only, matching the schema; no prose, no markdown fences.
"""


def user_prompt(request: StoryboardRequest) -> str:
    if request.scene_count is not None:
        count = f"exactly {request.scene_count} scene{'s' if request.scene_count != 1 else ''}"
    else:
        count = "between 3 and 5 scenes (your choice)"
    return (
        f"Idea: {request.prompt}\n"
        f"Style: {request.style}\n"
        f"Aspect ratio: {request.aspect_ratio}\n"
        f"Each clip lasts {request.clip_duration:g} seconds.\n"
        f"Write {count}." + reference_lines(request)
    )


def reference_lines(request: StoryboardRequest) -> str:
    """The character bible: each reference's name and description."""
    if not request.references:
        return ""
    lines = [
        f"- {note.name}: {note.description or '(no description; use the name)'}"
        for note in request.references
    ]
    return "\nReference images (name: description):\n" + "\n".join(lines)


SOUND_FIELDS = ("dialogue", "narration", "sound")

# Speech runs at about 2.5 words a second; a narration line should fit inside its scene.
WORDS_PER_SECOND = 2.5


def system_prompt(request: StoryboardRequest) -> str:
    """The writer's instructions; with sound asked for, how to fill the three sound fields
    (each one is always present, as strict schemas demand: empty when not asked for)."""
    if not request.wants_sound:
        return SYSTEM_PROMPT
    words = max(4, int(request.clip_duration * WORDS_PER_SECOND))
    narration = (
        f"one voice-over line per scene, spoken over the pictures: at most {words} words so it "
        f"fits in the scene's {request.clip_duration:g} seconds; it tells, it does not describe "
        "the camera"
        if request.narration
        else 'always "" (no voice-over in this video)'
    )
    dialogue = (
        "the lines spoken on screen, in order, as {speaker, line}: the speaker is a listed "
        "reference's name or a named character (never 'narrator'); one or two short lines per "
        "scene at most, [] where nobody speaks"
        if request.dialogue
        else "always [] (nobody speaks on screen)"
    )
    sound = (
        "the scene's sound in one short line, effects and ambience, e.g. "
        "'SFX: a door creaks open. Ambient noise: rain drumming on the roof.'"
        if request.sound
        else 'always ""'
    )
    return (
        SYSTEM_PROMPT
        + "\nSound fields, in every scene:\n"
        + f"- narration: {narration}.\n"
        + f"- dialogue: {dialogue}.\n"
        + f"- sound: {sound}.\n"
    )


def storyboard_schema(
    scene_count: int | None, references: Sequence[str] = (), *, sound: bool = False
) -> dict[str, Any]:
    """The storyboard JSON schema, inlined and closed; scene count pinned when requested; a
    scene's `references` limited to the project's names (an enum; none allowed when it has
    none), so a writer that fills the array cannot name a reference the project lacks. The
    sound fields are in it (required, empty allowed) only when the user asked for sound."""
    raw = Storyboard.model_json_schema()
    schema = _inline(raw, raw.get("$defs", {}))
    scenes = schema["properties"]["scenes"]
    item = scenes["items"]
    for sound_field in SOUND_FIELDS if not sound else ():  # only when the user wants sound
        item["properties"].pop(sound_field, None)
        item["required"].remove(sound_field)
    low, high = (scene_count, scene_count) if scene_count is not None else (3, 5)
    scenes["minItems"], scenes["maxItems"] = low, high
    field = scenes["items"]["properties"]["references"]
    names = list(dict.fromkeys(references))
    if names:
        field["items"] = {"type": "string", "enum": names}
        field["maxItems"] = len(names)
    else:
        field["items"] = {"type": "string"}
        field["maxItems"] = 0
    return schema


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
        dropped = ("$defs", "title", "default")  # strict servers refuse defaults
        out = {k: _inline(v, defs) for k, v in node.items() if k not in dropped}
        if out.get("type") == "object":
            out["additionalProperties"] = False
            out["required"] = list(out.get("properties", {}))
        return out
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    return node


class InvalidStoryboard(ProviderError):
    """The model's answer is not a valid storyboard."""


def parse_storyboard(
    text: str | None, scene_count: int | None, known_references: frozenset[str] = frozenset()
) -> Storyboard:
    """Validate an answer; raise InvalidStoryboard saying what is wrong."""
    if not text or not text.strip():
        raise InvalidStoryboard("empty answer")
    body = _strip_fences(text)
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise InvalidStoryboard(f"not JSON ({exc.msg} at {exc.pos})") from None
    if isinstance(data, dict) and "storyboard" in data and "scenes" not in data:
        data = data["storyboard"]  # JSON mode sometimes wraps the object
    try:
        storyboard = Storyboard.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidStoryboard(f"schema mismatch at {where or 'top'}: {first['msg']}") from None
    if scene_count is not None and len(storyboard.scenes) != scene_count:
        raise InvalidStoryboard(f"{len(storyboard.scenes)} scenes, {scene_count} were asked for")
    by_key = {name.casefold(): name for name in known_references}
    for number, scene in enumerate(storyboard.scenes, start=1):
        kept = [by_key[name.casefold()] for name in scene.references if name.casefold() in by_key]
        stray = [name for name in scene.references if name.casefold() not in by_key]
        if stray:  # dropped, not paid for again: the scene is still a good scene without it
            log.warning(
                "storyboard scene %d names references the project does not have, dropped: %s",
                number,
                ", ".join(stray),
            )
        scene.references = list(dict.fromkeys(kept))
    return storyboard


def _strip_fences(text: str) -> str:
    body = text.strip()
    if body.startswith("```"):
        body = body.split("\n", 1)[1] if "\n" in body else ""
        body = body.rsplit("```", 1)[0]
    return body.strip()


async def write_with_retries(
    provider: str, request: StoryboardRequest, attempt: Callable[[float], Awaitable[str | None]]
) -> Storyboard:
    """Call `attempt(temperature)` until it returns a valid storyboard (1 try + 3 retries)."""
    problems: list[str] = []
    for temperature in TEMPERATURES:
        try:
            known = frozenset(note.name for note in request.references)
            return parse_storyboard(await attempt(temperature), request.scene_count, known)
        except InvalidStoryboard as exc:
            problems.append(f"t={temperature:g}: {exc}")
    raise ProviderError(
        f"{provider} returned no valid storyboard in {len(TEMPERATURES)} attempts ("
        + "; ".join(problems)
        + ")"
    )
