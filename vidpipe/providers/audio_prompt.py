"""A clip's prompt: the motion prompt, the style guide, and (for models that make audio) the
scene's dialogue and sound written in.

The form follows Google's Veo prompt guide (ai.google.dev/gemini-api/docs/video, "Prompting for
audio"; checked 2026-12-06): speech in quotes with who says it, sound effects after "SFX:", the
surroundings after "Ambient noise:". A sound text that already carries those labels (the
writers are asked for them) goes in as it is; a plain one is the scene's ambient noise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from vidpipe.providers.base import DialogueLine, VideoRequest

_LABELLED = re.compile(r"\b(SFX|Ambient noise)\s*:", re.I)


def clip_prompt(request: VideoRequest) -> str:
    """What a video model is asked for one clip. The pipeline fills the request's dialogue and
    sound only for a model that makes audio, so the others get the picture's words alone."""
    prompt = request.motion_prompt
    style = request.style_guide
    if style is not None:
        prompt += f"\nVisual style: {style.visual_style}. Camera: {style.camera_style}."
    return with_audio(prompt, request.dialogue, request.sound)


def audio_lines(dialogue: Sequence[DialogueLine], sound: str) -> list[str]:
    """The prompt lines for the scene's spoken lines (in order) and its sound."""
    lines = [f'{d.speaker.strip()} says: "{_unquoted(d.line)}"' for d in dialogue if d.line.strip()]
    sound = " ".join(sound.split())
    if sound:
        lines.append(sound if _LABELLED.search(sound) else f"Ambient noise: {sound}")
    return lines


def with_audio(prompt: str, dialogue: Sequence[DialogueLine], sound: str) -> str:
    """`prompt` followed by the audio lines, one per line (unchanged when there are none)."""
    lines = audio_lines(dialogue, sound)
    return "\n".join([prompt, *lines]) if lines else prompt


def _unquoted(line: str) -> str:
    """Double quotes inside a line would end the quotation early: they become single ones."""
    return " ".join(line.replace('"', "'").split())
