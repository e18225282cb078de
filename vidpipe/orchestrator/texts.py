"""The limits of storyboard text a person (or a client) sends: one definition for every way in.

A scene edit, a whole storyboard (PATCH .../storyboard, fork, `edit --storyboard-file`), a style
guide (PATCH /api/projects/{id}) all validate against these models, so a 5,000,000-character
description or a 200,000-colour palette is refused at the door instead of stored and served.
The writers' own output (`Storyboard`, `SceneSpec`) is the same shape without the caps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from vidpipe.providers.base import DialogueLine, SceneSpec, Storyboard, StyleGuide

MAX_TEXT = 4_000  # characters of one scene text or style line (the prompt's own limit)
MAX_COLOURS = 16
MAX_COLOUR = 64  # "#RRGGBB" or a CSS colour name, with room to spare
MAX_REFERENCES = 12  # as many as a project may have
MAX_NAME = 40  # a reference's name
MAX_LINES = 20  # spoken lines of one scene (as a scene edit takes)
MAX_SPEAKER = 100


def _not_blank(value: str) -> str:
    """A required text of spaces alone says nothing: refused like an empty one."""
    if not value.strip():
        raise PydanticCustomError("string_blank", "String should have more than spaces")
    return value


Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
# the prompts and who speaks what: blank after stripping is refused, at every door
RequiredText = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_TEXT), AfterValidator(_not_blank)
]
Speaker = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_SPEAKER), AfterValidator(_not_blank)
]
Colour = Annotated[str, StringConstraints(min_length=1, max_length=MAX_COLOUR)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME)]
Names = Annotated[list[Name], Field(max_length=MAX_REFERENCES)]


class StyleGuideText(StyleGuide):
    """A style guide as sent: each line at most MAX_TEXT, at most MAX_COLOURS colours."""

    visual_style: Text
    color_palette: list[Colour] = Field(
        max_length=MAX_COLOURS,
        description="Colours as #RRGGBB hex codes or CSS colour names, dominant first.",
    )
    camera_style: Text


class DialogueText(DialogueLine):
    """One spoken line as sent."""

    speaker: Speaker
    line: RequiredText


class SceneText(SceneSpec):
    """One scene's texts as sent: each at most MAX_TEXT characters, the four prompts not
    blank (transition notes, narration and sound may be empty)."""

    scene_description: RequiredText
    start_frame_prompt: RequiredText
    end_frame_prompt: RequiredText
    video_motion_prompt: RequiredText
    transition_notes: Text
    references: Names = Field(
        default_factory=list,
        description="Names of the reference images that appear in this scene.",
    )
    # narrowing a field in a subclass is how pydantic adds the caps (the base's fields are
    # read-only sequences, so a narrower item type is a subtype)
    dialogue: Sequence[DialogueText] = Field(
        default_factory=list,
        max_length=MAX_LINES,
        description="Lines spoken on screen in this scene, in order; empty when nobody speaks.",
    )
    narration: Text = Field(default="", description="A voice-over line; empty for none.")
    sound: Text = Field(default="", description="Ambience and sound effects in words.")


class StoryboardText(Storyboard):
    """A whole storyboard as sent, with the limits above."""

    style_guide: StyleGuideText
    scenes: Sequence[SceneText] = Field(min_length=1, max_length=20)
