"""Helpers and fixtures of the API tests: the app in process (datasette-style, its lifespan run
by hand) with an httpx client, and a stand-in for the pipeline where a real run only costs time."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.api import create_app
from vidpipe.config import Settings
from vidpipe.pipeline.context import ProgressCallback
from vidpipe.runners.background import Execute

# the smallest picture: rendering is not the subject
TINY = {"scenes": 1, "clip_duration": 1, "resolution": "360p"}
SMALL = {"scenes": 2, "clip_duration": 1, "resolution": "360p"}


@asynccontextmanager
async def serving(
    settings: Settings, *, execute: Execute | None = None, token: str | None = None
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The app with its lifespan running, and a client that talks to it in process."""
    app = create_app(settings, execute=execute)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://localhost", headers=headers
        ) as client:
            yield app, client


@pytest.fixture
def sqlite_settings(tmp_path: Path, sqlite_database_url: str) -> Settings:
    """SQLite only, for tests whose subject is HTTP rather than the database (already
    migrated: a copy of a database migrated once per session)."""
    return Settings(
        data_dir=tmp_path / "data",
        database_url=sqlite_database_url,
        lease_seconds=10,
        heartbeat_seconds=1,
    )


class Recorder:
    """A stand-in for run_pipeline: records each project it is asked to run; optionally holds
    each run open until `release()` so a project stays `running here`."""

    def __init__(self, *, hold: bool = False) -> None:
        self.calls: list[uuid.UUID] = []
        self.started = asyncio.Event()
        self._release = asyncio.Event()
        if not hold:
            self._release.set()

    async def __call__(
        self, session: AsyncSession, project_id: uuid.UUID, progress: ProgressCallback
    ) -> None:
        self.calls.append(project_id)
        self.started.set()
        await self._release.wait()

    def release(self) -> None:
        self._release.set()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


async def wait_until(
    predicate: Callable[[], Any], timeout: float = 60.0, every: float = 0.05
) -> Any:
    """Await a (sync or async) predicate until it is truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(every)


async def finished(client: httpx.AsyncClient, project_id: str, timeout: float = 90) -> dict:
    """Poll the light status until nothing works on the project any more."""

    async def done() -> dict | None:
        document = (await client.get(f"/api/projects/{project_id}/status")).json()
        idle = not (document["running"] or document["queued"] or document["progress"])
        ended = document["status"] in ("complete", "failed", "paused", "stopped", "out_of_date")
        return document if idle and ended else None

    return await wait_until(done, timeout=timeout, every=0.1)


def hold_keyframes(monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """The local image provider waits for the returned event before each keyframe: a run is
    held in keyframing (it has begun, nothing is drawn) until the test sets it."""
    from vidpipe.providers.base import ImageRequest
    from vidpipe.providers.local import LocalImageProvider

    gate = asyncio.Event()
    draw = LocalImageProvider.generate_image

    async def gated(provider: LocalImageProvider, request: ImageRequest) -> bytes:
        await gate.wait()
        return await draw(provider, request)

    monkeypatch.setattr(LocalImageProvider, "generate_image", gated)
    return gate


async def generated(client: httpx.AsyncClient, body: dict, status: str) -> str:
    """A project generated through the API from `body` and run until it settles at `status`
    (`complete`, or `paused` at a review gate); its id."""
    accepted = await client.post("/api/generate", json=body)
    assert accepted.status_code == 202, accepted.text
    project_id = accepted.json()["project_id"]
    assert (await finished(client, project_id))["status"] == status
    return project_id


async def complete(
    client: httpx.AsyncClient, prompt: str = "a fox in snow", options: dict | None = None
) -> str:
    """A project generated through the API and run to `complete` (SMALL by default); its id."""
    body = {"prompt": prompt, **(SMALL if options is None else options)}
    return await generated(client, body, "complete")
