"""Request and response documents of the HTTP API, separate from the tables.

The body of `generate` is `GenerateOptions` (the CLI's options, one definition), read strictly.
Responses are the project documents (vidpipe/documents.py, the CLI's --json), extended here with
the URLs an HTTP client needs.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vidpipe import documents
from vidpipe.documents import (  # the documents the routes answer with, as they are
    ModelsDocument,
    PlanDocument,
    Progress,
    ReferenceUpload,
    ReferenceUse,
    StoryboardDocument,
    WorkerDocument,
)
from vidpipe.orchestrator.edits import ProjectEdit, SceneEdit
from vidpipe.orchestrator.projects import MODEL_PATTERN, GenerateOptions
from vidpipe.orchestrator.texts import StoryboardText
from vidpipe.pipeline.takes import MAX_TAKES


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


class ProjectSummary(documents.ProjectSummary):
    """The light document (`vidpipe list --json` fields) plus URLs."""

    status_url: str
    download_url: str | None = Field(description="final.mp4, once stitched.")


class ProjectStatusDocument(ProjectSummary):
    """For polling: the summary, whether it waits here for a slot, and live progress."""

    progress: Progress | None


class SceneDocument(documents.SceneDocument):
    stale: bool | None = Field(  # null without the plan (the CLI leaves it out)
        default=None, description="Its frames or clip would be made again by a resume."
    )
    start_keyframe_url: str | None
    end_keyframe_url: str | None
    clip_url: str | None


class ReferenceDocument(documents.ReferenceDocument):
    """A reference image of the project and the scenes it appears in."""

    url: str = Field(description="The image (GET).")


class AudioDocument(documents.AudioDocument):
    url: str | None = Field(
        default=None,
        exclude_if=documents.absent,  # only a line with a file has one
        description="A spoken line's file (GET).",
    )


class ProjectDocument(ProjectStatusDocument, documents.ProjectDocument):
    """The full document (`vidpipe status --json` fields): scenes, keyframes, clips, runs."""

    plan: PlanDocument | None = Field(  # null without a plan (the CLI leaves it out)
        default=None, description="What a resume would make now."
    )
    references: list[ReferenceDocument] = Field(
        default_factory=list, description="Reference images; each scene lists those it shows."
    )
    scenes: list[SceneDocument]
    audio: list[AudioDocument] = Field(
        default_factory=list, description="The spoken lines and the mix."
    )
    subtitles_url: str | None = Field(
        default=None, description="The subtitles (WebVTT) of a stitched project with lines."
    )


class ProjectList(BaseModel):
    projects: list[ProjectSummary] = Field(description="Newest first.")
    total: int = Field(description="Projects matching the filter, over all pages.")
    limit: int
    offset: int


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


class MusicUpload(BaseModel):
    """An uploaded music bed: name it in `POST /api/generate` or a project's PATCH by this id."""

    id: str = Field(description="The content hash; the same file uploaded twice has one id.")
    name: str | None = Field(
        description="The file name it was uploaded with, which a project naming it shows (the "
        "latest upload of the same content names it); the stored file is named by its hash."
    )
    duration_seconds: float
    bytes: int


class ProjectEditBody(ProjectEdit):
    """New project options; omitted fields stay. Read strictly, as `generate` is: `"2"` is not
    a number."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    music: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{40}$",
        description="A new music bed: the id `POST /api/music` returned (re-mix; no clip is "
        "made again).",
    )

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


class TakeDocument(documents.TakeDocument):
    url: str | None = Field(default=None, description="The take's file (GET), while it exists.")


class TakesDocument(documents.TakesDocument):
    """Every take of a scene's frames and clip; `selected` marks the ones in use."""

    takes: list[TakeDocument]


class ForkRequest(BaseModel):
    """Edits for the fork (all optional): one scene's texts, project options, or a whole
    storyboard. The original project is never changed. Read strictly, as `generate` is: `"2"`
    and `true` are not scene numbers."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _whole_numbers_are_integers(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("scene"), float):
            if data["scene"].is_integer():
                data = {**data, "scene": int(data["scene"])}
        return data

    scene: int | None = Field(default=None, ge=1, le=20, description="1-based, with `changes`.")
    changes: SceneEdit | None = None
    options: ProjectEditBody | None = None
    storyboard: StoryboardBody | None = None


__all__ = [  # re-exported: the routes import every response model from here
    "ModelsDocument",
    "Progress",
    "ReferenceUpload",
    "StoryboardDocument",
]
