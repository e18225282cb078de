"""The documents, as typed models: one definition for the CLI's --json, the API's responses
(api/schemas.py extends them with the URLs an HTTP client needs) and the web page.

orchestrator/report.py builds the project's from the rows; the plan builds its own
(pipeline/plan.py), the editor the storyboard (orchestrator/edits.storyboard_document), the
progress hub the live progress (runners/progress.py). Before a project: the estimate
(api/routes/estimate.assess, also the New video page), an uploaded reference image, the model
catalog (`vidpipe models --json`, GET /api/models).
Field order is the order of the JSON. A document built without a plan has no `plan` key and
its scenes no `stale` key in the CLI's JSON (the API's models answer both as null).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from vidpipe.db.statuses import ProjectStatus
from vidpipe.providers.base import DialogueLine, SceneSpec, StyleGuide
from vidpipe.providers.catalog import ModelEntry
from vidpipe.sound_options import SoundOptions

Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


def _open_schema(schema: dict[str, Any]) -> None:
    """Leave `additionalProperties` out of the JSON Schema: clients may meet fields added later."""
    schema.pop("additionalProperties", None)


class Document(BaseModel):
    """A document: its fields are exactly those declared (a misspelt field is an error when it is
    built, not a new key)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_open_schema)

    def as_json(self) -> dict[str, Any]:
        """The JSON form the CLI prints."""
        return self.model_dump(mode="json")


def absent(value: object) -> bool:
    """A field left out of the JSON while it has no value (`exclude_if`)."""
    return value is None


# ---- The plan (pipeline/plan.py builds it) -----------------------------------------------------


class PlannedItem(Document):
    kind: Literal["storyboard", "keyframe", "clip", "narration", "stitch", "mix"] = Field(
        description="`stitch` joins the clips; `mix` mixes the sound (spoken lines, music, "
        "loudness) and muxes it and the subtitles under them (a project with sound only)"
    )
    scene: int | None = Field(description="1-based scene number")
    position: Literal["start", "end"] | None
    reason: str
    cost: float
    takes: int = Field(description="Provider calls of the item (a clip: takes still to make)")
    reuse: int | None = Field(
        default=None,
        description="An existing take made from exactly these inputs, selected instead of "
        "bought again: its number (nothing is sent, nothing billed).",
    )
    line: int | None = Field(
        default=None,
        description="A `narration` item: which of the scene's lines is spoken (0 its narration, "
        "1..n its dialogue lines); null for other kinds.",
    )


class PlannedKeyframe(Document):
    scene: int
    position: Literal["start", "end"]
    reason: str


class PlannedReuse(Document):
    """An existing take that `resume` selects instead of making the artifact again."""

    scene: int
    slot: Literal["start", "end", "clip"]
    take: int


class PlanDocument(Document):
    """What a resume would generate now and its cost; no provider was called."""

    storyboard: bool = Field(description="The storyboard itself would be written")
    descriptions: list[str] = Field(
        default_factory=list,
        description="Reference images the storyboard writer would describe first (one billed "
        "storyboard call each, an item of kind `storyboard`)",
    )
    keyframes: list[PlannedKeyframe]
    clips: list[int] = Field(description="1-based scene numbers whose clip would be made")
    reuse: list[PlannedReuse] = Field(
        default_factory=list,
        description="Existing takes selected instead of made again (free)",
    )
    resubmit_unknown: list[int] = Field(
        description="Scenes whose last submission's outcome is unknown (may be billed twice)"
    )
    stitch: bool = Field(description="The clips would be joined anew")
    mix: bool = Field(
        default=False,
        description="The sound would be mixed and muxed anew (an item of kind `mix`; e.g. after "
        "a change of music or loudness only, the only item)",
    )
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


# ---- Money -------------------------------------------------------------------------------------


class LedgerAttempt(Document):
    step: str
    role: str
    provider: str
    detail: str
    request: str
    status: Literal[
        "sent", "ok", "failed", "refused", "unknown", "cancelled", "server_error", "reused"
    ]
    cost: float
    created_at: str | None
    note: str | None


class Ledger(Document):
    """Spent vs estimated: every attempt, written before it was sent; `refused`, `cancelled`
    and `server_error` are not billed."""

    estimated_cost: float | None
    spent: float
    max_cost: float | None
    billed_calls: int
    attempts: list[LedgerAttempt]


# ---- A project ---------------------------------------------------------------------------------


class Runner(Document):
    host: str
    pid: int | None


class ProjectSummary(Document):
    """The light document: for `list` and status polling."""

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


class SceneDocument(Document):
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
    clip_take: int | None = Field(description="The selected clip take (see `.../takes`).")
    end_keyframe_take: int | None = Field(description="The selected end frame take.")
    clip_duration: float | None
    clip_operation_id: str | None
    clip_error: str | None
    stale: bool | None = Field(
        default=None,
        exclude_if=absent,  # known only with the plan
        description="Its frames or clip would be made again by a resume.",
    )


class ReferenceDocument(Document):
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


class MissingScene(Document):
    index: int = Field(description="From 0, as the file names count.")
    scene: int = Field(description="The scene's number from 1.")
    clip_status: str
    reason: str | None


class RunDocument(Document):
    id: uuid.UUID
    status: str
    started_at: Timestamp | None
    completed_at: Timestamp | None
    total_duration_seconds: float | None
    error: str | None
    log: dict[str, dict[str, int | float]] = Field(
        description="Per step: `seconds`, `provider_calls`, `estimated_cost`, and counts of "
        "attempts `reused`, `refused`, `unknown`, `server_error` or `sent` when there were any."
    )


class Providers(Document):
    storyboard: str
    image: str
    video: str


class MixDetails(Document):
    """The mix as measured after it was made."""

    integrated_lufs: float | None
    true_peak_dbtp: float | None
    loudness_range_lu: float | None
    target_lufs: float
    music: str | None = Field(description="The music bed's file name, if any.")
    lines: int = Field(description="Spoken lines in the mix.")


class AudioDocument(Document):
    """A spoken line or the mix: its file, placement, what made it, measured loudness."""

    kind: Literal["line", "mix"]
    scene: int | None = Field(description="The scene's number from 1 (null for the mix).")
    line: int = Field(description="A scene's narration is line 0, its dialogue lines 1..n.")
    speaker: str | None = Field(description="Who speaks a dialogue line.")
    text: str
    provider: str
    voice: str
    speed: float
    path: str | None
    start_seconds: float | None = Field(description="Where it starts in the final video.")
    duration_seconds: float
    fingerprint: str
    details: MixDetails | None = Field(description="The mix: its measured loudness.")


class ProjectDocument(ProjectSummary):
    """The full document: scenes with keyframes and clips, missing scenes, runs, money, sound."""

    paused_before: str | None = Field(description="The stage a review gate stopped before.")
    forked_from: uuid.UUID | None
    storyboard_version: int = Field(description="The storyboard's ETag (bumped by every edit).")
    style_guide: StyleGuide | None
    providers: Providers
    references: Sequence[ReferenceDocument] = Field(
        default_factory=list, description="Reference images; each scene lists those it shows."
    )
    scenes: Sequence[SceneDocument]
    plan: PlanDocument | None = Field(
        default=None, exclude_if=absent, description="What a resume would make now."
    )
    missing_scenes: list[MissingScene]
    runs: list[RunDocument]
    ledger: Ledger
    sound: SoundOptions | None = Field(
        default=None, description="The sound options (narration, subtitles, music, loudness)."
    )
    audio: Sequence[AudioDocument] = Field(
        default_factory=list, description="The spoken lines and the mix."
    )


class ApprovedRunDocument(ProjectDocument):
    """The CLI's document after a run the user let send unanswered clip submissions again."""

    approved_resubmissions: list[int] = Field(
        description="Scenes whose clip was sent again (may be billed twice)."
    )


# ---- Takes and workers -------------------------------------------------------------------------


class TakeDocument(Document):
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


class TakesDocument(Document):
    """Every take of a scene's frames and clip; `selected` marks the ones in use."""

    project_id: uuid.UUID
    scene: int
    takes_per_clip: int = Field(description="K of the project's `--takes K` (1 by default).")
    takes: Sequence[TakeDocument]


class WorkerDocument(Document):
    id: str
    host: str
    pid: int
    concurrency: int
    started_at: Timestamp
    last_heartbeat: Timestamp
    running_projects: list[uuid.UUID]


# ---- The storyboard ----------------------------------------------------------------------------


REFERENCE_NAME = r"^[A-Za-z][A-Za-z0-9 _'.-]{0,39}$"  # what a reference may be called


class ReferenceUse(BaseModel):
    """An uploaded reference image (POST /api/references) named for a new project."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        pattern=REFERENCE_NAME,
        description="Unique in the project (letters, digits, spaces, _'.- ; a letter first).",
    )
    id: str = Field(
        pattern=r"^[0-9a-f]{40}$", description="The id `POST /api/references` returned."
    )
    description: str | None = Field(default=None, max_length=1000)


class StoryboardDocument(BaseModel):
    """A project's storyboard (`vidpipe storyboard`); `version` is also its ETag."""

    version: int
    style_guide: StyleGuide | None
    scenes: list[SceneSpec]
    references: list[ReferenceUse] = Field(
        default_factory=list, description="The reference images (id: content hash)."
    )

    def as_json(self) -> dict[str, Any]:
        """The JSON form `vidpipe storyboard` prints and `edit --storyboard-file` reads."""
        return self.model_dump(mode="json")


# ---- Before a project: the estimate, an uploaded image, the model catalog ----------------------


class RoleProviders(BaseModel):
    storyboard: str
    image: str
    video: str


class Problem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Estimate(BaseModel):
    """The upper estimate in USD, the providers it comes from, and what generate would refuse."""

    estimated_cost: float = Field(description="Upper estimate in USD, as `generate` reports it.")
    scenes: int = Field(description="Scenes priced (the writer's maximum when none was given).")
    providers: RoleProviders
    free: bool = Field(description="Every configured provider costs nothing.")
    accepted: bool = Field(description="`generate` would accept these options (with a prompt).")
    problems: list[Problem] = Field(
        description="Why `generate` would refuse them: its 422 field errors, `loc` ending in the "
        "option's name (beyond the provider's capabilities, the budget, crossfade too long)."
    )


class ReferenceUpload(BaseModel):
    """An uploaded reference image: name it in `POST /api/generate` by this id."""

    id: str = Field(description="The content hash; the same image uploaded twice has one id.")
    media_type: str
    width: int
    height: int
    bytes: int


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

    @classmethod
    def of(cls, entries: Sequence[ModelEntry]) -> ModelsDocument:
        """The catalog's entries (`load_catalog().entries(...)`), each with its key."""
        return cls(models=[CatalogModelDocument(key=entry.key, **dict(entry)) for entry in entries])


# ---- Live progress (runners/progress.py) -------------------------------------------------------


class SceneProgress(BaseModel):
    index: int
    fraction: float


class ProgressPayload(BaseModel):
    """One `progress` event of the stream: what a step reported, and where the run stands."""

    kind: str = Field(description="`stage` (a stage began), `item` or `done`.")
    stage: str
    message: str
    scene: int | None = Field(description="From 0, the scene a clip's report is about.")
    fraction: float | None
    stage_fraction: float
    overall_fraction: float
    eta_seconds: float | None
    elapsed_seconds: float


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
