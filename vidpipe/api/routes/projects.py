"""Projects: generate, list, status, detail, resume, re-stitch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, status

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
    UNREADABLE,
    Accepted,
    GenerateRequest,
    PlanDocument,
    ProjectDocument,
    ProjectList,
    ProjectStatusDocument,
    ResumeRequest,
    StitchRequest,
    error,
)
from vidpipe.api.strict import Digits
from vidpipe.app import generate as generating
from vidpipe.app import runs
from vidpipe.db.queries import load_project
from vidpipe.db.statuses import ProjectStatus

router = APIRouter(prefix="/api", tags=["projects"])

REFUSED_OPTIONS = (
    "Invalid options, or beyond the configured providers' capabilities or the budget; "
    "nothing was written."
)


@router.post(
    "/generate",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    summary="Create a project and run it in the background",
    responses={**UNREADABLE, 422: {"description": REFUSED_OPTIONS}},
)
async def generate(
    options: GenerateRequest,
    session: SessionDep,
    settings: SettingsDep,
    registry: RegistryDep,
    runner: RunnerDep,
) -> Accepted:
    project, checked = await generating.generate(session, settings, registry, runner, options)
    return documents.accepted(project.id, checked.estimate, checked.warnings)


@router.get("/projects", response_model=ProjectList, summary="Projects, newest first")
async def list_projects(
    session: SessionDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=500), Digits] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000), Digits] = 0,
    status: Annotated[ProjectStatus | None, Query(description="Only this status.")] = None,
) -> ProjectList:
    return await documents.page(session, settings, limit=limit, offset=offset, status=status)


@router.get(
    "/projects/{project_id}/status",
    response_model=ProjectStatusDocument,
    responses=NOT_FOUND,
    summary="Light status for polling",
)
async def project_status(
    project: ProjectDep, settings: SettingsDep, runner: RunnerDep
) -> ProjectStatusDocument:
    return documents.status(project, settings, runner)


@router.get(
    "/projects/{project_id}",
    response_model=ProjectDocument,
    responses=NOT_FOUND,
    summary="Full detail: scenes (with `stale` flags), keyframes, clips, runs, the plan",
)
async def project_detail(
    project_id: ProjectId,
    session: SessionDep,
    settings: SettingsDep,
    registry: RegistryDep,
    runner: RunnerDep,
) -> ProjectDocument:
    return await documents.detail_with_plan(session, settings, registry, runner, project_id)


@router.post(
    "/projects/{project_id}/resume",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses={
        **UNREADABLE,
        **NOT_FOUND,
        409: error("The project is complete and up to date, or already running."),
    },
    summary="Bring a project up to date (continue it, or redo what its plan lists), in the "
    "background",
)
async def resume(
    project: ProjectDep,
    session: SessionDep,
    settings: SettingsDep,
    registry: RegistryDep,
    runner: RunnerDep,
    options: Annotated[ResumeRequest | None, Body()] = None,
) -> Accepted:
    resubmit = options.resubmit_unknown if options is not None else False
    await runs.resume(session, settings, registry, project.id, runner, resubmit_unknown=resubmit)
    return documents.accepted(project.id, None)


@router.get(
    "/projects/{project_id}/plan",
    response_model=PlanDocument,
    responses=NOT_FOUND,
    summary="What a resume would generate and what it would cost (no provider is called)",
)
async def plan(
    project_id: ProjectId, session: SessionDep, settings: SettingsDep, registry: RegistryDep
) -> PlanDocument:
    return (await runs.plan(session, settings, registry, project_id)).document()


@router.post(
    "/projects/{project_id}/stitch",
    response_model=ProjectDocument,
    responses={
        **UNREADABLE,
        **NOT_FOUND,
        409: error("The project is not complete, is running, or a clip file is missing."),
        422: {"description": "The crossfade is not shorter than the shortest clip."},
        500: error("ffmpeg failed; the previous final.mp4 is kept."),
    },
    summary="Re-stitch a complete project (e.g. with a crossfade); regenerates nothing",
)
async def stitch(
    project: ProjectDep,
    session: SessionDep,
    settings: SettingsDep,
    registry: RegistryDep,
    runner: RunnerDep,
    options: Annotated[StitchRequest | None, Body()] = None,
) -> ProjectDocument:
    crossfade = options.crossfade if options is not None else None
    await runs.restitch(session, settings, registry, runner, project.id, crossfade)
    return documents.detail(await load_project(session, project.id), settings, runner)
