"""Which file a request may get: only artifacts a row of *that* project points at, and only when
the path resolves inside that project's folder.

No part of a URL is ever joined to a path: the project id is a parsed UUID, the scene an integer,
the position `start` or `end`; the file name comes from the database row, and ProjectStorage
refuses a stored path that leaves the project folder (`..`, absolute paths, symlinks out).
"""

from __future__ import annotations

import uuid
from pathlib import Path

from fastapi import HTTPException
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.config import Settings
from vidpipe.db.models import AudioArtifact, Keyframe, Project, Reference, Scene, Take, VideoClip
from vidpipe.errors import ProjectNotFoundError
from vidpipe.storage import ProjectStorage


def contained_file(settings: Settings, project_id: uuid.UUID, relative: str | None) -> Path:
    """The regular file at a stored relative path inside the project's folder, or 404."""
    if relative:
        storage = ProjectStorage(settings.projects_dir, project_id)
        try:
            path = storage.resolve(relative)
        except (ValueError, OSError):
            path = None
        if path is not None and path.is_file():
            return path
    raise HTTPException(404, "no such file for this project (yet)")


async def final_video(session: AsyncSession, settings: Settings, project_id: uuid.UUID) -> Path:
    project = await session.get(Project, project_id)
    if project is None:
        raise ProjectNotFoundError(f"no project with id {project_id}")
    if project.output_path is None:
        raise HTTPException(404, f"project {project_id} has no final video yet ({project.status})")
    return contained_file(settings, project_id, project.output_path)


async def keyframe_image(
    session: AsyncSession, settings: Settings, project_id: uuid.UUID, scene: int, position: str
) -> Path:
    await _require_project(session, project_id)
    relative = await session.scalar(
        select(Keyframe.file_path)
        .join(Scene, Keyframe.scene_id == Scene.id)
        .where(
            Scene.project_id == project_id,
            Scene.scene_index == scene,
            Keyframe.position == position,
        )
    )
    return contained_file(settings, project_id, relative)


async def clip_video(
    session: AsyncSession, settings: Settings, project_id: uuid.UUID, scene: int
) -> Path:
    await _require_project(session, project_id)
    relative = await session.scalar(
        select(VideoClip.file_path)
        .join(Scene, VideoClip.scene_id == Scene.id)
        .where(
            Scene.project_id == project_id,
            Scene.scene_index == scene,
            VideoClip.status == "complete",
        )
    )
    return contained_file(settings, project_id, relative)


async def reference_image(
    session: AsyncSession, settings: Settings, project_id: uuid.UUID, name: str
) -> tuple[Path, str]:
    await _require_project(session, project_id)
    row = await session.scalar(
        select(Reference).where(Reference.project_id == project_id, Reference.name == name)
    )
    if row is None:
        raise HTTPException(404, f"project {project_id} has no reference named {name!r}")
    return contained_file(settings, project_id, row.file_path), row.media_type


async def take_file(
    session: AsyncSession,
    settings: Settings,
    project_id: uuid.UUID,
    scene_index: int,
    slot: str,
    number: int,
) -> Path:
    """Any take of a scene's frame or clip, selected or not: what its row points at."""
    await _require_project(session, project_id)
    relative = await session.scalar(
        select(Take.file_path).where(
            Take.project_id == project_id,
            Take.scene_index == scene_index,
            Take.slot == slot,
            Take.number == number,
        )
    )
    return contained_file(settings, project_id, relative)


async def _require_project(session: AsyncSession, project_id: uuid.UUID) -> None:
    if await session.get(Project, project_id) is None:
        raise ProjectNotFoundError(f"no project with id {project_id}")


async def spoken_line(
    session: AsyncSession, settings: Settings, project_id: uuid.UUID, scene: int, line: int
) -> Path:
    """A spoken line's WAV (a scene's narration is line 0, its dialogue lines 1..n)."""
    await _require_project(session, project_id)
    relative = await session.scalar(
        select(AudioArtifact.file_path).where(
            AudioArtifact.project_id == project_id,
            AudioArtifact.kind == "line",
            AudioArtifact.scene_index == scene,
            AudioArtifact.line_index == line,
        )
    )
    return contained_file(settings, project_id, relative)


async def subtitles(
    session: AsyncSession, settings: Settings, project_id: uuid.UUID, kind: str
) -> Path:
    """The final video's WebVTT or SRT subtitles, written beside it when lines are spoken."""
    await _require_project(session, project_id)
    return contained_file(settings, project_id, f"output/final.{kind}")
