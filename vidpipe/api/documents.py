"""The shared documents (vidpipe/documents.py, read through the use cases in app/projects.py),
plus what only HTTP clients need: URLs of the project's resources, whether it waits here for a
slot, and live progress (the API's models in api/schemas.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe import documents
from vidpipe.api.schemas import (
    Accepted,
    AudioDocument,
    ProjectDocument,
    ProjectList,
    ProjectStatusDocument,
    ProjectSummary,
    ReferenceDocument,
    SceneDocument,
    TakeDocument,
    TakesDocument,
)
from vidpipe.app import projects
from vidpipe.config import Settings
from vidpipe.db.models import Project
from vidpipe.documents import PlanDocument
from vidpipe.orchestrator.report import scene_takes, takes_document
from vidpipe.pipeline.plan import Plan
from vidpipe.providers.registry import ProviderRegistry
from vidpipe.runners.base import Runner

PREFIX = "/api/projects"


def project_url(project_id: uuid.UUID | str, tail: str = "") -> str:
    return f"{PREFIX}/{project_id}{tail}"


def accepted(
    project_id: uuid.UUID, estimate: float | None, warnings: list[str] | None = None
) -> Accepted:
    """The 202 answer: where to follow a project that was handed to the runner."""
    return Accepted(
        project_id=project_id,
        status_url=project_url(project_id, "/status"),
        events_url=project_url(project_id, "/events"),
        estimated_cost=estimate,
        warnings=warnings or [],
    )


def _links(project: Project) -> dict[str, str | None]:
    return {
        "status_url": project_url(project.id, "/status"),
        "download_url": project_url(project.id, "/download") if project.output_path else None,
    }


def _live(project: Project, runner: Runner, queued: bool) -> dict[str, object]:
    """Whether it waits here for a slot, and its live progress."""
    return {
        "queued": queued or runner.is_queued(project.id),
        "progress": runner.hub.snapshot(project.id),
    }


def summary(project: Project, document: documents.ProjectSummary) -> ProjectSummary:
    return ProjectSummary(**dict(document), **_links(project))


def status(project: Project, settings: Settings, runner: Runner) -> ProjectStatusDocument:
    document = projects.summary(project, settings)
    return ProjectStatusDocument(
        **(dict(document) | _live(project, runner, document.queued)), **_links(project)
    )


def detail(
    project: Project,
    settings: Settings,
    runner: Runner,
    plan: PlanDocument | None = None,
) -> ProjectDocument:
    """The full document; `project` must come with scenes, keyframes, clips and runs loaded.
    With its plan (`Plan.document()`) each scene says whether it is stale."""
    return with_links(project, projects.document(project, settings, plan), runner)


def with_links(
    project: Project, document: documents.ProjectDocument, runner: Runner
) -> ProjectDocument:
    """The shared document of `project` with its URLs and live progress."""
    scenes = []
    for scene in document.scenes:
        base = project_url(project.id, f"/keyframes/{scene.scene}")  # 1-based, as people count
        has_clip = scene.clip_path and scene.clip_status == "complete"
        scenes.append(
            SceneDocument(
                **dict(scene),
                start_keyframe_url=f"{base}/start" if scene.start_keyframe_path else None,
                end_keyframe_url=f"{base}/end" if scene.end_keyframe_path else None,
                clip_url=project_url(project.id, f"/clips/{scene.scene}") if has_clip else None,
            )
        )
    references = [
        ReferenceDocument(
            **dict(ref), url=project_url(project.id, f"/references/{quote(ref.name)}")
        )
        for ref in document.references
    ]
    audio = [
        AudioDocument(**dict(row), url=project_url(project.id, f"/lines/{row.scene}/{row.line}"))
        if row.kind == "line" and row.path
        else AudioDocument(**dict(row))
        for row in document.audio
    ]
    lines = any(row.kind == "line" for row in document.audio)
    fields = dict(document) | _live(project, runner, document.queued)
    fields |= {"scenes": scenes, "references": references, "audio": audio}
    return ProjectDocument(
        **fields,
        **_links(project),
        subtitles_url=(
            project_url(project.id, "/subtitles.vtt") if lines and project.output_path else None
        ),
    )


async def detail_with_plan(
    session: AsyncSession,
    settings: Settings,
    registry: ProviderRegistry,
    runner: Runner,
    project_id: uuid.UUID,
) -> ProjectDocument:
    """The full document with per-scene `stale` flags and the plan (no provider is called)."""
    return (await loaded_detail_with_plan(session, settings, registry, runner, project_id))[1]


async def loaded_detail_with_plan(
    session: AsyncSession,
    settings: Settings,
    registry: ProviderRegistry,
    runner: Runner,
    project_id: uuid.UUID,
) -> tuple[Project, ProjectDocument, Plan | None]:
    """`detail_with_plan`, the project it was made from and its plan, loaded once for all."""
    project, document, plan = await projects.project_detail(session, settings, registry, project_id)
    return project, with_links(project, document, runner), plan


async def takes(
    session: AsyncSession, settings: Settings, project_id: uuid.UUID, scene: int
) -> TakesDocument:
    """The takes of a scene (1-based), each with the URL of its file (None once it is gone)."""
    document = await takes_document(session, settings, project_id, scene)
    return TakesDocument(
        **(dict(document) | {"takes": with_urls(project_id, scene, document.takes)})
    )


async def all_takes(
    session: AsyncSession, settings: Settings, project: Project
) -> list[list[TakeDocument]]:
    """The takes of every scene of a loaded project (one query), with their URLs."""
    found = await scene_takes(session, settings, project)
    return [
        with_urls(project.id, number, takes_of_scene)
        for number, takes_of_scene in enumerate(found, start=1)
    ]


def with_urls(
    project_id: uuid.UUID, scene: int, takes_of_scene: Sequence[documents.TakeDocument]
) -> list[TakeDocument]:
    return [
        TakeDocument(
            **dict(take),
            url=project_url(project_id, f"/scenes/{scene}/takes/{take.slot}/{take.take}/file")
            if take.exists
            else None,
        )
        for take in takes_of_scene
    ]


async def page(
    session: AsyncSession, settings: Settings, *, limit: int, offset: int, status: str | None
) -> ProjectList:
    """One page of summaries, newest first, with the total count for the filter."""
    found = await projects.list_projects(
        session, settings, limit=limit, offset=offset, status=status
    )
    return ProjectList(
        projects=[summary(project, document) for project, document in found.projects],
        total=found.total,
        limit=limit,
        offset=offset,
    )
