"""Queue mode in-process, on real PostgreSQL: jobs that have nothing to do, one queued job per
project, and the global provider limits. The process-level behaviour (workers
killed, stopped, sharing projects) is in tests/acceptance/test_scale_out.py."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from remote_projects import new_project
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from vidpipe.config import Settings
from vidpipe.db.engine import create_engine, open_database
from vidpipe.db.limits import GlobalRateLimiter, global_slot
from vidpipe.db.migrate import upgrade_to_head
from vidpipe.db.models import Project
from vidpipe.orchestrator.leases import try_acquire
from vidpipe.providers.registry import load_registry
from vidpipe.runners.queue import QUEUE, enqueue, make_app

pytestmark = pytest.mark.postgres

TINY = {"scenes": 1, "clip_duration": 1, "resolution": "480p"}


@pytest.fixture
def queue_settings(tmp_path: Path, migrated_postgres_database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=migrated_postgres_database_url,
        execution="queue",
        storyboard_provider="sim",
        image_provider="sim",
        video_provider="sim",
        lease_seconds=10,
        heartbeat_seconds=1,
    )


@pytest.fixture
async def engine(migrated_postgres_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(migrated_postgres_database_url)
    await upgrade_to_head(engine)  # already at head: a no-op
    try:
        yield engine
    finally:
        await engine.dispose()


async def test_jobs_for_a_deleted_a_complete_or_a_held_project_end_without_error(
    queue_settings: Settings,
) -> None:
    async with open_database(queue_settings.effective_database_url) as sessions:
        app = make_app(queue_settings, sessions, load_registry())
        async with app.open_async():
            async with sessions() as session:
                done = await new_project(session, queue_settings, TINY)
                gone = await new_project(session, queue_settings, TINY)
                held = await new_project(session, queue_settings, TINY)
                assert await enqueue(app, session, done)
                assert not await enqueue(app, session, done)  # one queued job per project
                assert await enqueue(app, session, gone)
                assert await enqueue(app, session, held)
                # a foreground `vidpipe resume` on another machine holds this one
                assert await try_acquire(session, held, "elsewhere:4242:cafe", 60) is None
                leased = await session.get(Project, held, populate_existing=True)
                assert leased is not None and leased.queued_at is None  # run, no longer queued
                complete = await session.get(Project, done)
                assert complete is not None and complete.queued_at is not None
                complete.status = "complete"
                await session.delete(await session.get(Project, gone))
                await session.commit()
            await app.run_worker_async(
                queues=[QUEUE], wait=False, install_signal_handlers=False, listen_notify=False
            )
        async with sessions() as session:
            jobs = (
                await session.execute(
                    text("SELECT args->>'project_id', status FROM procrastinate_jobs ORDER BY id")
                )
            ).all()
            assert jobs == [
                (str(done), "succeeded"),
                (str(gone), "succeeded"),
                (str(held), "succeeded"),
            ]
            runs = await session.scalar(text("SELECT count(*) FROM pipeline_runs"))
            assert runs == 0  # nothing was run
            project = await session.get(Project, done, populate_existing=True)
            assert project is not None and project.status == "complete"
            assert project.queued_at is None
            untouched = await session.get(Project, held, populate_existing=True)
            assert untouched is not None and untouched.status == "pending"
            assert untouched.lease_owner == "elsewhere:4242:cafe"


async def test_global_slots_never_exceed_the_cap_across_holders(engine: AsyncEngine) -> None:
    active = peak = 0

    async def one(number: int) -> None:
        nonlocal active, peak
        holder = f"holder-{number}"  # as if each were another process
        async with global_slot(engine, "sim:video", 2, holder=holder, lease_seconds=5):
            active += 1
            peak = max(peak, active)
            await asyncio.sleep(0.05)
            active -= 1

    await asyncio.gather(*(one(n) for n in range(6)))
    assert peak == 2
    async with engine.connect() as connection:
        left = await connection.scalar(text("SELECT count(*) FROM provider_slots"))
    assert left == 0  # every slot given back


async def test_a_dead_holders_slot_frees_when_its_lease_expires(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:  # a holder that took both slots and then died
        await connection.execute(
            text(
                "INSERT INTO provider_slots (key, slot, holder, expires_at) "
                "SELECT 'google:video', s, 'dead', now() + interval '0.5 second' "
                "FROM generate_series(0, 1) AS s"
            )
        )

    async def take() -> int:
        async with global_slot(engine, "google:video", 2, holder="alive", lease_seconds=5) as slot:
            return slot

    assert await asyncio.wait_for(take(), timeout=30) in (0, 1)


async def test_requests_per_minute_are_counted_across_limiters(engine: AsyncEngine) -> None:
    key = f"google:video-{uuid.uuid4().hex[:6]}"
    here, elsewhere = GlobalRateLimiter(engine, key, 3), GlobalRateLimiter(engine, key, 3)
    assert [await here._try() for _ in range(2)] == [0.0, 0.0]
    assert await elsewhere._try() == 0.0
    wait = await here._try()  # the window is full, whoever asks
    assert 0 < wait <= 60
    assert await elsewhere._try() > 0


async def test_stop_cancels_a_job_no_worker_has_taken_and_resume_queues_it_again(
    queue_settings: Settings,
) -> None:
    from vidpipe.app import runs
    from vidpipe.orchestrator.leases import NotRunningError
    from vidpipe.runners.queue import QueueRunner

    async with open_database(queue_settings.effective_database_url) as sessions:
        registry = load_registry()
        app = make_app(queue_settings, sessions, registry)
        async with app.open_async():
            queue = QueueRunner(app, sessions)
            async with sessions() as session:
                waiting = await new_project(session, queue_settings, TINY)
                assert await queue.enqueue(waiting)
                await runs.stop(session, waiting, queue)
                project = await session.get(Project, waiting, populate_existing=True)
                assert project is not None and project.status == "stopped"
                assert project.queued_at is None and project.error_message is None
                with pytest.raises(NotRunningError):  # nothing waits or runs any more
                    await runs.stop(session, waiting, queue)
                status = "SELECT status FROM procrastinate_jobs ORDER BY id"
                jobs = (await session.execute(text(status))).scalars().all()
                assert jobs == ["cancelled"]
                await runs.resume(session, queue_settings, registry, waiting, queue)
            await app.run_worker_async(
                queues=[QUEUE], wait=False, install_signal_handlers=False, listen_notify=False
            )
        async with sessions() as session:
            jobs = (await session.execute(text(status))).scalars().all()
            assert jobs == ["cancelled", "succeeded"]
            project = await session.get(Project, waiting, populate_existing=True)
            assert project is not None and project.status == "complete"
            runs_made = await session.scalar(text("SELECT count(*) FROM pipeline_runs"))
            assert runs_made == 1  # the cancelled job never ran
