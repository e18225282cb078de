"""Runs of an existing project: resume, plan, restitch, stop, approve a resubmission, gc."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from vidpipe.app.guards import refuse_if_running
from vidpipe.db.statuses import ProjectStatus
from vidpipe.errors import (
    BadInputError,
    NextStep,
    NotResumableError,
    ProjectBusyError,
    StitchFailedError,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from vidpipe.config import Settings
    from vidpipe.db.models import Project
    from vidpipe.orchestrator.garbage import GarbageReport
    from vidpipe.pipeline.plan import Plan
    from vidpipe.providers.registry import ProviderRegistry
    from vidpipe.runners.base import Runner


async def plan(
    session: AsyncSession, settings: Settings, registry: ProviderRegistry, project_id: uuid.UUID
) -> Plan:
    """What a resume would generate and what it would cost; calls no provider."""
    from vidpipe.orchestrator.pipeline import plan_project

    return await plan_project(session, project_id, settings=settings, registry=registry)


async def resume(
    session: AsyncSession,
    settings: Settings,
    registry: ProviderRegistry,
    project_id: uuid.UUID,
    runner: Runner,
    *,
    resubmit_unknown: bool = False,
    max_cost: float | None = None,
) -> Project:
    """Hand a project that is not running, and has work left, to the runner.

    A complete project whose plan has work (e.g. a keyframe file was deleted) is brought up to
    date too; one with nothing to make is refused. `max_cost` is a new budget (e.g. after
    "budget exceeded"); `resubmit_unknown` approves sending again the clips whose submission got
    no answer (they may be billed twice)."""
    from vidpipe.db.queries import load_project
    from vidpipe.orchestrator.state import can_resume

    if max_cost is not None and max_cost < 0:
        raise BadInputError("must be 0 or more", field="max_cost")
    project = await load_project(session, project_id)
    if project.status == ProjectStatus.COMPLETE:
        await _reopen(session, settings, registry, project, runner)
    if not can_resume(project.status):
        raise NotResumableError(f"project {project.id} is {project.status}; nothing to resume")
    refuse_if_running(project, runner)
    if max_cost is not None:
        from vidpipe.orchestrator.projects import set_budget

        await set_budget(session, project.id, max_cost)
    if resubmit_unknown:
        await approve_resubmission(session, project.id)
    await runner.enqueue(project.id)
    return project


async def _reopen(
    session: AsyncSession,
    settings: Settings,
    registry: ProviderRegistry,
    project: Project,
    runner: Runner,
) -> None:
    """A complete project whose files no longer match its plan is out of date from the plan's
    first stage, as an edit would leave it, so the run redoes that and what follows; one with
    nothing to make is refused, naming the re-stitch."""
    from vidpipe.orchestrator.edits import mark_out_of_date
    from vidpipe.orchestrator.pipeline import plan_loaded_project

    refuse_if_running(project, runner)  # a re-stitch keeps `complete` while it runs
    found = await plan_loaded_project(session, project, settings=settings, registry=registry)
    if found.stage is None:
        raise NotResumableError(
            f"project {project.id} is complete and up to date; nothing to resume; to join its "
            "clips again, use ",
            NextStep("stitch", str(project.id)),
        )
    mark_out_of_date(project, found.stage)
    await session.commit()


async def approve_resubmission(session: AsyncSession, project_id: uuid.UUID) -> list[int]:
    """The user agrees to send again the clips whose submission got no answer; returns their
    scene numbers (1-based)."""
    from vidpipe.orchestrator.projects import approve_resubmissions

    return await approve_resubmissions(session, project_id)


async def restitch(
    session: AsyncSession,
    settings: Settings,
    registry: ProviderRegistry,
    runner: Runner,
    project_id: uuid.UUID,
    crossfade: float | None = None,
) -> Project:
    """Re-stitch a project whose clips are all made, now (e.g. with another crossfade).

    ffmpeg or the disk failing is recorded as a failed run (the old output stays) and raised as
    StitchFailedError."""
    from vidpipe.db.queries import load_project
    from vidpipe.errors import ProjectNotFoundError
    from vidpipe.orchestrator.pipeline import restitch_project

    refuse_if_running(await load_project(session, project_id), runner)
    progress = runner.hub.reporter(project_id)
    try:
        return await restitch_project(
            session, project_id, crossfade, progress, settings=settings, registry=registry
        )
    except (ProjectNotFoundError, NotResumableError, ProjectBusyError, BadInputError):
        raise
    except Exception as exc:
        raise StitchFailedError(f"stitch failed: {type(exc).__name__}: {exc}") from exc
    finally:
        runner.hub.finish(project_id)


async def stop(session: AsyncSession, project_id: uuid.UUID, runner: Runner | None = None) -> bool:
    """Ask whoever holds the project to stop at its next safe point; a project still waiting in
    `runner`'s queue is taken out of it and left `stopped` (resumable, nothing paid): True then.
    NotRunningError if it neither runs nor waits."""
    from vidpipe.db.models import Project
    from vidpipe.orchestrator.leases import is_held, record_stopped_unstarted, request_stop

    project = await session.get(Project, project_id, populate_existing=True)
    if runner is not None and project is not None and not is_held(project):
        if await runner.withdraw(project_id):  # it never started
            await record_stopped_unstarted(session, project_id)
            return True
    await request_stop(session, project_id)
    return False


async def gc(session: AsyncSession | None, settings: Settings, *, dry_run: bool) -> GarbageReport:
    """Delete (or, dry, list) artifact files no take references and old unused uploads; with no
    database yet there is nothing to free."""
    from vidpipe.orchestrator.garbage import GarbageReport, collect_garbage

    if session is None:
        return GarbageReport(deleted=not dry_run)
    return await collect_garbage(session, settings, dry_run=dry_run)
