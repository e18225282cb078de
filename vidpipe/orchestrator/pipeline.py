"""run_pipeline: the plan, computed once, made by the four steps in order (each step makes the
items the plan gives it and decides nothing again).

Every invocation is a PipelineRun row; the project's lease is held for the whole run; any failure
(or Ctrl+C / SIGTERM) leaves `failed` with "<step> failed: <Type>: <message>" and a resumable
project; a stop the user asked for leaves `stopped` (resumable, no error).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from vidpipe.config import Settings
from vidpipe.db.models import PipelineRun, Project, Take, utcnow
from vidpipe.db.queries import load_project
from vidpipe.db.statuses import ProjectStatus, RunStatus
from vidpipe.errors import (
    BadInputError,
    Guided,
    NextStep,
    NotResumableError,
    PipelineError,
    ProjectNotFoundError,
)
from vidpipe.orchestrator.leases import Lease, hold_lease
from vidpipe.orchestrator.models import add_narrator, build_project_providers
from vidpipe.orchestrator.state import (
    PIPELINE_STATES,
    STAGE_STEPS,
    STEP_TRANSITIONS,
    can_resume,
)
from vidpipe.pipeline.context import (
    PipelineContext,
    ProgressCallback,
    ProgressEvent,
    SceneGate,
    StepStats,
    Stopwatch,
    ledger_stats,
    settle_unanswered_attempts,
)
from vidpipe.pipeline.keyframes import generate_keyframes
from vidpipe.pipeline.plan import Plan, adopt_legacy_fingerprints, make_plan, sound_plan
from vidpipe.pipeline.references import to_describe
from vidpipe.pipeline.reuse import apply_reuse, project_takes
from vidpipe.pipeline.sound import size_scenes_to_lines
from vidpipe.pipeline.stitcher import output_is_current, stitch_videos
from vidpipe.pipeline.storyboard import generate_storyboard
from vidpipe.pipeline.video_gen import generate_videos
from vidpipe.providers.base import ProviderSet
from vidpipe.providers.registry import ProviderRegistry
from vidpipe.storage import ProjectStorage

log = logging.getLogger(__name__)

StepFunction = Callable[[AsyncSession, Project, PipelineContext], Awaitable[None]]

PLAN_STEP = "plan"  # what a failure before any step names: building the providers, planning

STEP_FUNCTIONS: dict[str, StepFunction] = {
    ProjectStatus.STORYBOARDING: generate_storyboard,
    ProjectStatus.KEYFRAMING: generate_keyframes,
    ProjectStatus.VIDEO_GEN: generate_videos,
    ProjectStatus.STITCHING: stitch_videos,
}


async def run_pipeline(
    session: AsyncSession,
    project_id: uuid.UUID,
    progress_callback: ProgressCallback | None = None,
    *,
    settings: Settings,
    registry: ProviderRegistry,
) -> Project:
    """Run (or resume) a project to `complete`. Raises on failure after recording it."""
    status = await session.scalar(select(Project.status).where(Project.id == project_id))
    if status is None:
        raise ProjectNotFoundError(f"no project with id {project_id}")
    if not can_resume(status):
        raise NotResumableError(f"project {project_id} is {status}; nothing to resume")

    def admit(project: Project) -> None:
        if not can_resume(project.status):  # finished while we waited for the lease
            raise NotResumableError(f"project {project_id} is {project.status}")

    async with leased_run(
        session,
        project_id,
        settings,
        registry,
        progress_callback,
        admit=admit,
        failed=ProjectStatus.FAILED,
    ) as opened:
        return await _LeasedRun(opened, settings, registry).run()


class OpenRun:
    """A run that holds the project's lease and has its PipelineRun row (`leased_run`): it is
    closed once, as complete or paused (`close`), or failed or stopped (`abort`)."""

    def __init__(self, session: AsyncSession, lease: Lease, project: Project, ctx: PipelineContext):
        self.session, self.lease, self.project, self.ctx = session, lease, project, ctx
        self.project_id = project.id
        self.clock = Stopwatch()
        assert ctx.run_id is not None
        self.run_id: uuid.UUID = ctx.run_id

    async def close(self, status: RunStatus) -> None:
        """Finish the run (its log counted from the ledger) and commit what the run made."""
        run = await self.session.get(PipelineRun, self.run_id)
        assert run is not None
        await _finish(self.session, run, status, None, self.ctx.stats, self.clock)
        await self.session.commit()

    async def abort(
        self, status: RunStatus, error: str | None, project_status: ProjectStatus | None
    ) -> None:
        """After an error or a stop: drop what was not committed, set the project's status
        (None: leave it), settle the attempts left unanswered and finish the run. Shielded, so
        a second Ctrl+C cannot cut it short."""

        async def save() -> None:
            session = self.session
            await session.rollback()
            run = await session.get(PipelineRun, self.run_id, populate_existing=True)
            if project_status is not None:
                project = await session.get(Project, self.project_id, populate_existing=True)
                if project is not None:
                    project.status, project.error_message = project_status, error
            await settle_unanswered_attempts(session, self.run_id, dropped=self.ctx.dropped)
            if run is not None:
                await _finish(session, run, status, error, self.ctx.stats, self.clock)
            await session.commit()

        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(save())


@contextlib.asynccontextmanager
async def leased_run(
    session: AsyncSession,
    project_id: uuid.UUID,
    settings: Settings,
    registry: ProviderRegistry,
    progress_callback: ProgressCallback | None,
    *,
    admit: Callable[[Project], None] | None = None,
    failed: ProjectStatus | None,
    providers: ProviderSet | None = None,
) -> AsyncIterator[OpenRun]:
    """Hold the project's lease, load the project (`admit` may refuse it: nothing is recorded
    then) and open its run row: the scaffolding every run shares. `failed`: the project's status
    when the run fails (None: it keeps its own); `providers`: already built by the caller."""
    engine = session.bind
    assert isinstance(engine, AsyncEngine)
    async with hold_lease(
        engine, project_id, seconds=settings.lease_seconds, heartbeat=settings.heartbeat_seconds
    ) as lease:
        project = await load_project(session, project_id)
        if admit is not None:
            admit(project)
        ctx = await _open_run(
            session, project, settings, registry, lease, progress_callback, failed, providers
        )
        yield OpenRun(session, lease, project, ctx)


class _LeasedRun:
    def __init__(self, opened: OpenRun, settings: Settings, registry: ProviderRegistry) -> None:
        self.opened = opened
        self.session = opened.session
        self.project_id = opened.project_id
        self.settings = settings
        self.registry = registry
        self.lease = opened.lease
        self.failed_step: str | None = None

    async def run(self) -> Project:
        session, project, ctx = self.session, self.opened.project, self.opened.ctx
        stage: str | None = None  # None while the run is being planned
        try:
            async with _cancel_on_lost_lease(self.lease):
                project, stage = await self._prepare(project, ctx)
                self.opened.clock = Stopwatch()  # the run is timed from its plan on
                while stage != ProjectStatus.COMPLETE:
                    if _gate_before(project, stage):
                        return await self._pause(project, stage, ctx)
                    project = await self._enter(project, stage, ctx)
                    if stage == ProjectStatus.STITCHING:
                        if _stitch_due(ctx, project):
                            await self._step(stage, project, ctx)
                        break  # complete; the project is read back once, at the end
                    if stage == ProjectStatus.KEYFRAMING and project.pause_after != "keyframes":
                        await self._draw_and_animate(project, ctx)
                        stage = ProjectStatus.STITCHING
                    else:
                        if stage == ProjectStatus.VIDEO_GEN:  # after a review gate
                            await self._size_scenes(project, ctx)
                        await self._step(stage, project, ctx)
                        stage = STEP_TRANSITIONS[stage]
                    project = await load_project(session, self.project_id)
                    if stage == ProjectStatus.KEYFRAMING:  # the storyboard was just written
                        await self._plan(project, ctx)
        except BaseException as exc:
            step = self.failed_step or (PLAN_STEP if stage is None else STAGE_STEPS[stage])
            if self.lease.stop.is_set() and _cancelled_by_stop(exc):
                stop = stopped_by_user(self.project_id)
                await self._record_stop(ctx)
                current = asyncio.current_task()
                if current is not None:
                    current.uncancel()
                raise stop from None
            await self._record_failure(step, exc)
            cause = _root_cause(exc)
            if isinstance(cause, BadInputError):
                raise recorded(step, cause) from exc
            if cause is not exc and isinstance(cause, Exception):
                raise cause from exc  # callers catch BudgetExceededError, not a task group
            raise
        project.status, project.error_message = ProjectStatus.COMPLETE, None
        project.stale_stage = None
        await self.opened.close(RunStatus.COMPLETE)
        ctx.report(ProgressEvent("stage", ProjectStatus.COMPLETE, "Complete"))
        return await load_project(session, self.project_id)

    async def _prepare(self, project: Project, ctx: PipelineContext) -> tuple[Project, str]:
        """Plan the run and select the identical takes it reuses; the stage it starts at. A
        failure or a stop here is recorded like one in any step."""
        storage = ctx.storage
        adopt_legacy_fingerprints(project, storage, ctx.providers)
        takes = await project_takes(self.session, self.project_id)
        plan = await self._plan(project, ctx, takes)  # with what reuse selects: one walk
        apply_reuse(self.session, project, plan.reuses, ctx.providers, self.opened.run_id)
        await self.session.commit()
        if plan.reuses:  # rows were re-pointed: read them back as they are now
            project = await load_project(self.session, self.project_id)
            log.info(
                "project %s: reused %d identical take(s) instead of buying them again",
                self.project_id,
                len(plan.reuses),
                extra={"project_id": str(self.project_id)},
            )
            ctx.plan = plan = plan.after_reuse(project, storage)
        return project, plan.stage or ProjectStatus.STITCHING

    async def _plan(
        self, project: Project, ctx: PipelineContext, takes: list[Take] | None = None
    ) -> Plan:
        """What this run makes, handed to the steps through `ctx.plan`. The first plan is made
        with the project's takes: the reuses it lists are applied, and the chain is not walked
        again; a later plan (new scenes or durations) has no takes to look up."""
        try:
            add_narrator(self.registry, self.settings, project, ctx.providers)  # lines written now
            describe = await to_describe(self.session, project, ctx.providers.storyboard)
            names = [reference.name for reference in describe]
            ctx.plan = make_plan(project, ctx.storage, ctx.providers, names, takes)
        except Exception:
            self.failed_step = self.failed_step or PLAN_STEP  # e.g. a voice that cannot be built
            raise
        return ctx.plan

    async def _size_scenes(self, project: Project, ctx: PipelineContext) -> None:
        """`--clip-duration auto` sizes the scenes to their spoken lines before any clip is made;
        a duration that changed changes its clip's inputs, so the plan is made again."""
        if await size_scenes_to_lines(self.session, project, ctx):
            await self._plan(project, ctx)

    async def _pause(self, project: Project, stage: str, ctx: PipelineContext) -> Project:
        """Stop at a review gate (--pause-after): `paused`, resumable, nothing of `stage` called."""
        project.status, project.paused_before = ProjectStatus.PAUSED, stage
        project.pause_after, project.error_message = None, None
        await self.opened.close(RunStatus.PAUSED)
        ctx.report(
            ProgressEvent("stage", ProjectStatus.PAUSED, f"Paused before {stage} for review")
        )
        return await load_project(self.session, self.project_id)

    async def _step(self, stage: str, project: Project, ctx: PipelineContext) -> None:
        step = STAGE_STEPS[stage]
        watch = Stopwatch()
        try:
            await STEP_FUNCTIONS[stage](self.session, project, ctx)
        except Exception:
            self.failed_step = self.failed_step or step  # the first step to fail names the error
            raise
        finally:
            ctx.step_stats(step).seconds += watch.elapsed

    async def _draw_and_animate(self, project: Project, ctx: PipelineContext) -> None:
        """Keyframes and clips at once: a scene's clip starts as soon as its two frames exist.

        Status stays `keyframing` until the last keyframe lands, then `video_gen` while the
        remaining clips finish (status is the earliest stage not yet finished).
        """
        await self._size_scenes(project, ctx)  # `--clip-duration auto`
        ctx.scenes_ready = SceneGate(open_all=False)

        async def keyframes_then_advance() -> None:
            await self._step(ProjectStatus.KEYFRAMING, project, ctx)
            ctx.scenes_ready.open_all()
            async with ctx.db_lock:
                project.status = ProjectStatus.VIDEO_GEN
                await self.session.commit()
            ctx.report(_stage_event(ProjectStatus.VIDEO_GEN))

        async with asyncio.TaskGroup() as group:
            group.create_task(keyframes_then_advance())
            group.create_task(self._step(ProjectStatus.VIDEO_GEN, project, ctx))

    async def _enter(self, project: Project, stage: str, ctx: PipelineContext) -> Project:
        project.status, project.error_message, project.paused_before = stage, None, None
        project.stale_stage = None
        await self.session.commit()
        ctx.report(_stage_event(stage))
        log.info("project %s: %s", project.id, stage, extra={"project_id": str(project.id)})
        return project

    async def _record_stop(self, ctx: PipelineContext) -> None:
        """A stop the user asked for is an outcome, not an error: `stopped` (resumable), no
        error message, the run `stopped`; shielded like a failure so it is always recorded."""
        log.info("project %s: stopped by the user", self.project_id)
        await self.opened.abort(RunStatus.STOPPED, None, ProjectStatus.STOPPED)
        said = str(stopped_by_user(self.project_id))
        ctx.report(ProgressEvent("stage", ProjectStatus.STOPPED, said))

    async def _record_failure(self, step: str, exc: BaseException) -> None:
        """Commit `failed` with the step and cause; shielded so Ctrl+C can't cut it short."""
        message = failure_message(step, exc)
        interrupted = isinstance(exc, asyncio.CancelledError | KeyboardInterrupt)
        status = RunStatus.INTERRUPTED if interrupted else RunStatus.FAILED
        log.error("project %s: %s", self.project_id, message)
        await self.opened.abort(status, message, ProjectStatus.FAILED)


def recorded(step: str, exc: BadInputError) -> PipelineError:
    """Bad input met inside a run (a key that is not set, say) once the run recorded it as a
    failure: no longer a refusal that wrote nothing, so the doors show it as a failed run."""
    return PipelineError(failure_message(step, exc))


def failure_message(step: str, exc: BaseException) -> str:
    """ "<step> failed: <Type>: <message>", naming the first real error inside task groups;
    "<step> interrupted (...)" when Ctrl+C or SIGTERM cancelled it."""
    cause = _root_cause(exc)
    if isinstance(cause, asyncio.CancelledError | KeyboardInterrupt):  # not an error's name
        return f"{step} {_describe(cause)}"
    return f"{step} failed: {type(cause).__name__}: {_describe(cause)}"


async def _open_run(
    session: AsyncSession,
    project: Project,
    settings: Settings,
    registry: ProviderRegistry,
    lease: Lease,
    progress_callback: ProgressCallback | None,
    failed: ProjectStatus | None,
    providers: ProviderSet | None,
) -> PipelineContext:
    """What every run does once it holds the lease: tidy the folder, close runs a dead runner
    left open, record this run and build its providers. A provider that cannot be built (a
    voice without its key, say) fails the run, recorded like any failure."""
    storage = ProjectStorage(settings.projects_dir, project.id)
    storage.ensure_dirs()
    storage.remove_temporaries()
    await _close_abandoned_runs(session, project.id)
    project.stop_requested_at = None  # a stop asked of an earlier run is spent
    run = PipelineRun(project_id=project.id, runner=lease.owner, status=RunStatus.RUNNING, log={})
    session.add(run)
    await session.commit()
    clock = Stopwatch()
    try:
        if providers is None:
            providers = build_project_providers(registry, settings, project)
    except Exception as exc:
        message = failure_message(PLAN_STEP, exc)
        log.error("project %s: %s", project.id, message)
        if failed is not None:
            project.status, project.error_message = failed, message
        await _finish(session, run, RunStatus.FAILED, message, {}, clock)
        await session.commit()
        if failed is not None and isinstance(exc, BadInputError):
            raise recorded(PLAN_STEP, exc) from exc
        raise
    return PipelineContext(settings, providers, storage, progress_callback, run.id)


def _stitch_due(ctx: PipelineContext, project: Project) -> bool:
    """The plan asks for the stitch or the mix, and the final does not already match (clips
    remade from the same inputs came out as before: nothing to join anew)."""
    plan = ctx.planned()
    if not (plan.stitch or plan.mix):
        return False
    current = project.output_fingerprint is not None
    return not (current and output_is_current(project, ctx.storage))


class StoppedByUserError(Guided):
    """The run stopped because the user asked it to (`vidpipe stop`, the page's Stop): the
    project is `stopped` and resumable; callers report it as an outcome, never as an error."""


def stopped_by_user(project_id: uuid.UUID | str) -> StoppedByUserError:
    """What every surface says of a stopped run, with resume as the next step (the CLI spells
    it as the command)."""
    return StoppedByUserError("stopped by you; ", NextStep("resume", str(project_id)))


def _gate_before(project: Project, stage: str) -> bool:
    """A review gate (`generate --pause-after`) stands before `stage`."""
    gates = {"storyboard": ProjectStatus.KEYFRAMING, "keyframes": ProjectStatus.VIDEO_GEN}
    gate = gates.get(project.pause_after or "")
    return gate == stage


def _stage_event(stage: str) -> ProgressEvent:
    return ProgressEvent("stage", stage, PIPELINE_STATES[stage].capitalize())


async def _close_abandoned_runs(session: AsyncSession, project_id: uuid.UUID) -> None:
    """Runs left `running` by a runner that died; we hold the lease, so none is live."""
    await settle_unanswered_attempts(session, project_id=project_id)
    await session.execute(
        update(PipelineRun)
        .where(PipelineRun.project_id == project_id, PipelineRun.status == RunStatus.RUNNING)
        .values(
            status=RunStatus.ABANDONED,
            error="the runner stopped without finishing (killed or crashed)",
        )
        .execution_options(synchronize_session=False)
    )
    await session.commit()


def _root_cause(exc: BaseException) -> BaseException:
    """The first real error inside task-group wrappers, so the message names it."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _describe(exc: BaseException) -> str:
    if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt):
        return "interrupted (Ctrl+C or SIGTERM); resume to continue"
    return str(exc) or repr(exc)


async def _finish(
    session: AsyncSession,
    run: PipelineRun,
    status: RunStatus,
    error: str | None,
    stats: dict[str, StepStats],
    clock: Stopwatch,
) -> None:
    """Close the run; its log's calls and costs per step are counted from the ledger."""
    run.status, run.error = status, error
    run.completed_at = utcnow()
    run.total_duration_seconds = round(clock.elapsed, 3)
    calls = await ledger_stats(session, run.id)
    log: dict[str, dict[str, Any]] = {}
    for step in [*stats, *(step for step in calls if step not in stats)]:
        seconds = stats[step].seconds if step in stats else 0.0
        log[step] = {
            "seconds": round(seconds, 3),
            **calls.get(step, {"provider_calls": 0, "estimated_cost": 0.0}),
        }
    run.log = log


def _cancelled_by_stop(exc: BaseException) -> bool:
    """Whether the run ended because the stop cancelled it. Usually the cancellation itself
    arrives; but a step cancelled mid-write can end in another error instead (its clean-up
    meets a session the cancelled flush left rolled back). The run's task still counts the
    stop's cancellation then, and the user's stop is what happened: `stopped`, not `failed`."""
    if isinstance(exc, asyncio.CancelledError):
        return True
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


@contextlib.asynccontextmanager
async def _cancel_on_lost_lease(lease: Lease) -> AsyncIterator[None]:
    """If the heartbeat loses the lease, another runner may own the project: stop at once.
    A stop asked by the user (vidpipe stop) stops the run the same way: every await is a safe point
    (rows and files are committed atomically; submitted operations keep their ids)."""
    task = asyncio.current_task()
    assert task is not None

    async def watch() -> None:
        lost, stop = (
            asyncio.ensure_future(lease.lost.wait()),
            asyncio.ensure_future(lease.stop.wait()),
        )
        try:
            await asyncio.wait({lost, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            lost.cancel()
            stop.cancel()
        task.cancel()

    watcher = asyncio.create_task(watch())
    try:
        yield
    finally:
        watcher.cancel()


async def plan_project(
    session: AsyncSession,
    project_id: uuid.UUID,
    *,
    settings: Settings,
    registry: ProviderRegistry,
) -> Plan:
    """What `resume` would generate now and its cost, with no provider call."""
    project = await load_project(session, project_id)
    return await plan_loaded_project(session, project, settings=settings, registry=registry)


async def plan_loaded_project(
    session: AsyncSession,
    project: Project,
    *,
    settings: Settings,
    registry: ProviderRegistry,
) -> Plan:
    """`plan_project` for a project the caller has just loaded (one load for plan and document)."""
    providers = build_project_providers(registry, settings, project)
    describe = [ref.name for ref in await to_describe(session, project, providers.storyboard)]
    storage = ProjectStorage(settings.projects_dir, project.id)
    takes = await project_takes(session, project.id)
    return make_plan(project, storage, providers, describe, takes)


_RESTITCHABLE = frozenset(
    {
        ProjectStatus.STITCHING,
        ProjectStatus.FAILED,
        ProjectStatus.STOPPED,
        ProjectStatus.OUT_OF_DATE,
    }
)


async def restitch_project(
    session: AsyncSession,
    project_id: uuid.UUID,
    crossfade: float | None = None,
    progress_callback: ProgressCallback | None = None,
    *,
    settings: Settings,
    registry: ProviderRegistry,
) -> Project:
    """Re-run only the stitch of a complete project, with other options (e.g. --crossfade)."""
    project = await load_project(session, project_id)
    providers = build_project_providers(registry, settings, project)
    storage = ProjectStorage(settings.projects_dir, project.id)
    complete = project.status == ProjectStatus.COMPLETE
    # a complete project's clips are current: only the lines to speak are planned
    plan = (
        sound_plan(project, storage, providers)
        if complete
        else make_plan(project, storage, providers)
    )
    if not complete and not (
        project.status in _RESTITCHABLE
        and plan.stage in (ProjectStatus.STITCHING, None)  # the clips are all made and current
    ):
        raise NotResumableError(
            f"project {project_id} is {project.status}; only a project whose clips are all made "
            "and up to date can be re-stitched; ",
            NextStep("resume", str(project_id)),
        )
    for scene in project.scenes:  # a file gone since: refused before a run is recorded
        clip = scene.clip
        if clip is not None and clip.file_path and not storage.resolve(clip.file_path).is_file():
            raise NotResumableError(
                f"clip of scene {scene.scene_index + 1} ({clip.file_path}) is missing; "
                "resume makes it again and stitches the project"
            )
    if crossfade is not None:
        if not math.isfinite(crossfade) or crossfade < 0:
            # refused here, before a run is opened: nan passed every comparison below and
            # failed the stitch itself (exit 1, a failed run recorded)
            raise BadInputError(
                f"{crossfade:g}; give 0 (hard cuts) or more seconds", field="crossfade"
            )
        shortest = min(
            (s.clip.duration_seconds or 0.0 for s in project.scenes if s.clip is not None),
            default=0.0,
        )
        if crossfade > 0 and crossfade >= shortest:
            raise BadInputError(
                f"{crossfade:g}s; it must be shorter than the shortest clip ({shortest:g}s)",
                field="crossfade",
            )
    async with leased_run(
        session, project_id, settings, registry, progress_callback, failed=None, providers=providers
    ) as opened:
        project, ctx = opened.project, opened.ctx
        ctx.plan = plan
        step = STAGE_STEPS[ProjectStatus.STITCHING]
        try:
            if crossfade is not None:
                project.crossfade = crossfade  # committed with the new output, or rolled back
            await stitch_videos(session, project, ctx)
            project.status, project.error_message = ProjectStatus.COMPLETE, None
            project.stale_stage = None
        except BaseException as exc:
            # the project keeps its status (its final is what it was); the run records why
            await opened.abort(RunStatus.FAILED, failure_message(step, exc), None)
            raise
        ctx.step_stats(step).seconds += opened.clock.elapsed
        await opened.close(RunStatus.COMPLETE)
    return await load_project(session, project_id)  # read after the lease is let go
