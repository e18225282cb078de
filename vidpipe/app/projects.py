"""Reading projects: the list, one project's status and its detail with the plan.

The same documents for every door: the CLI's `list` and `status`, the API's list, status and
detail, and the page (which shows the API's documents). Nothing here writes or calls a provider.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from vidpipe.config import Settings
    from vidpipe.db.models import Project
    from vidpipe.documents import PlanDocument, ProjectDocument, ProjectSummary
    from vidpipe.pipeline.plan import Plan
    from vidpipe.providers.registry import ProviderRegistry


@dataclass
class ProjectPage:
    """Projects newest first, each with its summary, and how many the filter matches."""

    projects: list[tuple[Project, ProjectSummary]]
    total: int


async def list_projects(
    session: AsyncSession,
    settings: Settings,
    *,
    limit: int | None = None,
    offset: int = 0,
    status: str | None = None,
) -> ProjectPage:
    """One page of projects (all of them without `limit`), newest first."""
    from sqlalchemy import func, select

    from vidpipe.db.models import Project
    from vidpipe.db.queries import list_projects as newest_first

    found = await newest_first(session, limit=limit, offset=offset, status=status)
    total = len(found)
    if limit is not None or offset:
        count = select(func.count()).select_from(Project)
        if status:
            count = count.where(Project.status == status)
        total = await session.scalar(count) or 0
    return ProjectPage([(project, summary(project, settings)) for project in found], total)


def summary(project: Project, settings: Settings) -> ProjectSummary:
    """The light document of a loaded project (for lists and status polling)."""
    from vidpipe.orchestrator.report import project_summary
    from vidpipe.storage import ProjectStorage

    return project_summary(project, ProjectStorage(settings.projects_dir, project.id))


def document(
    project: Project, settings: Settings, plan: PlanDocument | None = None
) -> ProjectDocument:
    """The full document of a project loaded with its scenes, keyframes, clips and runs; with
    its plan, each scene says whether it is stale."""
    from vidpipe.orchestrator.report import project_document
    from vidpipe.storage import ProjectStorage

    return project_document(project, ProjectStorage(settings.projects_dir, project.id), plan)


async def project_status(
    session: AsyncSession, settings: Settings, registry: ProviderRegistry, project_id: uuid.UUID
) -> ProjectDocument:
    """What `vidpipe status` shows: the full document, with the plan (and stale marks) when
    the project is out of date."""
    from vidpipe.db.queries import load_project
    from vidpipe.db.statuses import ProjectStatus

    project = await load_project(session, project_id)
    if project.status != ProjectStatus.OUT_OF_DATE:
        return document(project, settings)
    plan = await plan_of(session, settings, registry, project, strict=True)
    assert plan is not None
    return document(project, settings, plan.document())


async def project_detail(
    session: AsyncSession, settings: Settings, registry: ProviderRegistry, project_id: uuid.UUID
) -> tuple[Project, ProjectDocument, Plan | None]:
    """The full document with its plan (what the API's detail and the page show), the project
    it was made from and the plan itself (the page's stepper reads its stage), loaded once for
    all. A plan that cannot be made (e.g. a provider no longer configured) leaves the document
    without one."""
    from vidpipe.db.queries import load_project

    project = await load_project(session, project_id)
    plan = await plan_of(session, settings, registry, project)
    return project, document(project, settings, plan.document() if plan else None), plan


async def plan_of(
    session: AsyncSession,
    settings: Settings,
    registry: ProviderRegistry,
    project: Project,
    *,
    strict: bool = False,
) -> Plan | None:
    """The plan of a loaded project (no provider is called). None when it cannot be made, e.g.
    a provider no longer configured, unless `strict`: then the reason is raised."""
    from vidpipe.errors import VidpipeError
    from vidpipe.orchestrator.pipeline import plan_loaded_project

    try:
        return await plan_loaded_project(session, project, settings=settings, registry=registry)
    except VidpipeError:
        if strict:
            raise
        return None
