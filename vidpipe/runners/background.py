"""The API server's runner: a capped pool of pipeline runs inside the server process.

Each run is an asyncio task calling `run_pipeline`, which holds the project's database lease for
the whole run; a project someone else holds is refused (ProjectBusyError) and left alone. Runs
beyond the cap wait for a slot as `pending` projects. On start the runner takes over the projects
whose runner died (lease expired) and finishes them; on shutdown it cancels its runs, which record
`failed` ("... interrupted") and stay resumable, as does every project still waiting for a slot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import uuid
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vidpipe.config import Settings
from vidpipe.db.models import PipelineRun, Project, utcnow
from vidpipe.db.statuses import ProjectStatus
from vidpipe.errors import NotResumableError, ProjectBusyError
from vidpipe.orchestrator.leases import is_held
from vidpipe.orchestrator.pipeline import StoppedByUserError, run_pipeline
from vidpipe.orchestrator.state import STAGE_STEPS
from vidpipe.pipeline.context import ProgressCallback
from vidpipe.providers.registry import ProviderRegistry
from vidpipe.runners.progress import ProgressHub

log = logging.getLogger(__name__)

Execute = Callable[[AsyncSession, uuid.UUID, ProgressCallback], Awaitable[object]]

WORKING_STATES = frozenset(STAGE_STEPS)  # storyboarding, keyframing, video_gen, stitching
# A `pending` project that never ran is taken over only once it is this old, so a CLI `generate`
# that created it a moment ago and is about to take its lease is not raced.
PENDING_GRACE_SECONDS = 5.0
SHUTDOWN_GRACE_SECONDS = 30.0
# Nice value of the threads that render (the loop's default executor, where providers put their
# CPU work, and the encoder threads they start): the event loop answering requests keeps its
# priority, so polling stays quick while renders use every idle cycle (docs/PERFORMANCE.md).
RENDER_NICENESS = 10
_RENDER_LOOPS: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()


def _lower_this_threads_priority() -> None:
    with contextlib.suppress(AttributeError, OSError):  # Linux: niceness is per thread
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), RENDER_NICENESS)


def render_at_background_priority(loop: asyncio.AbstractEventLoop) -> None:
    """Give the loop a default executor whose threads run at RENDER_NICENESS (once per loop)."""
    if loop in _RENDER_LOOPS:
        return
    _RENDER_LOOPS.add(loop)
    loop.set_default_executor(
        ThreadPoolExecutor(
            thread_name_prefix="vidpipe-render", initializer=_lower_this_threads_priority
        )
    )


class BackgroundRunner:
    """Runs projects in this process, at most `settings.api_max_runs` at a time."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        registry: ProviderRegistry,
        *,
        execute: Execute | None = None,
        hub: ProgressHub | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.registry = registry
        self.hub = hub or ProgressHub()
        self._execute = execute or self._run_pipeline
        self._slots = asyncio.Semaphore(settings.api_max_runs)
        self._tasks: dict[uuid.UUID, asyncio.Task[None]] = {}
        self._started: set[uuid.UUID] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self._closing = False

    # -- what the API asks ---------------------------------------------------------------------

    def submit(self, project_id: uuid.UUID) -> bool:
        """Queue a run of the project; False if this runner already has it (or is stopping)."""
        if self._closing or project_id in self._tasks:
            return False
        task = asyncio.create_task(self._run(project_id), name=f"vidpipe-run-{project_id}")
        self._tasks[project_id] = task

        def forget(done: asyncio.Task[None]) -> None:
            if self._tasks.get(project_id) is done:
                del self._tasks[project_id]

        task.add_done_callback(forget)
        return True

    async def enqueue(self, project_id: uuid.UUID) -> bool:
        """`submit`, under the name the queue runner (vidpipe.runners.queue) shares."""
        return self.submit(project_id)

    def is_active(self, project_id: uuid.UUID) -> bool:
        """Running here, or waiting here for a slot."""
        return project_id in self._tasks

    def is_queued(self, project_id: uuid.UUID) -> bool:
        return project_id in self._tasks and project_id not in self._started

    async def withdraw(self, project_id: uuid.UUID) -> bool:
        """Cancel a run still waiting for a slot: it has taken no lease and called nothing, so
        it ends at once (a run that started is stopped through its lease instead)."""
        if not self.is_queued(project_id):
            return False
        self._tasks.pop(project_id).cancel()  # no await since the check: it cannot have started
        return True

    @property
    def active_count(self) -> int:
        return len(self._tasks)

    @property
    def running_count(self) -> int:
        return len(self._started)

    # -- life cycle ----------------------------------------------------------------------------

    async def start(self) -> list[uuid.UUID]:
        """Take over orphaned projects now, and once more when leases seen alive could expire."""
        render_at_background_priority(asyncio.get_running_loop())
        taken = await self.recover()
        self._sweeper = asyncio.create_task(self._sweep_later(), name="vidpipe-recovery-sweep")
        return taken

    async def shutdown(self, grace: float = SHUTDOWN_GRACE_SECONDS) -> None:
        """Cancel every run; each records `failed` (interrupted) and releases its lease."""
        self._closing = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:  # its lease expires on its own; resume finishes it
                log.warning("run %s did not stop within %.0fs", task.get_name(), grace)

    async def recover(self) -> list[uuid.UUID]:
        """Queue projects whose runner died: a working status nobody alive holds, or a `pending`
        project that never ran and nobody holds (accepted, then the server died)."""
        now = utcnow()
        never_ran = ~exists().where(PipelineRun.project_id == Project.id)
        async with self.sessions() as session:
            candidates = await session.scalars(
                select(Project)
                .where(
                    Project.status.in_(WORKING_STATES)
                    | (
                        (Project.status == ProjectStatus.PENDING)
                        & Project.lease_owner.is_(None)
                        & (Project.created_at < now - timedelta(seconds=PENDING_GRACE_SECONDS))
                        & never_ran
                    )
                )
                .order_by(Project.created_at)
            )
            orphans = [project.id for project in candidates if not is_held(project)]
        taken = [project_id for project_id in orphans if self.submit(project_id)]
        if taken:
            log.info("taking over %d project(s) whose runner died: %s", len(taken), taken)
        return taken

    async def _sweep_later(self) -> None:
        await asyncio.sleep(self.settings.lease_seconds + 1.0)
        try:
            await self.recover()
        except Exception:  # a database hiccup must not take the server down
            log.exception("recovery sweep failed")

    # -- one run -------------------------------------------------------------------------------

    async def _run(self, project_id: uuid.UUID) -> None:
        async with self._slots:
            self._started.add(project_id)
            progress = self.hub.reporter(project_id)
            try:
                async with self.sessions() as session:
                    await self._execute(session, project_id, progress)
            except (ProjectBusyError, NotResumableError) as exc:
                log.info("project %s not run: %s", project_id, exc)
            except StoppedByUserError:  # an outcome (already logged), not a failure
                pass
            except Exception as exc:  # recorded on the project by run_pipeline; resumable
                log.warning("project %s failed: %s: %s", project_id, type(exc).__name__, exc)
            finally:
                self._started.discard(project_id)
                self.hub.finish(project_id)

    async def _run_pipeline(
        self, session: AsyncSession, project_id: uuid.UUID, progress: ProgressCallback
    ) -> object:
        return await run_pipeline(
            session, project_id, progress, settings=self.settings, registry=self.registry
        )


@contextlib.asynccontextmanager
async def background_runner(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    registry: ProviderRegistry,
    *,
    execute: Execute | None = None,
) -> AsyncIterator[BackgroundRunner]:
    """A started runner for the block; stopped (runs cancelled, left resumable) on exit."""
    runner = BackgroundRunner(sessions, settings, registry, execute=execute)
    await runner.start()
    try:
        yield runner
    finally:
        await runner.shutdown()
