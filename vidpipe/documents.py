"""The project documents, as typed models: one definition for the CLI's --json, the API's
responses (api/schemas.py extends them with the URLs an HTTP client needs) and the web page.

orchestrator/report.py builds them from the rows; the plan builds its own (pipeline/plan.py).
Field order is the order of the JSON. A document built without a plan has no `plan` key and
its scenes no `stale` key in the CLI's JSON (the API's models answer both as null).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from vidpipe.db.statuses import ProjectStatus
from vidpipe.providers.base import DialogueLine

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
    kind: Literal["storyboard", "keyframe", "clip", "narration", "stitch"]
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


# ---- Money -------------------------------------------------------------------------------------


class LedgerAttempt(Document):
    step: str
    role: str
    provider: str
    detail: str
    request: str
    status: Literal["sent", "ok", "failed", "refused", "unknown", "cancelled", "reused"]
    cost: float
    created_at: str | None
    note: str | None


class Ledger(Document):
    """Spent vs estimated: every attempt, written before it was sent; `refused` and
    `cancelled` are not billed."""

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
    log: dict[str, Any]


class Providers(Document):
    storyboard: str
    image: str
    video: str


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
    details: dict[str, Any] | None = Field(description="The mix: its measured loudness.")


class ProjectDocument(ProjectSummary):
    """The full document: scenes with keyframes and clips, missing scenes, runs, money, sound."""

    paused_before: str | None = Field(description="The stage a review gate stopped before.")
    forked_from: uuid.UUID | None
    storyboard_version: int = Field(description="The storyboard's ETag (bumped by every edit).")
    style_guide: dict[str, Any] | None
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
    sound: dict[str, Any] | None = Field(
        default=None, description="The sound options (narration, subtitles, music, loudness)."
    )
    audio: Sequence[AudioDocument] = Field(
        default_factory=list, description="The spoken lines and the mix."
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
