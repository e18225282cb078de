"""Loading projects: by id, by unique id prefix, newest first."""

from __future__ import annotations

import uuid

from sqlalchemy import String, cast, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from vidpipe.db.models import Project, Scene
from vidpipe.errors import BadInputError, ProjectNotFoundError

MIN_PREFIX = 4

_FULL = (
    selectinload(Project.scenes).selectinload(Scene.keyframes),
    selectinload(Project.scenes).selectinload(Scene.clip),
    selectinload(Project.runs),
    selectinload(Project.ledger),
    selectinload(Project.references),
    selectinload(Project.audio),
)


async def load_project(session: AsyncSession, project_id: uuid.UUID) -> Project:
    """The project with scenes, keyframes, clips and runs, fresh from the database."""
    project = await session.scalar(
        select(Project)
        .where(Project.id == project_id)
        .options(*_FULL)
        .execution_options(populate_existing=True)
    )
    if project is None:
        raise ProjectNotFoundError(f"no project with id {project_id}")
    return project


async def resolve_project_id(session: AsyncSession, text: str) -> uuid.UUID:
    """A full UUID or a unique prefix of at least 4 characters."""
    cleaned = text.strip().lower()
    try:
        full = uuid.UUID(cleaned)
    except ValueError:
        full = None
    if full is not None:
        if await session.get(Project, full) is None:
            raise ProjectNotFoundError(f"no project with id {full}")
        return full
    if len(cleaned) < MIN_PREFIX or any(c not in "0123456789abcdef-" for c in cleaned):
        raise BadInputError(
            f"{text!r} is not a project id: give the full id or at least {MIN_PREFIX} of its "
            "first characters"
        )
    candidates = await _ids_with_prefix(session, cleaned)
    if not candidates:
        raise ProjectNotFoundError(f"no project id starts with {cleaned!r}")
    if len(candidates) > 1:
        shown = ", ".join(str(c)[:13] for c in candidates[:5])
        raise BadInputError(f"id prefix {cleaned!r} is ambiguous: matches {shown}")
    return candidates[0]


async def _ids_with_prefix(session: AsyncSession, prefix: str) -> list[uuid.UUID]:
    # Stored UUIDs are dash-less hex on SQLite and dashed on PostgreSQL; the first 8 characters
    # agree on both, so filter by those in SQL and compare the rest without dashes.
    dashless = prefix.replace("-", "")
    text_id = cast(Project.id, String)
    rows = await session.scalars(select(Project.id).where(text_id.like(f"{prefix[:8]}%")))
    return [pid for pid in rows if pid.hex.startswith(dashless)][:6]


async def list_projects(
    session: AsyncSession, *, limit: int | None = None, offset: int = 0, status: str | None = None
) -> list[Project]:
    query = select(Project).order_by(Project.created_at.desc(), Project.id)
    if status:
        query = query.where(Project.status == status)
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    return list(await session.scalars(query))
