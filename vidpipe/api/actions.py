"""What the write endpoints do, in terms of the orchestrator and the background runner.

Every check runs before anything is written: a refused request leaves no project, no row and no
file behind (API-7).
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import HTTPException
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.api import documents
from vidpipe.api.errors import body_error
from vidpipe.config import Settings
from vidpipe.db.models import Project
from vidpipe.db.queries import load_project
from vidpipe.errors import (
    BadInputError,
    NotResumableError,
    ProjectBusyError,
    ProjectNotFoundError,
)
from vidpipe.orchestrator.pipeline import restitch_project
from vidpipe.orchestrator.projects import (
    GenerateOptions,
    approve_resubmissions,
    check_budget,
    check_capabilities,
    check_provider_setup,
    create_project,
    estimate_cost,
    reference_specs,
    reference_warnings,
)
from vidpipe.providers.registry import ProviderRegistry
from vidpipe.runners.background import BackgroundRunner, lease_is_live
from vidpipe.runners.queue import QueueRunner


def accepted(
    project_id: uuid.UUID, estimate: float | None, warnings: list[str] | None = None
) -> dict[str, Any]:
    return {
        "project_id": project_id,
        "status_url": documents.project_url(project_id, "/status"),
        "events_url": documents.project_url(project_id, "/events"),
        "estimated_cost": estimate,
        "warnings": warnings or [],
    }


async def generate(
    session: AsyncSession,
    settings: Settings,
    registry: ProviderRegistry,
    runner: BackgroundRunner | QueueRunner,
    options: GenerateOptions,
) -> dict[str, Any]:
    """Check the options against the configured providers and the budget, create, queue."""
    providers = registry.build(
        settings, settings.storyboard_provider, settings.image_provider, settings.video_provider
    )
    try:
        check_capabilities(options, providers)
        references = reference_specs(options, settings)
        estimate = estimate_cost(options, providers, references)
        check_budget(options, estimate)
        await check_provider_setup(providers)
    except BadInputError as exc:
        raise body_error(exc) from None
    project = await create_project(
        session, settings, options, estimate, references, providers=providers
    )
    await runner.enqueue(project.id)
    return accepted(project.id, estimate, reference_warnings(references, providers))


async def resume(
    session: AsyncSession,
    project: Project,
    runner: BackgroundRunner | QueueRunner,
    *,
    resubmit_unknown: bool = False,
) -> dict[str, Any]:
    """Queue a run of a project that is neither complete nor running (409 otherwise)."""
    if project.status == "complete":
        raise NotResumableError(
            f"project {project.id} is complete; nothing to resume (re-stitch it with "
            f"POST {documents.project_url(project.id, '/stitch')})"
        )
    refuse_if_running(project, runner)
    if resubmit_unknown:
        await approve_resubmissions(session, project.id)
    await runner.enqueue(project.id)
    return accepted(project.id, None)


async def restitch(
    session: AsyncSession,
    settings: Settings,
    registry: ProviderRegistry,
    runner: BackgroundRunner | QueueRunner,
    project: Project,
    crossfade: float | None,
) -> dict[str, Any]:
    """Re-stitch a complete project now (CORE-9); the response is its new detail document."""
    refuse_if_running(project, runner)
    progress = runner.hub.reporter(project.id)
    try:
        await restitch_project(
            session, project.id, crossfade, progress, settings=settings, registry=registry
        )
    except (ProjectNotFoundError, NotResumableError, ProjectBusyError):
        raise
    except BadInputError as exc:
        raise body_error(exc) from None
    except Exception as exc:  # ffmpeg or disk: recorded as a failed run; the old output stays
        raise HTTPException(500, f"stitch failed: {type(exc).__name__}: {exc}") from None
    finally:
        runner.hub.finish(project.id)
    return documents.detail(await load_project(session, project.id), settings, runner)


def refuse_if_running(project: Project, runner: BackgroundRunner | QueueRunner) -> None:
    if runner.is_active(project.id) or lease_is_live(project):
        raise ProjectBusyError(
            f"project {project.id} is already running ({project.status}); "
            f"follow it at {documents.project_url(project.id, '/events')}"
        )
