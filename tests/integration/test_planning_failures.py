"""A run that fails or is stopped while it is still planning (before any step) is recorded like
one that fails in a step: the project says what happened and the run row is finished."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from remote_projects import runs_of
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vidpipe.config import Settings
from vidpipe.db.models import Project, Take
from vidpipe.db.queries import load_project
from vidpipe.errors import PipelineError, ProviderError, UnknownProviderError
from vidpipe.orchestrator import pipeline, run_pipeline
from vidpipe.orchestrator.leases import request_stop
from vidpipe.orchestrator.pipeline import StoppedByUserError
from vidpipe.orchestrator.projects import GenerateOptions, create_project
from vidpipe.providers.local import LocalVideoProvider
from vidpipe.providers.registry import ProviderRegistry, load_registry

# the smallest picture: rendering is not the subject
SMALL = {"scenes": 2, "clip_duration": 1.0, "resolution": "360p"}


class UnpricedVideo(LocalVideoProvider):
    """The local renderer, whose price list cannot be read while `broken` (planning asks every
    provider what its calls cost before anything is made)."""

    provider_id = "unpriced"
    broken = True

    def estimate_cost(self, *, calls: int = 1, seconds: float = 0.0) -> float:
        if type(self).broken:
            raise ProviderError("the price list could not be read; check the price settings")
        return super().estimate_cost(calls=calls, seconds=seconds)


async def new_project(session: AsyncSession, settings: Settings) -> uuid.UUID:
    options = GenerateOptions.model_validate({"prompt": "a fox in the snow", **SMALL})
    return (await create_project(session, settings, options)).id


async def test_a_provider_error_while_planning_fails_the_run_recorded_and_resume_completes(
    session: AsyncSession, settings: Settings
) -> None:
    registry = load_registry()
    registry.register(UnpricedVideo)
    settings = settings.model_copy(update={"video_provider": "unpriced"})
    UnpricedVideo.broken = True
    project_id = await new_project(session, settings)

    with pytest.raises(ProviderError, match="price list"):
        await run_pipeline(session, project_id, settings=settings, registry=registry)

    project = await session.get(Project, project_id, populate_existing=True)
    assert project is not None and project.status == "failed"
    assert project.error_message == (
        "plan failed: ProviderError: the price list could not be read; check the price settings"
    )
    (run,) = await runs_of(session, project_id)
    assert (run.status, run.error) == ("failed", project.error_message)
    assert run.completed_at is not None and run.total_duration_seconds is not None
    assert project.lease_owner is None  # the lease was let go

    UnpricedVideo.broken = False
    project = await run_pipeline(session, project_id, settings=settings, registry=registry)
    assert project.status == "complete" and project.error_message is None
    first, second = await runs_of(session, project_id)
    assert (first.status, second.status) == ("failed", "complete")


async def test_a_stop_while_planning_is_recorded_as_a_stop_and_resume_completes(
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The takes are read while planning; reading them here waits until the run is stopped
    (a slow database, say), so the user's stop lands in the middle of planning."""
    project_id = await new_project(session, settings)
    reading, real_project_takes = asyncio.Event(), pipeline.project_takes

    async def slow_project_takes(session: AsyncSession, project_id: uuid.UUID) -> list[Take]:
        reading.set()
        await asyncio.Event().wait()  # until the stop cancels the run
        return await real_project_takes(session, project_id)

    monkeypatch.setattr(pipeline, "project_takes", slow_project_takes)
    registry = load_registry()
    run = asyncio.create_task(
        run_pipeline(session, project_id, settings=settings, registry=registry)
    )
    await asyncio.wait_for(reading.wait(), 30)
    async with sessions() as other:
        await request_stop(other, project_id)
    with pytest.raises(StoppedByUserError):
        await asyncio.wait_for(run, 20)

    project = await session.get(Project, project_id, populate_existing=True)
    assert project is not None
    assert (project.status, project.error_message) == ("stopped", None)
    (stopped,) = await runs_of(session, project_id)
    assert stopped.status == "stopped" and stopped.completed_at is not None

    monkeypatch.setattr(pipeline, "project_takes", real_project_takes)
    project = await run_pipeline(session, project_id, settings=settings, registry=registry)
    assert project.status == "complete" and project.stop_requested_at is None
    assert [r.status for r in await runs_of(session, project_id)] == ["stopped", "complete"]


async def test_a_resume_whose_plan_fails_after_a_review_gate_is_recorded(
    session: AsyncSession, settings: Settings
) -> None:
    """A project paused after its storyboard is planned from its scenes on resume (not from
    scratch): a failure there leaves it `failed`, not `paused` with a run still open."""
    registry: ProviderRegistry = load_registry()
    registry.register(UnpricedVideo)
    settings = settings.model_copy(update={"video_provider": "unpriced"})
    UnpricedVideo.broken = False
    project_id = await new_project(session, settings)
    project = await session.get(Project, project_id)
    assert project is not None
    project.pause_after = "storyboard"
    await session.commit()
    paused = await run_pipeline(session, project_id, settings=settings, registry=registry)
    assert paused.status == "paused" and len(paused.scenes) == 2

    UnpricedVideo.broken = True
    with pytest.raises(ProviderError):
        await run_pipeline(session, project_id, settings=settings, registry=registry)
    project = await load_project(session, project_id)
    assert project.status == "failed" and len(project.scenes) == 2
    assert (project.error_message or "").startswith("plan failed: ProviderError:")
    assert [r.status for r in await runs_of(session, project_id)] == ["paused", "failed"]


async def test_a_provider_the_project_was_made_with_and_no_longer_installed_is_named_as_such(
    session: AsyncSession, settings: Settings
) -> None:
    """The settings choose the providers of new projects: a project whose video provider is gone
    (a plugin uninstalled) is refused naming the plugin to install, not the setting, and its
    rows stay as they were."""
    project_id = await new_project(session, settings)
    project = await session.get(Project, project_id)
    assert project is not None
    project.video_provider = "gone"
    await session.commit()
    with pytest.raises(UnknownProviderError) as refused:
        await pipeline.plan_project(
            session, project_id, settings=settings, registry=load_registry()
        )
    message = str(refused.value)
    assert message.startswith("unknown video provider 'gone' (known: ")
    assert "install the plugin that provides it" in message and "new projects only" in message
    assert "check VIDPIPE_VIDEO_PROVIDER" not in message
    with pytest.raises(PipelineError, match="install the plugin"):  # a run records it
        await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    session.expire_all()
    project = await load_project(session, project_id)
    assert project.status == "failed" and "install the plugin" in (project.error_message or "")
    assert [run.status for run in await runs_of(session, project_id)] == ["failed"]
