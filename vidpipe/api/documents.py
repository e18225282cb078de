"""The shared formatter's documents (orchestrator/report.py), plus what only HTTP clients need:
URLs of the project's resources, whether it waits here for a slot, and live progress."""

from __future__ import annotations

import uuid
from typing import Any

from vidpipe.config import Settings
from vidpipe.db.models import Project
from vidpipe.orchestrator.report import project_document, project_summary
from vidpipe.runners.background import BackgroundRunner
from vidpipe.storage import ProjectStorage

PREFIX = "/api/projects"


def project_url(project_id: uuid.UUID | str, tail: str = "") -> str:
    return f"{PREFIX}/{project_id}{tail}"


def summary(project: Project, settings: Settings) -> dict[str, Any]:
    document = project_summary(project, ProjectStorage(settings.projects_dir, project.id))
    document["status_url"] = project_url(project.id, "/status")
    document["download_url"] = (
        project_url(project.id, "/download") if project.output_path else None
    )
    return document


def status(project: Project, settings: Settings, runner: BackgroundRunner) -> dict[str, Any]:
    document = summary(project, settings)
    document["queued"] = runner.is_queued(project.id)
    document["progress"] = runner.hub.snapshot(project.id)
    return document


def detail(project: Project, settings: Settings, runner: BackgroundRunner) -> dict[str, Any]:
    """The full document; `project` must come with scenes, keyframes, clips and runs loaded."""
    document = project_document(project, ProjectStorage(settings.projects_dir, project.id))
    document.update(status(project, settings, runner))
    for scene in document["scenes"]:
        base = project_url(project.id)
        index = scene["index"]
        scene["start_keyframe_url"] = (
            f"{base}/keyframes/{index}/start" if scene["start_keyframe_path"] else None
        )
        scene["end_keyframe_url"] = (
            f"{base}/keyframes/{index}/end" if scene["end_keyframe_path"] else None
        )
        scene["clip_url"] = (
            f"{base}/clips/{index}" if scene["clip_path"] and scene["clip_status"] == "complete"
            else None
        )  # fmt: skip
    return document
