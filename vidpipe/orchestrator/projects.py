"""Creating projects: the options a user gives (CLI and API share them), checked before anything
is written, against the chosen providers' capabilities (one clear message; nothing written)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.config import Settings
from vidpipe.db.models import Project
from vidpipe.db.queries import load_project
from vidpipe.db.statuses import ClipStatus, ProjectStatus
from vidpipe.documents import ReferenceUse
from vidpipe.errors import (
    BadInputError,
    NextStep,
    NotResumableError,
    OverBudgetError,
    ProjectBusyError,
)
from vidpipe.orchestrator.leases import is_held
from vidpipe.orchestrator.models import ROLES, ProjectModels, build_providers, choose_models
from vidpipe.orchestrator.references import (
    ReferenceSpec,
    UploadPool,
    attach,
    check_description,
    check_name,
    check_unique,
)
from vidpipe.orchestrator.sound import MusicFile, attach_music, new_sound_options
from vidpipe.orchestrator.texts import plain_text
from vidpipe.pipeline.takes import MAX_TAKES
from vidpipe.providers.base import DEFAULT_SCENES_FOR_ESTIMATE, ProviderSet, VideoProvider
from vidpipe.storage import ProjectStorage

if TYPE_CHECKING:
    from vidpipe.providers.registry import ProviderRegistry

MAX_PROMPT = 4_000
MODEL_PATTERN = r"^[a-z][a-z0-9_-]*(:[A-Za-z0-9][A-Za-z0-9._/@-]*)?$"  # PROVIDER[:MODEL]


class GenerateOptions(BaseModel):
    """Everything `generate` takes. Field names are the API's JSON keys."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    prompt: str = Field(max_length=MAX_PROMPT)
    style: str = Field(default="cinematic", max_length=64)
    aspect_ratio: Literal["16:9", "9:16", "1:1"] = "16:9"
    clip_duration: float = Field(default=4.0, gt=0, le=60)
    scenes: int | None = Field(default=None, ge=1, le=20)
    resolution: Literal["360p", "480p", "720p", "1080p"] = "720p"
    crossfade: float = Field(default=0.0, ge=0, le=10)
    max_cost: float | None = Field(default=None, ge=0)
    pause_after: Literal["storyboard", "keyframes"] | None = Field(
        default=None, description="Stop for review after this stage (status `paused`)."
    )
    takes: int = Field(
        default=1,
        ge=1,
        le=MAX_TAKES,
        description="Takes per clip; the best by fidelity is selected. Each one is paid for.",
    )
    subtitles: Literal["off", "soft", "burn"] = Field(
        default="off",
        description="Subtitles of the spoken lines in the MP4: a soft track, burnt in, or none "
        "(WebVTT and SRT files are written beside the video whenever lines are spoken).",
    )
    loudness: float = Field(
        default=-14.0, ge=-40, le=-5, description="Loudness target of the mix, LUFS integrated."
    )
    clip_duration_auto: bool = Field(
        default=False,
        description="Size each scene's clip to its spoken lines (at least clip_duration, "
        "rounded up to what the video model takes).",
    )
    references: list[ReferenceUse] = Field(
        default_factory=list,
        max_length=12,
        description="Reference images (characters, objects) to keep the same in every scene "
        "that shows them.",
    )
    music: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{40}$",
        description="A music bed under the video, ducked under speech: the id `POST "
        "/api/music` returned (the CLI takes a file: --music).",
    )
    storyboard_model: str | None = Field(
        default=None,
        max_length=200,
        pattern=MODEL_PATTERN,
        description="PROVIDER:MODEL that writes the storyboard (vidpipe models --role "
        "storyboard); default: the configured provider and model.",
    )
    image_model: str | None = Field(
        default=None,
        max_length=200,
        pattern=MODEL_PATTERN,
        description="PROVIDER:MODEL that draws the keyframes.",
    )
    video_model: str | None = Field(
        default=None,
        max_length=200,
        pattern=MODEL_PATTERN,
        description="PROVIDER:MODEL that makes the clips.",
    )
    narration: bool = Field(
        default=False,
        description="The storyboard gives each scene a voice-over line (also when the prompt "
        "asks for narration or a voice-over).",
    )
    dialogue: bool = Field(
        default=False,
        description="The storyboard gives scenes spoken lines for the references or the "
        "characters the prompt names (also when the prompt asks for dialogue).",
    )

    @field_validator("prompt", "style")
    @classmethod
    def _strip(cls, value: str) -> str:
        stripped = value.strip()
        if not stripped:
            raise ValueError("must not be empty")
        return plain_text(stripped)  # e.g. no ESC: `list` and `status` show the prompt

    @field_validator("crossfade")
    @classmethod
    def _crossfade_shorter_than_clip(cls, value: float, info: ValidationInfo) -> float:
        """A rule over two fields, refused as the crossfade's (the `loc` a client or the page
        shows it at); clip_duration comes first, so it is read when it was valid."""
        clip = info.data.get("clip_duration")
        if value and clip is not None and value >= clip:
            raise ValueError(f"{value:g}s must be shorter than the clip duration ({clip:g}s)")
        return value


def options_models(settings: Settings, options: GenerateOptions) -> ProjectModels:
    """The providers and models a new project uses (checked: a shut-down, unknown or
    role-mismatched id is refused with one line)."""
    return choose_models(
        settings,
        storyboard=options.storyboard_model,
        image=options.image_model,
        video=options.video_model,
    )


def generate_providers(
    registry: ProviderRegistry, settings: Settings, options: GenerateOptions
) -> ProviderSet:
    """The providers `generate` checks, prices and runs with: the chosen models, or the
    configured ones (one call for every door)."""
    chosen = [role for role in ROLES if getattr(options, f"{role}_model")]
    return build_providers(registry, settings, options_models(settings, options), chosen=chosen)


def check_capabilities(options: GenerateOptions, providers: ProviderSet) -> None:
    """Refuse what the chosen video provider cannot make, before any call is paid for."""
    check_video_capabilities(options, providers.video)


def check_video_capabilities(options: GenerateOptions, video: VideoProvider) -> None:
    """Refuse clips `video` cannot make (e.g. a scene's own model), naming the option's field."""
    caps = video.capabilities
    who = f"the {video.provider_id} video provider"
    if caps.durations is not None and options.clip_duration not in caps.durations:
        allowed = ", ".join(f"{d:g}" for d in caps.durations)
        raise BadInputError(
            f"{options.clip_duration:g}s; {who} takes {allowed} seconds", field="clip_duration"
        )
    if not caps.min_duration <= options.clip_duration <= caps.max_duration:
        raise BadInputError(
            f"{options.clip_duration:g}s; {who} takes "
            f"{caps.min_duration:g} to {caps.max_duration:g} seconds",
            field="clip_duration",
        )
    if options.aspect_ratio not in caps.aspect_ratios:
        raise BadInputError(
            f"{options.aspect_ratio}; {who} takes " + ", ".join(caps.aspect_ratios),
            field="aspect_ratio",
        )
    if options.resolution not in caps.resolutions:
        raise BadInputError(
            f"{options.resolution}; {who} takes " + ", ".join(caps.resolutions),
            field="resolution",
        )
    problem = video.refusal(options.clip_duration, options.aspect_ratio, options.resolution)
    if problem:
        raise problem


def estimate_cost(
    options: GenerateOptions, providers: ProviderSet, references: Sequence[ReferenceSpec] = ()
) -> float:
    """Upper estimate in USD: one storyboard (and a description of each reference given without
    one, when the writer sees images), N+1 keyframes (only the first when the video model takes
    no end frame: later ones are the clips' last frames), N clips of K takes."""
    scenes = options.scenes or DEFAULT_SCENES_FOR_ESTIMATE
    undescribed = sum(1 for spec in references if not spec.description)
    describe = undescribed if providers.storyboard.sees_images else 0
    drawn = scenes + 1 if providers.video.takes_end_frame else 1
    return (
        providers.storyboard.estimate_cost(calls=1 + describe)
        + providers.image.estimate_cost(calls=drawn)
        # a clip each scene: a model priced per clip (`calls`) or per second
        + providers.video.estimate_cost(calls=scenes, seconds=scenes * options.clip_duration)
        * options.takes
    )


def reference_warnings(references: Sequence[ReferenceSpec], providers: ProviderSet) -> list[str]:
    """What `generate` warns of, once, and then goes on: the CLI prints it, the API
    returns it in the 202 body's `warnings`."""
    image = providers.image
    if references and not image.capabilities.supports_references:
        return [
            f"the {image.provider_id} image provider takes no reference images; keyframes are "
            "drawn from the prompts alone"
        ]
    return []


async def check_provider_setup(providers: ProviderSet) -> None:
    """Free checks a provider offers of its own set-up (e.g. ComfyUI templates against the
    server's /object_info), before anything is paid for: one line per problem."""
    problems: list[str] = []
    for provider in (providers.image, providers.video):
        check = getattr(provider, "check_templates", None)
        if check is not None:
            problems += await check()
    if problems:
        raise BadInputError(
            "the configured templates cannot run: " + "; ".join(dict.fromkeys(problems))
        )


def check_budget(options: GenerateOptions, estimate: float) -> None:
    if options.max_cost is not None and estimate > options.max_cost + 1e-9:
        raise OverBudgetError(estimate, options.max_cost)


async def create_project(
    session: AsyncSession,
    settings: Settings,
    options: GenerateOptions,
    estimated_cost: float | None = None,
    references: Sequence[ReferenceSpec] = (),
    *,
    providers: ProviderSet | None = None,
    music: MusicFile | None = None,
) -> Project:
    """The project row, with its reference images and music stored in its folder (checked
    beforehand)."""
    models = options_models(settings, options)
    project = Project(
        prompt=options.prompt,
        style=options.style,
        aspect_ratio=options.aspect_ratio,
        resolution=options.resolution,
        clip_duration=options.clip_duration,
        fps=settings.fps,
        requested_scenes=options.scenes,
        crossfade=options.crossfade,
        max_cost=options.max_cost,
        estimated_cost=estimated_cost,
        pause_after=options.pause_after,
        takes_per_clip=options.takes,
        storyboard_provider=models.storyboard.provider,
        image_provider=models.image.provider,
        video_provider=models.video.provider,
        storyboard_model=models.storyboard.model,
        image_model=models.image.model,
        video_model=models.video.model,
        wants_narration=options.narration,
        wants_dialogue=options.dialogue,
        status=ProjectStatus.PENDING,
        references=[],
        sound_options=new_sound_options(
            settings,
            subtitles=options.subtitles,
            loudness=options.loudness,
            auto_duration=options.clip_duration_auto,
            providers=providers,
        ).model_dump(mode="json"),
    )
    session.add(project)
    if references or music is not None:
        await session.flush()  # the id names the folder
        storage = ProjectStorage(settings.projects_dir, project.id)
        for spec in references:
            attach(project, storage, spec)
        if music is not None:
            attach_music(project, storage, music)
    await session.commit()
    return project


def reference_specs(
    options: GenerateOptions, settings: Settings, from_files: Sequence[ReferenceSpec] = ()
) -> list[ReferenceSpec]:
    """The references of a new project, checked: files given on the command line and uploads
    named in the options; names unique."""
    pool = UploadPool(settings.data_dir)
    specs = list(from_files)
    for use in options.references:
        name = check_name(use.name)
        image = pool.get(use.id, f"reference {name}")
        specs.append(ReferenceSpec(name, image, check_description(use.description)))
    check_unique(specs)
    return specs


async def set_budget(session: AsyncSession, project_id: uuid.UUID, max_cost: float) -> None:
    """A new --max-cost for a project that is not running (e.g. resumed after 'budget exceeded')."""
    project = await session.get(Project, project_id)
    if project is None:
        raise BadInputError(f"no project with id {project_id}")
    if project.status == ProjectStatus.COMPLETE:
        raise NotResumableError(f"project {project_id} is complete; nothing to resume")
    project.max_cost = max_cost
    await session.commit()


async def approve_resubmissions(session: AsyncSession, project_id: uuid.UUID) -> list[int]:
    """The user agrees to send again the clips whose last submission got no answer (they may be
    billed twice): they go back to `pending`, for whichever runner brings the project up to date.
    Returns the scene numbers (1-based). A project being run is left alone."""
    project = await load_project(session, project_id)
    if is_held(project):
        raise ProjectBusyError(
            f"project {project_id} is running; ", NextStep("stop", str(project_id))
        )
    approved: list[int] = []
    for scene in project.scenes:
        clip = scene.clip
        sending = clip is not None and clip.status == ClipStatus.SUBMITTING
        stale_send = sending and clip is not None and not clip.operation_id
        if clip is not None and (clip.status == ClipStatus.SUBMIT_UNKNOWN or stale_send):
            clip.status, clip.operation_id = ClipStatus.PENDING, None
            clip.error_message = "resubmission approved by the user"
            approved.append(scene.scene_index + 1)
    await session.commit()
    return approved
