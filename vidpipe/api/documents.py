"""The shared formatter's documents (orchestrator/report.py), plus what only HTTP clients need:
URLs of the project's resources, whether it waits here for a slot, and live progress."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.config import Settings
from vidpipe.db.models import Project
from vidpipe.db.queries import list_projects, load_project
from vidpipe.errors import VidpipeError
from vidpipe.orchestrator.pipeline import plan_loaded_project
from vidpipe.orchestrator.report import (
    project_document,
    project_summary,
    scene_takes,
    takes_document,
)
from vidpipe.providers.registry import ProviderRegistry
from vidpipe.runners.base import Runner
from vidpipe.storage import ProjectStorage

PREFIX = "/api/projects"


def project_url(project_id: uuid.UUID | str, tail: str = "") -> str:
    return f"{PREFIX}/{project_id}{tail}"


def accepted(
    project_id: uuid.UUID, estimate: float | None, warnings: list[str] | None = None
) -> dict[str, Any]:
    """The 202 answer: where to follow a project that was handed to the runner."""
    return {
        "project_id": project_id,
        "status_url": project_url(project_id, "/status"),
        "events_url": project_url(project_id, "/events"),
        "estimated_cost": estimate,
        "warnings": warnings or [],
    }


def summary(project: Project, settings: Settings) -> dict[str, Any]:
    document = project_summary(project, ProjectStorage(settings.projects_dir, project.id))
    document["status_url"] = project_url(project.id, "/status")
    document["download_url"] = project_url(project.id, "/download") if project.output_path else None
    return document


def status(project: Project, settings: Settings, runner: Runner) -> dict[str, Any]:
    document = summary(project, settings)
    document["queued"] = document["queued"] or runner.is_queued(project.id)
    document["progress"] = runner.hub.snapshot(project.id)
    return document


def detail(
    project: Project,
    settings: Settings,
    runner: Runner,
    plan: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The full document; `project` must come with scenes, keyframes, clips and runs loaded.
    With its plan (`Plan.as_dict()`) each scene says whether it is stale."""
    storage = ProjectStorage(settings.projects_dir, project.id)
    document = project_document(project, storage, plan)
    document.update(status(project, settings, runner))
    for ref in document["references"]:
        ref["url"] = project_url(project.id, f"/references/{quote(ref['name'])}")
    for scene in document["scenes"]:
        base = project_url(project.id, f"/keyframes/{scene['scene']}")  # 1-based, as people count
        has_clip = scene["clip_path"] and scene["clip_status"] == "complete"
        scene["start_keyframe_url"] = f"{base}/start" if scene["start_keyframe_path"] else None
        scene["end_keyframe_url"] = f"{base}/end" if scene["end_keyframe_path"] else None
        scene["clip_url"] = (
            project_url(project.id, f"/clips/{scene['scene']}") if has_clip else None
        )
    for audio in document.get("audio", []):
        if audio["kind"] == "line" and audio["path"]:
            audio["url"] = project_url(project.id, f"/lines/{audio['scene']}/{audio['line']}")
    lines = any(audio["kind"] == "line" for audio in document.get("audio", []))
    document["subtitles_url"] = (
        project_url(project.id, "/subtitles.vtt") if lines and project.output_path else None
    )
    return document


async def detail_with_plan(
    session: AsyncSession,
    settings: Settings,
    registry: ProviderRegistry,
    runner: Runner,
    project_id: uuid.UUID,
) -> dict[str, Any]:
    """The full document with per-scene `stale` flags and the plan (no provider is called)."""
    return (await loaded_detail_with_plan(session, settings, registry, runner, project_id))[1]


async def loaded_detail_with_plan(
    session: AsyncSession,
    settings: Settings,
    registry: ProviderRegistry,
    runner: Runner,
    project_id: uuid.UUID,
) -> tuple[Project, dict[str, Any]]:
    """`detail_with_plan` and the project it was made from, loaded once for both."""
    project = await load_project(session, project_id)
    try:
        plan: dict[str, Any] | None = (
            await plan_loaded_project(session, project, settings=settings, registry=registry)
        ).as_dict()
    except VidpipeError:  # e.g. a provider no longer configured: the document, without a plan
        plan = None
    return project, detail(project, settings, runner, plan)


async def takes(
    session: AsyncSession, settings: Settings, project_id: uuid.UUID, scene: int
) -> dict[str, Any]:
    """The takes of a scene (1-based), each with the URL of its file (None once it is gone)."""
    document = await takes_document(session, settings, project_id, scene)
    with_urls(project_id, scene, document["takes"])
    return document


async def all_takes(
    session: AsyncSession, settings: Settings, project: Project
) -> list[list[dict[str, Any]]]:
    """The takes of every scene of a loaded project (one query), with their URLs."""
    found = await scene_takes(session, settings, project)
    for number, takes_of_scene in enumerate(found, start=1):
        with_urls(project.id, number, takes_of_scene)
    return found


def with_urls(project_id: uuid.UUID, scene: int, takes_of_scene: list[dict[str, Any]]) -> None:
    for take in takes_of_scene:
        tail = f"/scenes/{scene}/takes/{take['slot']}/{take['take']}/file"
        take["url"] = project_url(project_id, tail) if take["exists"] else None


async def page(
    session: AsyncSession, settings: Settings, *, limit: int, offset: int, status: str | None
) -> dict[str, Any]:
    """One page of summaries, newest first, with the total count for the filter."""
    count = select(func.count()).select_from(Project)
    if status:
        count = count.where(Project.status == status)
    total = await session.scalar(count) or 0
    found = await list_projects(session, limit=limit, offset=offset, status=status)
    return {
        "projects": [summary(project, settings) for project in found],
        "total": total,
        "limit": limit,
        "offset": offset,
    }
