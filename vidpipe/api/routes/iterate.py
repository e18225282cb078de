"""Iterating over HTTP: the storyboard with ETag/If-Match, scene and option edits, redo,
takes, select, fork, stop. Each handler parses, calls a use case (vidpipe.app) as the CLI and
the page do, and renders; the rules live there, not here."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Header, HTTPException, Path, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.api import documents
from vidpipe.api.deps import (
    ProjectDep,
    ProjectId,
    RegistryDep,
    RunnerDep,
    SessionDep,
    SettingsDep,
)
from vidpipe.api.schemas import (
    NOT_FOUND,
    PRECONDITION,
    UNREADABLE,
    Accepted,
    EditResult,
    ForkRequest,
    ProjectDocument,
    ProjectEditBody,
    RedoRequest,
    Responses,
    SceneEditBody,
    StoryboardBody,
    StoryboardDocument,
    TakesDocument,
    error,
)
from vidpipe.api.strict import Digits, whole_number
from vidpipe.app import iterate, runs
from vidpipe.app.iterate import Edits
from vidpipe.config import Settings
from vidpipe.db.queries import load_project
from vidpipe.errors import BadInputError, VersionRequiredError
from vidpipe.orchestrator.edits import storyboard_document
from vidpipe.providers.base import Storyboard
from vidpipe.providers.registry import ProviderRegistry
from vidpipe.runners.base import Runner

router = APIRouter(prefix="/api/projects/{project_id}", tags=["iterate"])

SceneNumber = Annotated[
    int, Path(ge=1, le=20, description="1-based scene number, as shown."), Digits
]
TakeNumber = Annotated[
    int, Path(ge=1, le=1_000_000, description="Take number (see .../takes)."), Digits
]
IfMatch = Annotated[
    str | None,
    Header(description='The storyboard\'s ETag (GET .../storyboard), e.g. `"3"`; required.'),
]
RUNNING: Responses = {409: error("The project is running (or queued here); stop it first.")}
EDIT_RESPONSES: Responses = {
    **UNREADABLE,
    **NOT_FOUND,
    **RUNNING,
    **PRECONDITION,
    422: {"description": "Invalid edit (e.g. scene 3's start prompt); nothing was written."},
}
SLOTS = {"clip": "clip", "end_frame": "end", "start_frame": "start"}


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None) -> int | None:
    """The version If-Match names (None for `*`); 428 without it, 412 when it names none."""
    if if_match is None or not if_match.strip():
        raise VersionRequiredError()
    value = if_match.strip()
    if value == "*":
        return None
    version = whole_number(value.removeprefix("W/").strip('"'))
    if version is None:
        shown = if_match if len(if_match) <= 40 else f"{if_match[:40]}…"
        raise HTTPException(412, f"If-Match {shown!r} names no storyboard version")
    return version


async def edited(
    session: AsyncSession,
    settings: Settings,
    registry: ProviderRegistry,
    runner: Runner,
    project_id: uuid.UUID,
    if_match: str | None,
    response: Response,
    edits: Edits,
) -> EditResult:
    """One edit under If-Match (the route's ProjectDep has answered 404 already, before the
    body's 422 and If-Match's 428/412); the answer is the new plan and the new ETag."""
    version = expected_version(if_match)
    project = await iterate.edit(
        session, settings, registry, runner, project_id, edits, expected_version=version
    )
    plan = await runs.plan(session, settings, registry, project_id)
    response.headers["ETag"] = etag(project.storyboard_version)
    return EditResult(storyboard_version=project.storyboard_version, plan=plan.document())


@router.get(
    "/storyboard",
    response_model=StoryboardDocument,
    responses={**NOT_FOUND, 200: {"headers": {"ETag": {"schema": {"type": "string"}}}}},
    summary="The storyboard (`vidpipe storyboard`); its ETag is the storyboard version",
)
async def get_storyboard(
    project_id: ProjectId, session: SessionDep, response: Response
) -> StoryboardDocument:
    project = await load_project(session, project_id)
    response.headers["ETag"] = etag(project.storyboard_version)
    return storyboard_document(project)


@router.patch(
    "/storyboard",
    response_model=EditResult,
    responses=EDIT_RESPONSES,
    summary="Replace the whole storyboard (scenes may be added or removed); needs If-Match",
)
async def patch_storyboard(
    project: ProjectDep,
    body: StoryboardBody,
    session: SessionDep,
    settings: SettingsDep,
    registry: RegistryDep,
    runner: RunnerDep,
    response: Response,
    if_match: IfMatch = None,
) -> EditResult:
    edits = storyboard_edits(body)
    return await edited(session, settings, registry, runner, project.id, if_match, response, edits)


@router.patch(
    "/scenes/{scene}",
    response_model=EditResult,
    responses=EDIT_RESPONSES,
    summary="Change one scene's texts; needs If-Match",
)
async def patch_scene(
    project: ProjectDep,
    scene: SceneNumber,
    body: SceneEditBody,
    session: SessionDep,
    settings: SettingsDep,
    registry: RegistryDep,
    runner: RunnerDep,
    response: Response,
    if_match: IfMatch = None,
) -> EditResult:
    edits = Edits(scene_number=scene, scene_edit=body)
    return await edited(session, settings, registry, runner, project.id, if_match, response, edits)


@router.patch(
    "",
    response_model=EditResult,
    responses=EDIT_RESPONSES,
    summary="Change project options (crossfade, clip_duration, style_guide, music); needs If-Match",
)
async def patch_project(
    project: ProjectDep,
    body: ProjectEditBody,
    session: SessionDep,
    settings: SettingsDep,
    registry: RegistryDep,
    runner: RunnerDep,
    response: Response,
    if_match: IfMatch = None,
) -> EditResult:
    edits = Edits(project_edit=body, music_upload=body.music)
    return await edited(session, settings, registry, runner, project.id, if_match, response, edits)


@router.post(
    "/scenes/{scene}/redo",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses={**UNREADABLE, **NOT_FOUND, **RUNNING},
    summary="A new take of a scene's clip or frame (old takes kept), then a background run",
)
async def redo(
    project: ProjectDep,
    scene: SceneNumber,
    body: RedoRequest,
    session: SessionDep,
    settings: SettingsDep,
    registry: RegistryDep,
    runner: RunnerDep,
) -> Accepted:
    await iterate.redo(
        session, settings, registry, runner, project.id, scene, SLOTS[body.target],
        body.direction, body.takes, resubmit_unknown=body.resubmit_unknown, model=body.model,
    )  # fmt: skip
    return documents.accepted(project.id, None)


@router.get(
    "/scenes/{scene}/takes",
    response_model=TakesDocument,
    responses=NOT_FOUND,
    summary="The takes of a scene's frames and clip: cost, provider, fidelity, selected, file URL",
)
async def takes(
    project_id: ProjectId, scene: SceneNumber, session: SessionDep, settings: SettingsDep
) -> TakesDocument:
    return await documents.takes(session, settings, project_id, scene)


@router.post(
    "/scenes/{scene}/takes/{take}/select",
    response_model=ProjectDocument,
    responses={
        **NOT_FOUND,
        **RUNNING,
        500: error("ffmpeg failed; the previous final.mp4 is kept."),
    },
    summary="Use another clip (or keyframe) take; re-stitches when nothing else is stale "
    "(generates nothing)",
)
async def select_take(
    project: ProjectDep,
    scene: SceneNumber,
    take: TakeNumber,
    session: SessionDep,
    settings: SettingsDep,
    registry: RegistryDep,
    runner: RunnerDep,
    slot: Annotated[
        Literal["clip", "end_frame", "start_frame"],
        Query(description="Which take: the clip's (default) or a keyframe's."),
    ] = "clip",
    force: Annotated[
        bool,
        Query(
            description="Keep a clip take made from other frames or options than those in use "
            "(refused with 422 otherwise); the project goes out of date."
        ),
    ] = False,
) -> ProjectDocument:
    await iterate.select(
        session, settings, registry, runner, project.id, scene, take, SLOTS[slot], force=force
    )
    return await documents.detail_with_plan(session, settings, registry, runner, project.id)


@router.post(
    "/fork",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses={**UNREADABLE, **NOT_FOUND, **RUNNING},
    summary="A new project sharing this one's files, with edits; runs what they made stale",
)
async def fork(
    project: ProjectDep,
    session: SessionDep,
    settings: SettingsDep,
    registry: RegistryDep,
    runner: RunnerDep,
    body: ForkRequest | None = None,
) -> Accepted:
    twin = await iterate.fork(
        session, settings, registry, runner, project.id, fork_edits(body or ForkRequest())
    )
    return documents.accepted(twin.id, None)


def storyboard_edits(body: StoryboardBody) -> Edits:
    """A whole storyboard as PATCH .../storyboard (and a fork) send it, references included."""
    storyboard = Storyboard(style_guide=body.style_guide, scenes=body.scenes)
    return Edits(storyboard=storyboard, references=body.references)


def fork_edits(body: ForkRequest) -> Edits:
    """A fork's body as the one edit object: a scene's texts, options, or a whole storyboard
    (the same object as PATCH .../storyboard, references included)."""
    changes = body.changes if body.changes and body.changes.model_dump(exclude_none=True) else None
    if (changes is None) != (body.scene is None):
        raise BadInputError("a scene edit needs both `scene` and `changes`")
    whole = storyboard_edits(body.storyboard) if body.storyboard is not None else Edits()
    return Edits(
        scene_number=body.scene,
        scene_edit=changes,
        project_edit=body.options,
        storyboard=whole.storyboard,
        references=whole.references,
        music_upload=body.options.music if body.options is not None else None,
    )


@router.post(
    "/stop",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses={**NOT_FOUND, 409: error("The project neither runs nor waits; nothing to stop.")},
    summary="Ask the run holding the project to stop at its next safe point (any process); "
    "a project still waiting for a slot or a worker is taken out of the queue, `stopped`",
)
async def stop(project_id: ProjectId, session: SessionDep, runner: RunnerDep) -> Accepted:
    await runs.stop(session, project_id, runner)
    return documents.accepted(project_id, None)
