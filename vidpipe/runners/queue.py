"""Queue mode: projects wait in a Procrastinate queue on PostgreSQL; workers run them.

One job kind: "bring project X up to date" (`run_pipeline`). Its `queueing_lock` is the project
id, so a project has at most one job waiting; its `lock` is the project id too, so at most one
runs. The project lease stays the second guard: a job that cannot take it ends cleanly (a CLI
`resume` in the foreground holds it), unless the job is a retry of a run whose worker died, in
which case the dead runner's lease runs out first and the job tries again then.

The API, `generate --detach` and `resume --detach` only enqueue (`enqueue`); `vidpipe worker`
runs the jobs (vidpipe.runners.worker).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vidpipe.config import Settings
from vidpipe.db.models import Project, utcnow
from vidpipe.errors import NotResumableError, ProjectBusyError
from vidpipe.providers.registry import ProviderRegistry
from vidpipe.runners.progress import ProgressHub
from vidpipe.runners.progress_relay import (
    STALE_SECONDS,
    Send,
    notifier,
    publish_progress,
    relaying,
)

if TYPE_CHECKING:
    import procrastinate

log = logging.getLogger(__name__)

QUEUE = "projects"
TASK_NAME = "vidpipe.bring_up_to_date"
MAX_ATTEMPTS = 100  # retries after worker deaths and shutdowns; a run's own failure is final


def conninfo(database_url: str) -> str:
    """The libpq URL (psycopg, Procrastinate) of our SQLAlchemy PostgreSQL URL."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class RunAgainLater(Exception):  # noqa: N818  (a signal to the retry strategy, not an error)
    """The job must run again: its worker is stopping, or a dead runner's lease has not expired."""

    def __init__(self, message: str, after_seconds: float = 0.0) -> None:
        super().__init__(message)
        self.after_seconds = after_seconds


def make_app(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession] | None = None,
    registry: ProviderRegistry | None = None,
) -> procrastinate.App:
    """The Procrastinate app; with `sessions` and `registry` it can also run the job."""
    import procrastinate
    from procrastinate import retry

    class AfterDeathOrShutdown(retry.BaseRetryStrategy):
        def get_retry_decision(
            self, *, exception: BaseException, job: procrastinate.jobs.Job
        ) -> retry.RetryDecision | None:
            if not isinstance(exception, RunAgainLater) or job.attempts >= MAX_ATTEMPTS:
                return None
            # procrastinate types the seconds as int; they go to timedelta, which takes a float
            wait = {"seconds": exception.after_seconds}
            return retry.RetryDecision(retry_in=wait)  # type: ignore[call-overload]

    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(
            conninfo=conninfo(settings.effective_database_url),
            kwargs={"application_name": "vidpipe"},
        )
    )

    @app.task(name=TASK_NAME, queue=QUEUE, pass_context=True, retry=AfterDeathOrShutdown())
    async def bring_up_to_date(context: procrastinate.JobContext, project_id: str) -> str:
        assert sessions is not None and registry is not None, "a worker app runs jobs"
        return await run_job(
            context, uuid.UUID(project_id), settings, sessions, registry, notifier(app)
        )

    return app


async def enqueue(app: procrastinate.App, session: AsyncSession, project_id: uuid.UUID) -> bool:
    """Queue "bring the project up to date"; False when a job for it already waits."""
    from procrastinate.exceptions import AlreadyEnqueued

    await mark_queued(session, project_id, True)
    key = str(project_id)
    try:
        await (
            app.tasks[TASK_NAME].configure(lock=key, queueing_lock=key).defer_async(project_id=key)
        )
    except AlreadyEnqueued:
        return False
    return True


async def mark_queued(session: AsyncSession, project_id: uuid.UUID, queued: bool) -> None:
    """The project's `queued_at`, which status documents show as `queued`."""
    await session.execute(
        update(Project)
        .where(Project.id == project_id)
        .values(queued_at=utcnow() if queued else None)
        .execution_options(synchronize_session=False)
    )
    await session.commit()


async def run_job(
    context: procrastinate.JobContext,
    project_id: uuid.UUID,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    registry: ProviderRegistry,
    send: Send | None = None,
) -> str:
    """One job: bring the project up to date. Returns what happened (kept as the job's result).

    Its progress goes out through `send` (PostgreSQL notifications) to the API servers. A
    deleted or complete project, or one another runner holds, ends the job without error; a
    failed run is recorded on the project (resumable) and ends it too. Only a stop of this
    worker (SIGTERM) or a dead runner's lease asks Procrastinate to run the job again.
    """
    from procrastinate.job_context import AbortReason

    from vidpipe.orchestrator.pipeline import StoppedByUserError, run_pipeline

    async with sessions() as session:
        project = await session.get(Project, project_id)
        if project is None:
            log.info("project %s was deleted; nothing to do", project_id)
            return "deleted"
        # taking the lease clears `queued` (orchestrator/leases.py); a job that runs nothing
        # clears it below
        hub = ProgressHub()
        try:
            async with _published(hub, project_id, send):
                progress = hub.reporter(project_id)
                await run_pipeline(
                    session, project_id, progress, settings=settings, registry=registry
                )
        except ProjectBusyError as exc:
            if context.job.attempts == 0:
                log.info("project %s not run: %s", project_id, exc)
                await mark_queued(session, project_id, False)
                return "busy"
            await mark_queued(session, project_id, True)
            raise RunAgainLater(str(exc), after_seconds=settings.lease_seconds) from None
        except NotResumableError as exc:
            log.info("project %s: %s", project_id, exc)
            await mark_queued(session, project_id, False)
            return "nothing to do"
        except StoppedByUserError:
            return "stopped"
        except asyncio.CancelledError:
            if context.abort_reason() != AbortReason.SHUTDOWN:
                raise
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
            await asyncio.shield(mark_queued(session, project_id, True))
            raise RunAgainLater("the worker is stopping") from None
        except Exception as exc:  # recorded on the project by run_pipeline; resumable
            log.warning("project %s failed: %s: %s", project_id, type(exc).__name__, exc)
            await mark_queued(session, project_id, False)  # if it failed before taking the lease
            return f"failed: {type(exc).__name__}"
        finally:
            hub.finish(project_id)
    return "complete"


def _published(
    hub: ProgressHub, project_id: uuid.UUID, send: Send | None
) -> contextlib.AbstractAsyncContextManager[None]:
    if send is None:
        return contextlib.nullcontext()
    return publish_progress(hub, project_id, send)


Sessions = Callable[[], contextlib.AbstractAsyncContextManager[AsyncSession]]


class QueueRunner:
    """What the API server holds in queue mode instead of a BackgroundRunner: it only enqueues.

    Same interface as BackgroundRunner, so routes don't care which mode they serve; whether a
    project waits or runs is read from the database (`queued_at`, the lease)."""

    def __init__(self, app: procrastinate.App, sessions: Sessions) -> None:
        self.app = app
        self.sessions = sessions
        # progress of the runs in workers, relayed (runners/progress_relay.py); restitch uses it too
        self.hub = ProgressHub(stale_after=STALE_SECONDS)

    def relaying(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Receive the workers' progress while the block runs (the API server's lifespan)."""
        return relaying(self.app, self.hub)

    async def enqueue(self, project_id: uuid.UUID) -> bool:
        async with self.sessions() as session:
            return await enqueue(self.app, session, project_id)

    def is_active(self, project_id: uuid.UUID) -> bool:
        return False

    def is_queued(self, project_id: uuid.UUID) -> bool:
        return False  # the document's own `queued` (from the database) says it

    async def withdraw(self, project_id: uuid.UUID) -> bool:
        """Cancel the project's job while no worker has taken it: Procrastinate turns a `todo`
        job `cancelled` in one statement and leaves alone one a worker has just taken (that run
        is stopped through its lease)."""
        manager = self.app.job_manager
        waiting = await manager.list_jobs_async(
            task=TASK_NAME, queueing_lock=str(project_id), status="todo"
        )
        cancelled = False
        for job in waiting:
            if job.id is not None and await manager.cancel_job_by_id_async(job.id):
                cancelled = True
        return cancelled

    @property
    def active_count(self) -> int:
        return 0

    @property
    def running_count(self) -> int:
        return 0


@contextlib.asynccontextmanager
async def queue_runner_for(settings: Settings, session: AsyncSession) -> AsyncIterator[QueueRunner]:
    """A QueueRunner for one CLI command (`--detach`): the queue's connection is open for the
    block, and jobs are enqueued through the command's own session."""
    app = make_app(settings)
    async with app.open_async():
        yield QueueRunner(app, lambda: contextlib.nullcontext(session))
