"""A scene's dialogue, narration and sound: what the storyboard writer is asked to fill, and
what of it a clip's prompt carries.

The writer fills a field when the user asks for it: `--narration` / `--dialogue`, or a prompt
that names it (whole words, any case): "narration", "narrator", "narrated", "voice-over" /
"voiceover" ask for narration; "dialogue", "dialog", "conversation", "talking", "says",
"speaks" ask for dialogue; "sound effects", "SFX", "ambience", "soundscape" ask for sound. Sound
is also asked for when narration or dialogue is and the video model makes its own audio.

A clip's prompt carries the scene's dialogue and sound only when its model makes audio (Veo
3.x with audio on); they are then part of that clip's fingerprint, so editing them makes exactly
that clip stale. Narration never goes into a clip: it is spoken separately. For a model without
audio the scene's `sound` is ignored, with one warning per run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vidpipe.db.models import Project, Scene
from vidpipe.providers.base import DialogueLine, VideoProvider

_NARRATION = re.compile(r"\b(narration|narrator|narrated|narrate|voice[- ]?over)\b", re.I)
_DIALOGUE = re.compile(r"\b(dialogues?|dialogs?|conversations?|talking|says|speaks)\b", re.I)
_SOUND = re.compile(r"\b(sound effects?|sfx|ambience|ambient sound|soundscape)\b", re.I)


@dataclass(frozen=True)
class SoundAsk:
    """The sound fields a storyboard writer fills."""

    narration: bool = False
    dialogue: bool = False
    sound: bool = False


def asked(
    prompt: str, *, narration: bool = False, dialogue: bool = False, makes_audio: bool = False
) -> SoundAsk:
    """What the user asked for: the flags, or the prompt's own words (see the module doc)."""
    narration = narration or bool(_NARRATION.search(prompt))
    dialogue = dialogue or bool(_DIALOGUE.search(prompt))
    sound = bool(_SOUND.search(prompt)) or (makes_audio and (narration or dialogue))
    return SoundAsk(narration, dialogue, sound)


def project_asks(project: Project, video: VideoProvider) -> SoundAsk:
    return asked(
        project.prompt,
        narration=bool(project.wants_narration),
        dialogue=bool(project.wants_dialogue),
        makes_audio=video.makes_audio(),
    )


def dialogue_of(scene: Scene) -> tuple[DialogueLine, ...]:
    return tuple(DialogueLine.model_validate(line) for line in scene.dialogue or [])


def clip_sound(scene: Scene, video: VideoProvider) -> tuple[tuple[DialogueLine, ...], str]:
    """The dialogue and sound a clip of `scene` is made with: the scene's when the model makes
    audio, none otherwise."""
    if not video.makes_audio():
        return (), ""
    return dialogue_of(scene), (scene.sound or "").strip()


def fingerprint_part(scene: Scene, video: VideoProvider) -> list[object]:
    """What a clip's fingerprint adds for its sound: nothing unless the model makes audio and
    the scene has dialogue or sound (so clips made before sound existed stay current)."""
    dialogue, sound = clip_sound(scene, video)
    if not dialogue and not sound:
        return []
    return [{"dialogue": [line.model_dump() for line in dialogue], "sound": sound}]


def ignored_sound_warning(project: Project, video: VideoProvider) -> str | None:
    """The one warning of a run whose scenes have sound that the video model cannot make."""
    if video.makes_audio():
        return None
    scenes = [s.scene_index + 1 for s in project.scenes if (s.sound or "").strip()]
    if not scenes:
        return None
    which = ", ".join(str(n) for n in scenes)
    return (
        f"the {video.provider_id} video model makes no sound of its own: the sound of scene"
        f"{'s' if len(scenes) > 1 else ''} {which} is ignored"
    )
