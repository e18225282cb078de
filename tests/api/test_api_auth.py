"""The bearer token: enforced when set (nothing runs without it), and required to
listen beyond loopback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from api_helpers import TINY, Recorder, serving
from pydantic import SecretStr
from sqlalchemy import func, select

from vidpipe.api.server import check_bind, is_loopback
from vidpipe.config import Settings
from vidpipe.db.models import Project
from vidpipe.errors import BadInputError

TOKEN = "s3cret-token"
PROTECTED = [
    ("POST", "/api/generate", {"prompt": "a fox", **TINY}),
    ("GET", "/api/projects", None),
    ("GET", "/api/projects/{id}", None),
    ("GET", "/api/projects/{id}/status", None),
    ("POST", "/api/projects/{id}/resume", None),
    ("POST", "/api/projects/{id}/stitch", {"crossfade": 0.5}),
    ("GET", "/api/projects/{id}/download", None),
    ("GET", "/api/projects/{id}/keyframes/1/start", None),
    ("GET", "/api/projects/{id}/clips/1", None),
    ("GET", "/api/projects/{id}/events", None),
]


async def test_without_the_token_every_endpoint_is_401_and_nothing_runs(
    sqlite_settings: Settings, recorder: Recorder, tmp_path: Path
) -> None:
    # every endpoint is tried with each wrong token: more guesses than the throttle lets through
    update = {"api_token": SecretStr(TOKEN), "login_attempts": 10_000}
    guarded = sqlite_settings.model_copy(update=update)
    async with serving(guarded, execute=recorder) as (app, client):
        async with app.state.sessions() as session:
            from vidpipe.orchestrator.projects import GenerateOptions, create_project

            project = await create_project(session, guarded, GenerateOptions(prompt="x", **TINY))
        wrong = ["Bearer wrong", TOKEN, f"Basic {TOKEN}", "Bearer ", f"Bearer {TOKEN}x"]
        for headers in [{}, *({"Authorization": value} for value in wrong)]:
            for method, path, body in PROTECTED:
                url = path.format(id=project.id)
                response = await client.request(method, url, json=body, headers=headers)
                assert response.status_code == 401, (headers, method, url, response.text)
                assert response.headers["www-authenticate"] == "Bearer"
                assert "bearer token" in response.json()["detail"]
        # without the token nothing is even read: bad bodies and unknown paths are just 401
        assert (await client.post("/api/generate", json={"prompt": ""})).status_code == 401
        for content in (b"{not json", b"\xff\xfe"):
            response = await client.post(
                "/api/generate", content=content, headers={"Content-Type": "application/json"}
            )
            assert response.status_code == 401
        assert (await client.get("/api/nowhere")).status_code == 401
        async with app.state.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Project)) == 1
        assert recorder.calls == [] and app.state.runner.active_count == 0
        assert not (tmp_path / "data" / "projects").exists()

        # health and the API description stay open
        assert (await client.get("/api/health")).status_code == 200
        assert (await client.get("/docs")).status_code == 200
        schema = (await client.get("/openapi.json")).json()
        assert schema["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"
        for path, operations in schema["paths"].items():
            for operation in operations.values():
                guarded_here = path != "/api/health"
                assert ("401" in operation["responses"]) == guarded_here, path
                assert bool(operation.get("security")) == guarded_here, path

        # with it, the same requests work
        ok = await client.post(
            "/api/generate",
            json={"prompt": "a fox", **TINY},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert ok.status_code == 202
        listed = await client.get("/api/projects", headers={"Authorization": f"Bearer {TOKEN}"})
        assert listed.json()["total"] == 2


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.0.0.2", True), ("localhost", True), ("::1", True),
     ("[::1]", True), ("0.0.0.0", False), ("::", False), ("192.168.1.10", False),
     ("example.com", False)],
)  # fmt: skip
def test_loopback_detection(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_binding_beyond_loopback_needs_a_token(tmp_path: Path) -> None:
    check_bind(Settings(data_dir=tmp_path, host="127.0.0.1"))
    check_bind(Settings(data_dir=tmp_path, host="0.0.0.0", api_token=SecretStr(TOKEN)))
    for token in (None, SecretStr("")):
        with pytest.raises(BadInputError, match="VIDPIPE_API_TOKEN"):
            check_bind(Settings(data_dir=tmp_path, host="0.0.0.0", api_token=token))


def test_serve_refuses_a_public_address_without_a_token(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "VIDPIPE_DATA_DIR": str(tmp_path / "data"),
           "VIDPIPE_NO_PLUGINS": "1", "HOME": str(tmp_path)}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "vidpipe", "serve", "--host", "0.0.0.0", "--port", "1"],
        env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "VIDPIPE_API_TOKEN" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""
    assert not (tmp_path / "data").exists()
