"""A project's sound options, light enough for the documents (and so for `status`) to type
them: pydantic alone, no media or pipeline import. The sound step (pipeline/sound.py) turns them
into its mix settings and subtitle style."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SoundOptions(BaseModel):
    """A project's sound, fixed at `generate` (stored as `projects.sound_options`)."""

    model_config = ConfigDict(extra="forbid")

    narration_provider: str = "local"
    voice: str = ""
    speed: float = Field(default=1.0, ge=0.5, le=2.0)
    # Dialogue is spoken by the narration provider unless the video model speaks it itself.
    voice_dialogue: bool = True
    subtitles: Literal["off", "soft", "burn"] = "off"
    # The subtitles' languages: the first is the lines' own; more are for later translation.
    subtitle_languages: list[str] = Field(default_factory=lambda: ["en"])
    burn_font_size: int = Field(default=18, ge=8, le=72)
    burn_outline: float = Field(default=2.0, ge=0, le=8)
    burn_position: Literal["bottom", "top"] = "bottom"
    music: str | None = None  # relative to the project folder (a copy of the user's file)
    music_hash: str | None = None
    music_name: str | None = None  # the user's file name, for display
    loudness: float = Field(default=-14.0, ge=-40.0, le=-5.0)  # LUFS integrated
    auto_duration: bool = False  # `--clip-duration auto`
