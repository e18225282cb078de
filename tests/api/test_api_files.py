"""No file outside a project's folder is ever served, whatever the URL or a row says."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest
from api_helpers import TINY, Recorder, serving
from fastapi import FastAPI
from sqlalchemy import select, update

from vidpipe.config import Settings
from vidpipe.db.engine import open_database
from vidpipe.db.models import Keyframe, Project, Scene, VideoClip
from vidpipe.orchestrator import run_pipeline
from vidpipe.orchestrator.projects import GenerateOptions, create_project
from vidpipe.providers.registry import load_registry

SECRET = "top secret: outside every project folder"


async def asgi_get(app: FastAPI, raw_path: bytes) -> tuple[int, bytes]:
    """A GET with exactly this raw path, as a server would hand it over (no client clean-up)."""
    from urllib.parse import unquote_to_bytes

    scope: dict[str, Any] = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": unquote_to_bytes(raw_path).decode("latin-1"),
        "raw_path": raw_path, "query_string": b"", "root_path": "",
        "headers": [(b"host", b"localhost")], "client": ("127.0.0.1", 1),
        "server": ("localhost", 80),
    }  # fmt: skip
    status, body, sent, done = 0, b"", False, asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, body
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body += message.get("body", b"")
            if not message.get("more_body"):
                done.set()

    await app(scope, receive, send)
    return status, body


@pytest.fixture
async def two_projects(sqlite_settings: Settings, tmp_path: Path) -> tuple[uuid.UUID, uuid.UUID]:
    """Two finished one-scene projects, A and B, and a secret file beside the data directory."""
    (tmp_path / "secret.txt").write_text(SECRET)
    ids = []
    async with open_database(sqlite_settings.effective_database_url) as sessions:
        for prompt in ("project a", "project b"):
            async with sessions() as session:
                project = await create_project(
                    session, sqlite_settings, GenerateOptions(prompt=prompt, **TINY)
                )
                await run_pipeline(
                    session, project.id, settings=sqlite_settings, registry=load_registry()
                )
                ids.append(project.id)
    return ids[0], ids[1]


async def test_path_tricks_in_urls_never_reach_a_file(
    sqlite_settings: Settings, recorder: Recorder, two_projects: tuple[uuid.UUID, uuid.UUID],
    tmp_path: Path,
) -> None:  # fmt: skip
    a, b = two_projects
    secret = str(tmp_path / "secret.txt")
    tricks = [
        f"/api/projects/{a}/keyframes/0/../../../../../secret.txt",
        f"/api/projects/{a}/keyframes/..%2F..%2F..%2F..%2Fsecret.txt/start",
        f"/api/projects/{a}/keyframes/0/..%2F..%2F..%2F..%2Fsecret.txt",
        f"/api/projects/{a}/clips/..%2F..%2F{b}%2Fclips%2Fscene_00.mp4",
        f"/api/projects/{a}/clips/{secret.replace('/', '%2F')}",
        f"/api/projects/{a}/clips/%2e%2e%2f%2e%2e%2fsecret.txt",
        f"/api/projects/{a}/download/../../{b}/download",
        f"/api/projects/..%2F{b}/download",
        f"/api/projects/{a}%2F..%2F{b}/download",
        f"/api/projects/{a}%2F..%2F..%2F..%2Fsecret.txt/download",
        f"/api/projects/{secret.replace('/', '%2F')}/download",
        "/api/projects/%2E%2E/keyframes/0/start",
        f"/api/projects/{a}/keyframes/0/start%00.png",
        f"/api/projects/{a}/keyframes/-1/start",
        f"/api/projects/{a}/keyframes/0/middle",
        f"/api/projects/{a}/keyframes/00000000000000000000000000000000009/start",
        f"//{secret}",
        f"/api/projects/{a}/../../../../secret.txt",
    ]
    async with serving(sqlite_settings, execute=recorder) as (app, _):
        for trick in tricks:
            status, body = await asgi_get(app, trick.encode())
            assert status in (404, 405, 422), (trick, status)
            assert SECRET.encode() not in body and len(body) < 2000, trick
        # the real ones work, each giving its own project's file
        status, a_clip = await asgi_get(app, f"/api/projects/{a}/clips/1".encode())
        assert status == 200
        status, b_clip = await asgi_get(app, f"/api/projects/{b}/clips/1".encode())
        assert status == 200 and a_clip != b_clip


async def test_rows_pointing_outside_the_project_folder_are_never_served(
    sqlite_settings: Settings, recorder: Recorder, two_projects: tuple[uuid.UUID, uuid.UUID],
    tmp_path: Path,
) -> None:  # fmt: skip
    a, b = two_projects
    root_a = sqlite_settings.projects_dir / str(a)
    (root_a / "keyframes" / "to-secret.png").symlink_to(tmp_path / "secret.txt")
    b_clip = sqlite_settings.projects_dir / str(b) / "clips" / "scene_00.mp4"
    (root_a / "clips" / "to-b.mp4").symlink_to(b_clip)
    hostile = [
        f"../{b}/keyframes/scene_00_start.png",
        f"keyframes/../../{b}/keyframes/scene_00_start.png",
        str(tmp_path / "secret.txt"),
        "../../../secret.txt",
        "keyframes/to-secret.png",
        "clips/to-b.mp4",
        str(b_clip),
        "keyframes",  # a folder, not a file
        "",
    ]
    async with serving(sqlite_settings, execute=recorder) as (app, client):
        for path in hostile:
            async with app.state.sessions() as session:
                scene_ids = select(Scene.id).where(Scene.project_id == a)
                await session.execute(
                    update(Keyframe).where(Keyframe.scene_id.in_(scene_ids)).values(file_path=path)
                )
                await session.execute(
                    update(VideoClip)
                    .where(VideoClip.scene_id.in_(scene_ids))
                    .values(file_path=path)
                )
                await session.execute(
                    update(Project).where(Project.id == a).values(output_path=path)
                )
                await session.commit()
            for tail in ("/keyframes/1/start", "/keyframes/1/end", "/clips/1", "/download"):
                response = await client.get(f"/api/projects/{a}{tail}")
                assert response.status_code == 404, (path, tail, response.status_code)
                assert SECRET.encode() not in response.content
                assert response.content != b_clip.read_bytes()
        # B is untouched and still served
        assert (await client.get(f"/api/projects/{b}/clips/1")).content == b_clip.read_bytes()


async def test_artifacts_not_made_yet_are_404(
    sqlite_settings: Settings, recorder: Recorder
) -> None:
    async with serving(sqlite_settings, execute=recorder) as (_, client):
        project_id = (await client.post("/api/generate", json={"prompt": "x", **TINY})).json()[
            "project_id"
        ]
        for tail in ("/download", "/keyframes/1/start", "/clips/1"):
            response = await client.get(f"/api/projects/{project_id}{tail}")
            assert response.status_code == 404 and "detail" in response.json()
