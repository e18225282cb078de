"""A scene's dialogue and sound written into a video prompt, for models that make audio.

The form follows Google's Veo prompt guide (ai.google.dev/gemini-api/docs/video, "Prompting for
audio"; checked 2026-12-06): speech in quotes with who says it, sound effects after "SFX:", the
surroundings after "Ambient noise:". A sound text that already carries those labels (the
writers are asked for them) goes in as it is; a plain one is the scene's ambient noise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from vidpipe.providers.base import DialogueLine

_LABELLED = re.compile(r"\b(SFX|Ambient noise)\s*:", re.I)


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
