"""Request and response documents of the HTTP API, separate from the tables.

The body of `generate` is `GenerateOptions` (the CLI's options, one definition), read strictly.
Responses mirror the shared formatter (`orchestrator/report.py`, `--json` field names) plus the URLs
an HTTP client needs; fields the formatter gains later pass through (`extra="allow"`).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

from vidpipe.orchestrator.edits import ProjectEdit, SceneEdit
from vidpipe.orchestrator.projects import MODEL_PATTERN, GenerateOptions, ReferenceUse
from vidpipe.orchestrator.texts import StoryboardText
from vidpipe.pipeline.takes import MAX_TAKES
from vidpipe.providers.base import DialogueLine, SceneSpec, StyleGuide
from vidpipe.providers.catalog import ModelEntry

ProjectStatus = Literal[
    "pending",
    "storyboarding",
    "keyframing",
    "video_gen",
    "stitching",
    "complete",
    "failed",
    "paused",
    "stopped",
    "out_of_date",
]
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class _Document(BaseModel):
    model_config = ConfigDict(extra="allow")


class GenerateRequest(GenerateOptions):
    """The body of `POST /api/generate`: the CLI's options (GenerateOptions, the one definition
    of them and their rules), read strictly: JSON `false` is not a number, `"3"` not an integer."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _whole_numbers_are_integers(cls, data: Any) -> Any:
        """JSON Schema counts 3.0 as an integer; so does this API (strict mode would not)."""
        if isinstance(data, dict):
            for name in ("scenes", "takes"):
                value = data.get(name)
                if isinstance(value, float) and value.is_integer():
                    data = {**data, name: int(value)}
        return data


class StitchRequest(BaseModel):
    """Re-stitch options; an omitted or null crossfade keeps the project's current one."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    crossfade: float | None = Field(
        default=None, ge=0, le=10, description="Crossfade seconds; 0 = hard cuts."
    )


class ResumeRequest(BaseModel):
    """Resume options. `resubmit_unknown`: send again the clips whose last submission got no
    answer (the plan lists them; they may be billed twice). Without it they are left alone."""

    model_config = ConfigDict(extra="forbid", strict=True)

    resubmit_unknown: bool = False


class PlannedItem(BaseModel):
    kind: Literal["storyboard", "keyframe", "clip", "narration", "stitch"]
    scene: int | None = Field(description="1-based scene number")
    position: Literal["start", "end"] | None
    reason: str
    cost: float
    takes: int = Field(description="Provider calls of the item (a clip: takes still to make)")


class PlannedKeyframe(BaseModel):
    scene: int
    position: Literal["start", "end"]
    reason: str


class PlanDocument(BaseModel):
    """What a resume would generate now and its cost; no provider was called."""

    storyboard: bool = Field(description="The storyboard itself would be written")
    descriptions: list[str] = Field(
        default_factory=list,
        description="Reference images the storyboard writer would describe first (one billed "
        "storyboard call each, an item of kind `storyboard`)",
    )
    keyframes: list[PlannedKeyframe]
    clips: list[int] = Field(description="1-based scene numbers whose clip would be made")
    resubmit_unknown: list[int] = Field(
        description="Scenes whose last submission's outcome is unknown (may be billed twice)"
    )
    stitch: bool
    provider_calls: dict[str, int]
    estimated_cost: float
    items: list[PlannedItem]
    notes: list[str] = Field(
        default_factory=list,
        description="How the run will go, in words (e.g. a video model without an end frame: "
        "each scene starts from the previous clip's last frame)",
    )
    warnings: list[str] = Field(
        default_factory=list, description="E.g. a scene whose spoken lines run past its end"
    )


class LedgerAttempt(BaseModel):
    step: str
    role: str
    provider: str
    detail: str
    request: str
    status: Literal["sent", "ok", "failed", "refused", "unknown", "reused"]
    cost: float
    created_at: str | None
    note: str | None


class Ledger(BaseModel):
    """Spent vs estimated: every attempt, written before it was sent; `refused` is not billed."""

    estimated_cost: float | None
    spent: float
    max_cost: float | None
    billed_calls: int
    attempts: list[LedgerAttempt]


class Accepted(BaseModel):
    """A run was queued in the server; poll `status_url` (or stream `events_url`)."""

    project_id: uuid.UUID
    status_url: str
    events_url: str
    estimated_cost: float | None = Field(
        description="Upper estimate in USD of a new project (null for a resume)."
    )
    warnings: list[str] = Field(
        default_factory=list,
        description="Warnings: what the run goes on without, one sentence each, as the CLI "
        "prints them (e.g. reference images given while the image provider takes none).",
    )


class SceneProgress(BaseModel):
    index: int
    fraction: float


class Progress(BaseModel):
    """Live progress of a run in this server, or in queue mode of a worker's run (null when the
    project is not running)."""

    stage: str
    message: str
    stage_fraction: float
    overall_fraction: float
    eta_seconds: float | None = Field(description="Estimated seconds left; null until known.")
    elapsed_seconds: float
    scenes: list[SceneProgress]


class Runner(BaseModel):
    host: str
    pid: int | None


class ProjectSummary(_Document):
    """The light document (`vidpipe list --json` fields) plus URLs."""

    id: uuid.UUID
    status: ProjectStatus
    running: bool = Field(description="A live runner holds the project's lease.")
    queued: bool = Field(
        description="Waiting for a run: in this server for a free slot, or in the queue for a "
        "worker (VIDPIPE_EXECUTION=queue)."
    )
    runner: Runner | None = Field(description="Who runs it now (host and process), if anyone.")
    prompt: str
    style: str
    aspect_ratio: str
    resolution: str
    clip_duration: float
    crossfade: float
    output_path: str | None
    error_message: str | None
    stale_stage: str | None = Field(
        default=None,
        description="For `out_of_date` (idle, changed since it was made): the earliest stage "
        "`resume` redoes.",
    )
    note: str | None = Field(
        default=None,
        description="What a resting status means and what continues it (`stopped`, `out_of_date`).",
    )
    created_at: Timestamp | None
    updated_at: Timestamp | None
    status_url: str
    download_url: str | None = Field(description="final.mp4, once stitched.")


class ProjectStatusDocument(ProjectSummary):
    """For polling: the summary, whether it waits here for a slot, and live progress."""

    progress: Progress | None


class SceneDocument(_Document):
    index: int = Field(description="From 0, as the file names count (scene_00.mp4).")
    scene: int = Field(description="The scene's number from 1, as URLs, the CLI and the page use.")
    status: str
    scene_description: str
    start_frame_prompt: str
    end_frame_prompt: str
    video_motion_prompt: str
    transition_notes: str
    references: list[str] = Field(
        default_factory=list, description="Names of the reference images that appear in it."
    )
    dialogue: list[DialogueLine] = Field(
        default_factory=list, description="Lines spoken on screen, in order."
    )
    narration: str = Field(default="", description="Its voice-over line; empty for none.")
    sound: str = Field(default="", description="Ambience and effects in words; empty for none.")
    start_keyframe_path: str | None
    start_keyframe_source: str | None
    end_keyframe_path: str | None
    clip_status: str | None
    clip_path: str | None
    clip_duration: float | None
    clip_operation_id: str | None
    clip_error: str | None
    clip_take: int | None = Field(description="The selected clip take (see `.../takes`).")
    end_keyframe_take: int | None = Field(description="The selected end frame take.")
    stale: bool | None = Field(
        default=None, description="Its frames or clip would be made again by a resume."
    )
    start_keyframe_url: str | None
    end_keyframe_url: str | None
    clip_url: str | None


class ReferenceDocument(_Document):
    """A reference image of the project and the scenes it appears in."""

    name: str
    description: str | None
    description_source: str | None = Field(
        description="`user`, or the provider that described the image."
    )
    content_hash: str
    media_type: str
    width: int
    height: int
    path: str | None
    url: str = Field(description="The image (GET).")


class ReferenceUpload(BaseModel):
    """An uploaded reference image: name it in `POST /api/generate` by this id."""

    id: str = Field(description="The content hash; the same image uploaded twice has one id.")
    media_type: str
    width: int
    height: int
    bytes: int


class MissingScene(_Document):
    index: int = Field(description="From 0, as the file names count.")
    scene: int = Field(description="The scene's number from 1.")
    clip_status: str
    reason: str | None


class RunDocument(_Document):
    id: uuid.UUID
    status: str
    started_at: Timestamp | None
    completed_at: Timestamp | None
    total_duration_seconds: float | None
    error: str | None
    log: dict[str, Any]


class Providers(_Document):
    storyboard: str
    image: str
    video: str


class ProjectDocument(ProjectStatusDocument):
    """The full document (`vidpipe status --json` fields): scenes, keyframes, clips, runs."""

    paused_before: str | None = Field(description="The stage a review gate stopped before.")
    forked_from: uuid.UUID | None
    storyboard_version: int = Field(description="The storyboard's ETag (bumped by every edit).")
    style_guide: dict[str, Any] | None
    providers: Providers
    plan: PlanDocument | None = Field(default=None, description="What a resume would make now.")
    references: list[ReferenceDocument] = Field(
        default_factory=list, description="Reference images; each scene lists those it shows."
    )
    scenes: list[SceneDocument]
    missing_scenes: list[MissingScene]
    runs: list[RunDocument]
    ledger: Ledger


class ProjectList(BaseModel):
    projects: list[ProjectSummary] = Field(description="Newest first.")
    total: int = Field(description="Projects matching the filter, over all pages.")
    limit: int
    offset: int


class WorkerDocument(BaseModel):
    id: str
    host: str
    pid: int
    concurrency: int
    started_at: Timestamp
    last_heartbeat: Timestamp
    running_projects: list[uuid.UUID]


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    execution: Literal["inline", "queue"]
    runs_active: int = Field(description="Runs in this server, running or waiting for a slot.")
    runs_running: int
    max_runs: int
    workers: list[WorkerDocument] = Field(
        description="Live `vidpipe worker` processes (queue mode; empty otherwise)."
    )


class Error(BaseModel):
    detail: str


def error(description: str, model: type[BaseModel] = Error) -> dict[str, Any]:
    return {"model": model, "description": description}


Responses = dict[int | str, dict[str, Any]]  # FastAPI's `responses=` shape

NOT_FOUND: Responses = {404: error("No project has this id (ids are full UUIDs).")}
UNREADABLE: Responses = {
    400: error("The body is not text (e.g. invalid UTF-8); nothing was written.")
}
UNAUTHORIZED: Responses = {
    401: error("Missing or wrong bearer token (only when VIDPIPE_API_TOKEN is set)."),
    429: error(
        "Too many wrong tokens from this client this minute (VIDPIPE_LOGIN_ATTEMPTS); every "
        "request carrying a token is refused until `Retry-After` seconds have passed."
    ),
}
PRECONDITION: Responses = {
    412: error("If-Match names another storyboard version; reload it. Nothing written."),
    428: error("If-Match is required: the storyboard's ETag, from GET .../storyboard."),
}


class StoryboardDocument(BaseModel):
    """A project's storyboard (`vidpipe storyboard`); `version` is also its ETag."""

    version: int
    style_guide: StyleGuide | None
    scenes: list[SceneSpec]
    references: list[ReferenceUse] = Field(
        default_factory=list, description="The reference images (id: content hash)."
    )


class StoryboardBody(StoryboardText):
    """A whole storyboard, as GET returns it; scenes may be added or removed. `version` is
    ignored (If-Match decides), so a fetched document can be sent back as it is."""

    version: int | None = None
    references: list[ReferenceUse] | None = Field(
        default=None,
        max_length=12,
        description="The project's reference images after the edit: a name with another id "
        "replaces that image (an id from POST /api/references), new names are added, names left "
        "out are removed. Omitted: the references stay as they are.",
    )


class SceneEditBody(SceneEdit):
    """New texts for one scene; omitted fields stay. Only scene 1 has its own start prompt."""


class ProjectEditBody(ProjectEdit):
    """New project options; omitted fields stay. Read strictly, as `generate` is: `"2"` is not
    a number."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _whole_numbers_are_integers(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("takes"), float):
            if data["takes"].is_integer():
                data = {**data, "takes": int(data["takes"])}
        return data


class EditResult(BaseModel):
    """After an edit: the new storyboard version (also the `ETag` header) and the new plan."""

    storyboard_version: int
    plan: PlanDocument


class RedoRequest(BaseModel):
    """A new take of one artifact of a scene (old takes are kept), then a run like resume."""

    model_config = ConfigDict(extra="forbid", strict=True)

    target: Literal["clip", "end_frame", "start_frame"]
    direction: str | None = Field(
        default=None, max_length=4000, description="Added to the prompt for this take only."
    )
    takes: int = Field(
        default=1,
        ge=1,
        le=MAX_TAKES,
        description="With target `clip`: K new takes; the best by fidelity is selected.",
    )
    model: str | None = Field(
        default=None,
        max_length=200,
        pattern=MODEL_PATTERN,
        description="With target `clip`: PROVIDER:MODEL to make the take on (GET /api/models).",
    )
    resubmit_unknown: bool = False


class TakeDocument(BaseModel):
    slot: str
    take: int
    created_at: str | None
    provider: str
    model: str = Field(description="PROVIDER:MODEL that made it (its provider, for old takes).")
    cost: float
    fidelity: float | None
    direction: str | None
    prompt: str | None = Field(
        default=None,
        description="The frame prompt, or a clip's motion prompt, it was made from (None: older).",
    )
    duration: float | None
    selected: bool
    auto_selected: bool = Field(description="Picked by fidelity out of a round of K takes.")
    path: str | None
    exists: bool
    url: str | None = Field(default=None, description="The take's file (GET), while it exists.")


class TakesDocument(BaseModel):
    """Every take of a scene's frames and clip; `selected` marks the ones in use."""

    project_id: uuid.UUID
    scene: int
    takes_per_clip: int = Field(description="K of the project's `--takes K` (1 by default).")
    takes: list[TakeDocument]


class ForkRequest(BaseModel):
    """Edits for the fork (all optional): one scene's texts, project options, or a whole
    storyboard. The original project is never changed."""

    model_config = ConfigDict(extra="forbid")

    scene: int | None = Field(default=None, ge=1, le=20, description="1-based, with `changes`.")
    changes: SceneEdit | None = None
    options: ProjectEditBody | None = None
    storyboard: StoryboardBody | None = None


_ENTRY_FIELDS: dict[str, Any] = {
    name: (field.annotation, field) for name, field in ModelEntry.model_fields.items()
}
CatalogModelDocument = create_model(  # a ModelEntry, and `key`: the PROVIDER:MODEL users type
    "CatalogModelDocument",
    __config__=ConfigDict(extra="forbid"),
    key=(str, ...),
    **_ENTRY_FIELDS,
)


class ModelsDocument(BaseModel):
    """The model catalog: every model vidpipe can drive, as `vidpipe models --json` prints it."""

    models: list[CatalogModelDocument]
