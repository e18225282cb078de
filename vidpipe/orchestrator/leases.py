"""One runner per project at a time: a lease row with a heartbeat.

The lease is two columns on `projects`, taken by a single conditional UPDATE so that two runners
racing for it cannot both win, on SQLite or PostgreSQL. A holder that died stops renewing and its
lease expires; on the same host a dead holder's pid is noticed at once and the lease taken over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from vidpipe.db.models import Project, utcnow
from vidpipe.db.statuses import ProjectStatus
from vidpipe.errors import BadInputError, NextStep, ProjectBusyError, ProjectNotFoundError


class NotRunningError(BadInputError):
    """The project is not running."""


log = logging.getLogger(__name__)


def runner_identity() -> str:
    """host:pid:nonce — enough to tell whether a holder on this host still lives."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def holder_is_dead_here(owner: str) -> bool:
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False  # another runner in this very process is alive by definition
    import psutil  # only when a holder on this host has to be checked

    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def is_held(project: Project) -> bool:
    """The one definition of "running": an unexpired lease whose holder is alive. A holder on
    this host that died is noticed at once (its pid is gone); one elsewhere, when its lease
    runs out. Resume, approve, stop, edit, the status, the page and the event stream ask this."""
    owner, expires = project.lease_owner, project.lease_expires_at
    return bool(owner and expires and expires > utcnow() and not holder_is_dead_here(owner))


@dataclass
class Lease:
    project_id: uuid.UUID
    owner: str
    seconds: float
    lost: asyncio.Event
    stop: asyncio.Event = field(default_factory=asyncio.Event)  # `vidpipe stop` asked


async def try_acquire(
    session: AsyncSession, project_id: uuid.UUID, owner: str, seconds: float
) -> str | None:
    """Take the lease; return None on success or the current holder's description."""
    now = utcnow()
    taken = await session.execute(
        update(Project)
        .where(
            Project.id == project_id,
            or_(
                Project.lease_owner.is_(None),
                Project.lease_expires_at < now,
                Project.lease_owner == owner,
            ),
        )
        # a project being run no longer waits in the queue: one update, so there is no moment
        # when it looks neither queued nor running (event streams would end there)
        .values(
            lease_owner=owner, lease_expires_at=now + timedelta(seconds=seconds), queued_at=None
        )
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    if taken.rowcount == 1:  # type: ignore[attr-defined]
        return None
    project = await session.get(Project, project_id, populate_existing=True)
    if project is None or project.lease_owner is None:
        return await try_acquire(session, project_id, owner, seconds)
    holder = project.lease_owner
    if holder_is_dead_here(holder):
        stolen = await session.execute(
            update(Project)
            .where(Project.id == project_id, Project.lease_owner == holder)
            .values(
                lease_owner=owner, lease_expires_at=now + timedelta(seconds=seconds), queued_at=None
            )
            .execution_options(synchronize_session=False)
        )
        await session.commit()
        if stolen.rowcount == 1:  # type: ignore[attr-defined]
            log.info("took over the lease of dead runner %s", holder)
            return None
    return describe_holder(holder, project.lease_expires_at)


def describe_holder(owner: str, expires: datetime | None) -> str:
    """Who holds a lease, in words: "pid N on HOST (lease renews, expires in Ss)"."""
    left = max(0.0, (expires - utcnow()).total_seconds()) if expires else 0.0
    host, _, rest = owner.partition(":")
    return f"pid {rest.partition(':')[0]} on {host} (lease renews, expires in {left:.0f}s)"


def busy_error(project_id: uuid.UUID, owner: str, expires: datetime | None) -> ProjectBusyError:
    """The refusal when someone else holds the project's lease."""
    return _held_by(project_id, describe_holder(owner, expires))


def _held_by(project_id: uuid.UUID, holder: str) -> ProjectBusyError:
    return ProjectBusyError(
        f"project {project_id} is already being run by {holder}; wait for it to finish, or ",
        NextStep("stop", str(project_id)),
    )


async def release(session: AsyncSession, project_id: uuid.UUID, owner: str) -> None:
    await session.execute(
        update(Project)
        .where(Project.id == project_id, Project.lease_owner == owner)
        .values(lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    await session.commit()


STOP_POLL_SECONDS = 0.5


async def _watch_for_stop(engine: AsyncEngine, lease: Lease) -> None:
    """A stop asked from any process (`vidpipe stop`, the API) arrives through the database."""
    async with AsyncSession(engine) as session:
        while not lease.stop.is_set():
            await asyncio.sleep(STOP_POLL_SECONDS)
            asked = await session.scalar(
                select(Project.stop_requested_at).where(Project.id == lease.project_id)
            )
            await session.commit()
            if asked is not None:
                log.info("project %s: stop requested", lease.project_id)
                lease.stop.set()


async def request_stop(session: AsyncSession, project_id: uuid.UUID) -> None:
    """Ask the lease holder to stop at its next safe point; refused when nobody runs it."""
    project = await session.get(Project, project_id, populate_existing=True)
    if project is None:
        raise ProjectNotFoundError(f"no project with id {project_id}")
    if not is_held(project):
        raise NotRunningError(f"project {project_id} is not running; nothing to stop")
    project.stop_requested_at = utcnow()
    await session.commit()


async def record_stopped_unstarted(session: AsyncSession, project_id: uuid.UUID) -> None:
    """A run taken out of the queue before it started ends as a stop before any step does:
    `stopped`, no error, resumable; nothing was called, so nothing is paid."""
    await session.execute(
        update(Project)
        .where(Project.id == project_id)
        .values(
            status=ProjectStatus.STOPPED, error_message=None, paused_before=None, queued_at=None
        )
        .execution_options(synchronize_session=False)
    )
    await session.commit()


async def _heartbeat(engine: AsyncEngine, lease: Lease, interval: float) -> None:
    async with AsyncSession(engine) as session:
        while True:
            await asyncio.sleep(interval)
            renewed = await session.execute(
                update(Project)
                .where(Project.id == lease.project_id, Project.lease_owner == lease.owner)
                .values(lease_expires_at=utcnow() + timedelta(seconds=lease.seconds))
                .execution_options(synchronize_session=False)
            )
            await session.commit()
            if renewed.rowcount != 1:  # type: ignore[attr-defined]
                log.error("lost the lease on project %s", lease.project_id)
                lease.lost.set()
                return


@contextlib.asynccontextmanager
async def hold_lease(
    engine: AsyncEngine,
    project_id: uuid.UUID,
    *,
    seconds: float,
    heartbeat: float,
    owner: str | None = None,
) -> AsyncIterator[Lease]:
    """Hold the project's lease for the block, renewing it; ProjectBusyError if someone has it."""
    owner = owner or runner_identity()
    async with AsyncSession(engine) as session:
        holder = await try_acquire(session, project_id, owner, seconds)
        if holder is not None:
            raise _held_by(project_id, holder)
    lease = Lease(project_id, owner, seconds, asyncio.Event())
    beat = asyncio.create_task(_heartbeat(engine, lease, min(heartbeat, seconds / 3)))
    watch = asyncio.create_task(_watch_for_stop(engine, lease))
    try:
        yield lease
    finally:
        for task in (beat, watch):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        async with AsyncSession(engine) as session:
            await release(session, project_id, owner)
