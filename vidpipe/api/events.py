"""The progress stream of one project, as Server-Sent Events.

Three event types, each with one JSON `data` line:

- `status`: the status document (as `GET .../status`) whenever status, lease, runner, queued or
  error changes; the first event of every stream.
- `progress`: the run (here, or a worker's in queue mode) reported progress: `stage`,
  `message`, `scene`, `fraction`, `stage_fraction`, `overall_fraction`, `eta_seconds`,
  `elapsed_seconds`.
- `end`: the status document once nothing works on the project any more and it does not wait in
  the queue for a worker (complete, failed, or left waiting for a resume); the stream closes
  after it.

Runs in this server publish their progress as it happens; in queue mode the workers' runs do too
(relayed through PostgreSQL, at most a few `progress` events a second per project, every stage
change kept). A stream opened mid-run gets the run's latest `progress` right after the first
`status`. Runs elsewhere (a CLI `resume`, another server in inline mode) are followed by polling
the database once a second: `status` events only.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import anyio
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sse_starlette import ServerSentEvent

from vidpipe.api import documents
from vidpipe.config import Settings
from vidpipe.db.models import Project
from vidpipe.documents import ProgressPayload
from vidpipe.orchestrator.leases import is_held
from vidpipe.runners.base import Runner

POLL_SECONDS = 1.0
CHANGES = ("status", "running", "queued", "runner", "error_message", "output_path")


async def project_events(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    runner: Runner,
    project_id: uuid.UUID,
    *,
    stopping: anyio.Event | None = None,
    poll: float = POLL_SECONDS,
) -> AsyncIterator[ServerSentEvent]:
    """The stream; it also ends, without an `end` event, when `stopping` is set (shutdown)."""
    stopping = stopping or anyio.Event()
    loop = asyncio.get_running_loop()
    with runner.hub.subscribe(project_id) as queue:
        last: tuple[Any, ...] | None = None
        caught_up = False
        while not stopping.is_set():
            async with sessions() as session:
                project = await session.get(Project, project_id)
                if project is None:  # deleted under the stream
                    return
                document = documents.status(project, settings, runner)
                # waiting in the queue for a worker counts: the stream follows it
                busy = runner.is_active(project_id) or is_held(project) or document.queued
            key = tuple(getattr(document, name) for name in CHANGES)
            if key != last:
                last = key
                yield _event("status", document)
            if not busy:
                yield _event("end", document)
                return
            if not caught_up:  # a late subscriber: the stages it missed, then where the run stands
                caught_up = True
                entered = runner.hub.stages_entered(project_id)
                for payload in entered:
                    yield _event("progress", payload)
                latest = runner.hub.latest(project_id)
                if latest is not None and queue.empty() and latest not in entered:
                    yield _event("progress", latest)
            deadline = loop.time() + poll
            while (left := deadline - loop.time()) > 0:
                batch = await _next_batch(queue, stopping, left)
                if not batch:
                    break
                for payload in coalesce(batch):
                    yield _event("progress", payload)


async def _next_batch(
    queue: asyncio.Queue[ProgressPayload], stopping: anyio.Event, timeout: float
) -> list[ProgressPayload]:
    """Everything queued once something is (waiting up to `timeout`); [] on time-out or stop."""
    with anyio.move_on_after(timeout):
        async with anyio.create_task_group() as group:

            async def stop_waiting() -> None:
                await stopping.wait()
                group.cancel_scope.cancel()

            group.start_soon(stop_waiting)
            first = await queue.get()
            group.cancel_scope.cancel()
            batch = [first]
            while not queue.empty():
                batch.append(queue.get_nowait())
            return batch
    return []


def coalesce(payloads: list[ProgressPayload]) -> list[ProgressPayload]:
    """Keep every stage change; of a run of updates to one item keep only the latest."""
    kept: list[ProgressPayload] = []
    for payload in payloads:
        previous = kept[-1] if kept else None
        if (
            previous is not None
            and payload.kind == previous.kind == "item"
            and (payload.stage, payload.scene) == (previous.stage, previous.scene)
        ):
            kept[-1] = payload
        else:
            kept.append(payload)
    return kept


def _event(name: str, data: BaseModel) -> ServerSentEvent:
    return ServerSentEvent(data=json.dumps(data.model_dump(mode="json")), event=name)
