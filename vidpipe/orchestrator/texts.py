"""The limits of storyboard text a person (or a client) sends: one definition for every way in.

A scene edit, a whole storyboard (PATCH .../storyboard, fork, `edit --storyboard-file`), a style
guide (PATCH /api/projects/{id}) all validate against these models, so a 5,000,000-character
description or a 200,000-colour palette is refused at the door instead of stored and served.
The writers' own output (`Storyboard`, `SceneSpec`) is the same shape without the caps.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from vidpipe.providers.base import DialogueLine, SceneSpec, Storyboard, StyleGuide

MAX_TEXT = 4_000  # characters of one scene text or style line (the prompt's own limit)
MAX_COLOURS = 16
MAX_COLOUR = 64  # "#RRGGBB" or a CSS colour name, with room to spare
MAX_REFERENCES = 12  # as many as a project may have
MAX_NAME = 40  # a reference's name
MAX_LINES = 20  # spoken lines of one scene (as a scene edit takes)
MAX_SPEAKER = 100


def plain_text(value: str) -> str:
    """Text without control characters (a line break and a tab are text): an ESC in a prompt or
    a scene text would reach the terminal of whoever runs `list` or `status`."""
    control = next(
        (c for c in value if unicodedata.category(c) == "Cc" and c not in "\n\r\t"), None
    )
    if control is not None:
        raise ValueError(f"holds a control character (U+{ord(control):04X}); write plain text")
    return value


Text = Annotated[str, StringConstraints(max_length=MAX_TEXT), AfterValidator(plain_text)]
# a prompt or description that must say something: blank (only spaces) is as empty as ""
RequiredText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT),
    AfterValidator(plain_text),
]
Speaker = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_SPEAKER),
    AfterValidator(plain_text),
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
    """One scene's texts as sent: each at most MAX_TEXT characters; the prompts (a later
    scene's start prompt aside) not blank; transition notes, narration and sound may be empty."""

    scene_description: RequiredText
    start_frame_prompt: Text  # scene 1's must say something (StoryboardText checks it)
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

    @model_validator(mode="after")
    def _first_start_frame_said(self) -> StoryboardText:
        """Scene 1's start frame is drawn from its prompt (a later scene's start frame is the
        scene before's end frame, so its prompt may be left empty)."""
        if not self.scenes[0].start_frame_prompt.strip():
            raise ValueError("scene 1's start_frame_prompt must not be empty")
        return self
