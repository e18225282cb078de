"""On start the server takes over projects whose runner died; on shutdown its runs stop at
a safe point and everything stays resumable."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from datetime import timedelta

from api_helpers import SMALL, TINY, Recorder, finished, serving, wait_until
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.config import Settings
from vidpipe.db.engine import open_database
from vidpipe.db.models import PipelineRun, Project, utcnow
from vidpipe.db.queries import load_project
from vidpipe.orchestrator.projects import GenerateOptions, create_project


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


async def add(
    session: AsyncSession, settings: Settings, status: str, **columns: object
) -> uuid.UUID:
    project = await create_project(session, settings, GenerateOptions(prompt=status, **TINY))
    await session.execute(
        update(Project).where(Project.id == project.id).values(status=status, **columns)
    )
    await session.commit()
    return project.id


async def test_orphans_are_taken_over_at_start_and_live_holders_left_alone(
    settings: Settings,
) -> None:
    settings = settings.model_copy(update={"lease_seconds": 2.0})
    here, now = socket.gethostname(), utcnow()
    soon, past = now + timedelta(seconds=60), now - timedelta(seconds=5)
    old = now - timedelta(minutes=1)
    async with open_database(settings.effective_database_url) as sessions, sessions() as session:
        dead = f"{here}:{dead_pid()}:0"
        dead_here = await add(
            session, settings, "video_gen", lease_owner=dead, lease_expires_at=soon
        )
        expired = await add(
            session, settings, "stitching", lease_owner="elsewhere:1:0", lease_expires_at=past
        )
        unheld = await add(session, settings, "storyboarding")
        accepted_then_died = await add(session, settings, "pending", created_at=old)
        alive = f"{here}:{os.getpid()}:x"  # this very process holds it
        await add(session, settings, "keyframing", lease_owner=alive, lease_expires_at=soon)
        await add(session, settings, "pending")  # just created by a CLI `generate`: not raced
        ran_before = await add(session, settings, "pending", created_at=old)
        session.add(PipelineRun(project_id=ran_before, status="failed", log={}))
        await session.commit()
        await add(session, settings, "failed", created_at=old)
        await add(session, settings, "complete", created_at=old)
        # held on another host by a live lease: taken only once it expires (the second sweep,
        # a lease length after start)
        expires = utcnow() + timedelta(seconds=settings.lease_seconds)
        expiring = await add(
            session, settings, "video_gen", lease_owner="elsewhere:2:0", lease_expires_at=expires
        )

    recorder = Recorder()
    async with serving(settings, execute=recorder):
        first = {dead_here, expired, unheld, accepted_then_died}
        await wait_until(lambda: set(recorder.calls) == first, timeout=1.5)
        assert len(recorder.calls) == 4
        # (the stand-in leaves them orphaned, so the second sweep queues them again too)
        await wait_until(lambda: expiring in recorder.calls, timeout=5)
    assert set(recorder.calls) == first | {expiring}


async def test_shutdown_interrupts_runs_at_a_safe_point_and_they_resume(
    sqlite_settings: Settings,
) -> None:
    capped = sqlite_settings.model_copy(update={"api_max_runs": 1})
    async with serving(capped) as (app, client):
        running = (await client.post("/api/generate", json={"prompt": "a", **SMALL})).json()
        waiting = (await client.post("/api/generate", json={"prompt": "b", **SMALL})).json()

        async def working() -> bool:
            status = (await client.get(running["status_url"])).json()["status"]
            return status in ("keyframing", "video_gen")

        await wait_until(working)
    # the lifespan ended (as on SIGTERM): the run recorded `interrupted`, the lease is free
    async with open_database(capped.effective_database_url) as sessions, sessions() as session:
        first = await load_project(session, uuid.UUID(running["project_id"]))
        second = await load_project(session, uuid.UUID(waiting["project_id"]))
    assert first.status == "failed" and "interrupted" in (first.error_message or "")
    assert first.lease_owner is None and [r.status for r in first.runs] == ["interrupted"]
    assert second.status == "pending" and second.lease_owner is None and not second.runs

    async with serving(capped) as (_, client):
        resumed = await client.post(f"/api/projects/{first.id}/resume")
        assert resumed.status_code == 202
        assert (await finished(client, str(first.id)))["status"] == "complete"
