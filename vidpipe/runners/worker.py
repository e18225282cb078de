"""`vidpipe worker`: one process running queued projects (queue mode on PostgreSQL).

Besides Procrastinate's own loop (fetch a job, run it, heartbeat), each worker keeps watch:

- it registers itself in `workers` (host, pid, concurrency) and beats there, so `vidpipe
  workers` and `/api/health` list the live ones;
- it looks for jobs left `doing` by a worker whose heartbeat stopped (killed, machine lost) and
  hands them back to the queue; the worker that picks one up takes over the dead runner's lease
  and collects the operations it had submitted instead of submitting them again.

SIGTERM (or Ctrl+C) stops the worker at once at a safe point: the running projects record
`failed` ("interrupted"), stay resumable, and their jobs go back to the queue for another worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vidpipe.config import Settings
from vidpipe.db.models import Worker, utcnow
from vidpipe.providers.registry import ProviderRegistry
from vidpipe.runners.queue import QUEUE, TASK_NAME, make_app, mark_queued

log = logging.getLogger(__name__)


async def run_worker(settings: Settings, registry: ProviderRegistry, concurrency: int) -> None:
    """Run jobs until SIGTERM/SIGINT; migrations (and the queue's schema) are applied first."""
    from vidpipe.db.engine import open_database
    from vidpipe.db.limits import dispose_shared_engines
    from vidpipe.orchestrator.leases import runner_identity
    from vidpipe.runners.background import render_at_background_priority

    render_at_background_priority(asyncio.get_running_loop())
    identity = runner_identity()
    async with open_database(settings.effective_database_url) as sessions:
        app = make_app(settings, sessions, registry)
        async with app.open_async():
            await _register(sessions, identity, concurrency)
            watch = asyncio.create_task(_keep_watch(app, sessions, identity, settings))
            log.info("worker %s: %d project(s) at once", identity, concurrency)
            try:
                await app.run_worker_async(
                    queues=[QUEUE],
                    concurrency=concurrency,
                    name=identity,
                    update_heartbeat_interval=settings.worker_heartbeat_seconds,
                    stalled_worker_timeout=settings.worker_stalled_seconds,
                    fetch_job_polling_interval=settings.worker_heartbeat_seconds,
                    shutdown_graceful_timeout=0,  # every await of a run is a safe point
                    install_signal_handlers=True,
                )
            finally:
                watch.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watch
                async with sessions() as session:
                    await session.execute(delete(Worker).where(Worker.id == identity))
                    await session.commit()
                await dispose_shared_engines()


async def _register(
    sessions: async_sessionmaker[AsyncSession], identity: str, concurrency: int
) -> None:
    async with sessions() as session:
        now = utcnow()
        session.add(
            Worker(
                id=identity,
                host=socket.gethostname(),
                pid=os.getpid(),
                concurrency=concurrency,
                started_at=now,
                last_heartbeat=now,
            )
        )
        await session.commit()


async def _keep_watch(
    app: object, sessions: async_sessionmaker[AsyncSession], identity: str, settings: Settings
) -> None:
    while True:
        await asyncio.sleep(settings.worker_heartbeat_seconds)
        try:
            async with sessions() as session:
                await _beat(session, identity, settings)
                await requeue_stalled_jobs(app, session, settings)
        except Exception:  # a database hiccup must not stop the worker; the next beat retries
            log.warning("worker watch failed", exc_info=True)


async def _beat(session: AsyncSession, identity: str, settings: Settings) -> None:
    now = utcnow()
    await session.execute(update(Worker).where(Worker.id == identity).values(last_heartbeat=now))
    dead_before = now - timedelta(seconds=settings.worker_stalled_seconds)
    await session.execute(delete(Worker).where(Worker.last_heartbeat < dead_before))
    await session.commit()


async def requeue_stalled_jobs(app: object, session: AsyncSession, settings: Settings) -> int:
    """Hand back to the queue the jobs of workers silent for `worker_stalled_seconds`.

    Several workers may find the same job; only one retry succeeds (the others find it no longer
    `doing`)."""
    import procrastinate

    assert isinstance(app, procrastinate.App)
    stalled = await app.job_manager.get_stalled_jobs(
        queue=QUEUE,
        task_name=TASK_NAME,
        seconds_since_heartbeat=settings.worker_stalled_seconds,
    )
    handed_back = 0
    for job in stalled:
        project_id = job.task_kwargs.get("project_id")
        if isinstance(project_id, str):
            await mark_queued(session, uuid.UUID(project_id), True)
        try:
            await app.job_manager.retry_job(job)
        except Exception:  # another worker handed it back first
            continue
        handed_back += 1
        log.warning("job %s of project %s: its worker died; queued again", job.id, project_id)
    return handed_back
