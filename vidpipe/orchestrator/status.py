"""The status document of one project as `vidpipe status` shows it: an `out_of_date` project
comes with its plan, so each scene says whether it is stale (no provider is called)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.config import Settings
from vidpipe.db.queries import load_project
from vidpipe.db.statuses import ProjectStatus
from vidpipe.documents import ProjectDocument
from vidpipe.orchestrator.report import project_document
from vidpipe.storage import ProjectStorage


async def status_document(
    session: AsyncSession, project_id: uuid.UUID, settings: Settings
) -> ProjectDocument:
    """The full document; with the plan (and stale marks) when the project is out of date."""
    project = await load_project(session, project_id)
    storage = ProjectStorage(settings.projects_dir, project_id)
    if project.status != ProjectStatus.OUT_OF_DATE:
        return project_document(project, storage)
    from vidpipe.orchestrator.pipeline import plan_loaded_project

    plan = await plan_loaded_project(session, project, settings=settings)  # writes nothing
    return project_document(project, storage, plan.document())
