"""The role interfaces and the value types that cross them.

A provider is a small class: capabilities as class attributes, one or two async methods.
Pipeline steps talk to these interfaces only; no step knows which SDK sits behind one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from vidpipe.config import Settings
from vidpipe.errors import BadInputError

ASPECT_RATIOS: tuple[str, ...] = ("16:9", "9:16", "1:1")
RESOLUTIONS: dict[str, int] = {"360p": 360, "480p": 480, "720p": 720, "1080p": 1080}  # 360p: drafts
DEFAULT_SCENES_FOR_ESTIMATE = 5  # the writers pick 3–5 scenes; estimates take the upper end


def frame_size(aspect_ratio: str, resolution: str) -> tuple[int, int]:
    """(width, height) for an aspect ratio at a resolution: 720p → 1280×720, 720×1280, 720×720."""
    short = RESOLUTIONS[resolution]
    long = (short * 16 // 9 + 1) // 2 * 2  # even, as H.264 wants
    if aspect_ratio == "16:9":
        return long, short
    if aspect_ratio == "9:16":
        return short, long
    if aspect_ratio == "1:1":
        return short, short
    raise ValueError(f"unknown aspect ratio {aspect_ratio!r}")


class Role(StrEnum):
    STORYBOARD = "storyboard"
    IMAGE = "image"
    VIDEO = "video"
    NARRATION = "narration"


# ---------------------------------------------------------------- storyboard


class StyleGuide(BaseModel):
    model_config = ConfigDict(extra="forbid")

    visual_style: str
    color_palette: list[str] = Field(
        description="Colours as #RRGGBB hex codes or CSS colour names, dominant first."
    )
    camera_style: str


class DialogueLine(BaseModel):
    """One spoken line in a scene: who says it (a reference or a named character) and what."""

    model_config = ConfigDict(extra="forbid")

    speaker: str
    line: str


class SceneSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scene_description: str
    start_frame_prompt: str
    end_frame_prompt: str
    video_motion_prompt: str
    transition_notes: str
    references: list[str] = Field(
        default_factory=list,
        description="Names of the reference images (characters, objects) that appear in this "
        "scene; only names from the reference list.",
    )
    dialogue: Sequence[DialogueLine] = Field(
        default_factory=list,
        description="Lines spoken on screen in this scene, in order; empty when nobody speaks.",
    )
    narration: str = Field(
        default="", description="A voice-over line for this scene; empty for none."
    )
    sound: str = Field(
        default="", description="Ambience and sound effects in words; empty for none."
    )


class Storyboard(BaseModel):
    model_config = ConfigDict(extra="forbid")

    style_guide: StyleGuide
    scenes: Sequence[SceneSpec] = Field(min_length=1, max_length=20)


@dataclass(frozen=True)
class ReferenceNote:
    """What a storyboard writer knows of a reference image: its name and description."""

    name: str
    description: str | None = None


@dataclass(frozen=True)
class StoryboardRequest:
    prompt: str
    style: str
    aspect_ratio: str
    clip_duration: float
    scene_count: int | None  # None: the writer chooses (3–5)
    references: tuple[ReferenceNote, ...] = ()
    # What the writer fills of each scene's sound (vidpipe.pipeline.sound_fields decides):
    # a voice-over line, spoken lines, ambience and effects. None asked: the fields stay out.
    narration: bool = False
    dialogue: bool = False
    sound: bool = False

    @property
    def wants_sound(self) -> bool:
        return self.narration or self.dialogue or self.sound


# ---------------------------------------------------------------- images


@dataclass(frozen=True)
class ReferenceImage:
    """A character or object to show in a keyframe: the stored, validated image."""

    name: str
    path: Path
    media_type: str  # image/png | image/jpeg | image/webp
    description: str | None = None


@dataclass(frozen=True)
class ImageRequest:
    """One keyframe. `reference_image` set means image-conditioned (an end frame); `references`
    are the scene's characters and objects, sent only to providers that take them."""

    prompt: str
    style_guide: StyleGuide
    width: int
    height: int
    aspect_ratio: str
    scene_index: int
    reference_image: Path | None = None
    references: tuple[ReferenceImage, ...] = ()


# ---------------------------------------------------------------- video


class ClipOutcome(StrEnum):
    COMPLETE = "complete"
    RAI_FILTERED = "rai_filtered"
    TIMED_OUT = "timed_out"


@dataclass(frozen=True)
class VideoRequest:
    motion_prompt: str
    start_image: Path
    end_image: Path
    duration: float
    width: int
    height: int
    aspect_ratio: str
    fps: int
    scene_index: int
    style_guide: StyleGuide | None = None
    # Only for a model that makes its own audio: what is said on screen and heard around it,
    # which the provider writes into its prompt in the form its model's guide recommends.
    dialogue: tuple[DialogueLine, ...] = ()
    sound: str = ""
    take: int = 1  # which take of the scene's clip this is (a provider may vary takes by it)


@dataclass
class VideoResult:
    outcome: ClipOutcome
    message: str = ""
    has_audio: bool = False


ProgressFn = Callable[[float], None]


@dataclass(frozen=True)
class Capabilities:
    """What a provider accepts; checked before any call, so bad input fails before spending."""

    min_duration: float = 1.0
    max_duration: float = 10.0
    aspect_ratios: tuple[str, ...] = ASPECT_RATIOS
    resolutions: tuple[str, ...] = tuple(RESOLUTIONS)
    supports_audio: bool = False
    max_concurrency: int = 4
    durations: tuple[float, ...] | None = None  # discrete set, when the model only takes some
    # For providers that render on this machine: how many pixels per frame may be in flight at
    # once across concurrent clips (bounds memory: each encoder holds frames of its own size).
    max_concurrent_pixels: int | None = None
    # Image providers: keyframe requests may carry the scene's reference images.
    supports_references: bool = False

    def concurrency_for(self, width: int, height: int) -> int:
        """Clips of this size that may run at once."""
        cap = self.max_concurrency
        if self.max_concurrent_pixels is not None:
            cap = min(cap, self.max_concurrent_pixels // (width * height))
        return max(1, cap)


class Provider(ABC):
    """Base of every provider: identity, capabilities, prices. Built from Settings."""

    provider_id: ClassVar[str]
    role: ClassVar[Role]
    needs_key: ClassVar[bool] = False
    key_env_var: ClassVar[str | None] = None
    # class-level defaults that a provider may replace per instance from its settings (its model,
    # configured prices), so they are instance attributes to the type checker, not ClassVars
    capabilities: Capabilities = Capabilities()
    price_per_call: float = 0.0
    price_per_second: float = 0.0
    # True when the provider writes each billable attempt (retries, re-asks) to the ledger of the
    # billing scope itself (vidpipe.providers.billing); otherwise the pipeline records each call
    # as one attempt before making it.
    records_attempts: ClassVar[bool] = False

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def estimate_cost(self, *, calls: int = 1, seconds: float = 0.0) -> float:
        return calls * self.price_per_call + seconds * self.price_per_second


class StoryboardProvider(Provider):
    role: ClassVar[Role] = Role.STORYBOARD
    # True when the writer's model sees images: it then describes references given without a
    # description for the storyboard writer, one billed call each.
    sees_images: bool = False

    @abstractmethod
    async def write_storyboard(self, request: StoryboardRequest) -> Storyboard: ...

    async def describe_image(self, image: ReferenceImage) -> str:
        """One or two sentences on what the image shows (only when `sees_images`)."""
        raise NotImplementedError(f"{self.provider_id} cannot see images")


class ImageProvider(Provider):
    role: ClassVar[Role] = Role.IMAGE

    @abstractmethod
    async def generate_image(self, request: ImageRequest) -> bytes:
        """Return the image encoded as PNG."""


class VideoProvider(Provider):
    """Two phases so an operation id can be committed before waiting (never pay twice)."""

    role: ClassVar[Role] = Role.VIDEO
    # False for a model that takes only a start frame: the pipeline then draws only the first
    # keyframe and starts each later scene from the previous clip's real last frame.
    takes_end_frame: bool = True

    def refusal(self, duration: float, aspect_ratio: str, resolution: str) -> BadInputError | None:
        """Why this provider cannot make such clips, for limits `capabilities` cannot express
        (combinations, e.g. 1080p only at 8 s); None when it can. Checked before any call. The
        error names the option it is about as its field (`clip_duration`), never as a flag."""
        return None

    def new_operation_id(self) -> str | None:
        """A client-chosen id for the next submission, committed before it is sent, so a lost
        answer can be looked up instead of paid twice; None when the service chooses ids."""
        return None

    async def operation_state(self, operation_id: str) -> str | None:
        """ "pending" (queued or running), "done" or "unknown" for a client-chosen id;
        None when the provider cannot look ids up."""
        return None

    def was_dropped(self, operation_id: str) -> bool:
        """True when a wait on `operation_id` was stopped and the service then confirmed it
        dropped the request unmade (cancelled while queued): it is not billed."""
        return False

    @abstractmethod
    async def submit(self, request: VideoRequest) -> str:
        """Start the clip; return an operation id that `wait` can pick up after a crash.

        A provider whose `new_operation_id` returns ids also takes `operation_id=` (that id)."""

    @abstractmethod
    async def wait(
        self,
        operation_id: str,
        request: VideoRequest,
        dest: Path,
        on_progress: ProgressFn | None = None,
    ) -> VideoResult:
        """Finish the operation and write the MP4 to `dest` (a temporary name)."""

    def makes_audio(self) -> bool:
        """True when the clips come with the model's own sound (Veo 3.x with audio on): the
        scene's dialogue and sound then go into the clip's prompt. The model catalog says so
        (`native_audio`) for a provider whose options name a catalogued model (an `audio`
        option set to false turns it off); otherwise the provider's capabilities do."""
        options = getattr(self, "options", None)
        model = getattr(options, "model", None)
        if isinstance(model, str):
            from vidpipe.providers.catalog import load_catalog

            entry = load_catalog().find(self.provider_id, model)
            if entry is not None:
                return entry.native_audio and getattr(options, "audio", True) is not False
        return self.capabilities.supports_audio


# ---------------------------------------------------------------- narration (speech)


@dataclass(frozen=True)
class SpeechRequest:
    """One spoken line: a narration line or one line of dialogue."""

    text: str
    voice: str  # a provider's voice name; "" = the provider's default
    speed: float = 1.0
    language: str = "en"
    speaker: str | None = None  # dialogue: who speaks (a reference or character name)


@dataclass
class SpeechResult:
    duration_seconds: float  # of the written audio
    sample_rate: int


class NarrationProvider(Provider):
    """Text to speech. Each line is one billable call; the audio file is an artifact."""

    role: ClassVar[Role] = Role.NARRATION
    # Remote voices bill by the text's length (characters or tokens): the estimate of a line.
    price_per_character: float = 0.0

    def estimate_speech(self, text: str) -> float:
        """USD for speaking `text` once (one call)."""
        return self.price_per_call + len(text) * self.price_per_character

    @abstractmethod
    async def speak(self, request: SpeechRequest, dest: Path) -> SpeechResult:
        """Write the line as a WAV file at `dest` (a temporary name) and describe it."""


@dataclass
class ProviderSet:
    """The providers chosen for one project; `scene_video`: the video provider of a scene whose
    clip is made on another model than the project's (`redo --clip --model`)."""

    storyboard: StoryboardProvider
    image: ImageProvider
    video: VideoProvider
    narration: NarrationProvider | None = None  # built when the project speaks lines
    extra: dict[str, object] = field(default_factory=dict)
    scene_video: dict[int, VideoProvider] = field(default_factory=dict)

    def video_for(self, scene_index: int) -> VideoProvider:
        return self.scene_video.get(scene_index, self.video)
