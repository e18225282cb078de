"""The model catalog at every door: `vidpipe models`, `GET /api/models`, and the refusals of
shut-down, unknown and role-mismatched ids at `generate` (CLI exit 2, HTTP 422), nothing written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from api_helpers import serving
from processes import user_env

from vidpipe.config import Settings


def cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vidpipe", *args],
        env=user_env(tmp_path / "data", **env),
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


async def test_the_cli_and_the_api_list_the_same_catalog(
    tmp_path: Path, sqlite_settings: Settings
) -> None:
    everything = cli(tmp_path, "models", "--json")
    videos = cli(tmp_path, "models", "--json", "--role", "video", "--provider", "google")
    assert everything.returncode == 0 and videos.returncode == 0, everything.stderr
    async with serving(sqlite_settings) as (_, client):
        served = (await client.get("/api/models")).json()
        served_videos = (
            await client.get("/api/models", params={"role": "video", "provider": "google"})
        ).json()
    assert json.loads(everything.stdout) == served
    assert json.loads(videos.stdout) == served_videos
    keys = {m["key"] for m in served_videos["models"]}
    assert {"google:veo-3.1-generate-001", "google:gemini-omni-1.1-flash"} <= keys
    assert all(m["role"] == "video" for m in served_videos["models"])
    shut = next(m for m in served["models"] if m["key"] == "google:gemini-2.5-flash-image")
    assert (shut["status"], shut["shutdown"], shut["replacement"]) == (
        "deprecated",
        "2026-10-02",
        "gemini-3.1-flash-image",
    )


def test_models_as_a_table(tmp_path: Path) -> None:
    shown = cli(tmp_path, "models", "--role", "image")
    assert shown.returncode == 0, shown.stderr
    assert "google:gemini-3.1-flash-image" in shown.stdout
    assert "deprecated, shutdown 2026-10-02 → gemini-3.1-flash-image" in shown.stdout
    assert "google:veo-3.1-generate-001" not in shown.stdout  # a video model
    bad = cli(tmp_path, "models", "--role", "sound")
    assert bad.returncode == 2 and "invalid --role" in bad.stderr


def test_generate_refuses_a_shut_down_an_unknown_and_a_mismatched_model(tmp_path: Path) -> None:
    shut = cli(tmp_path, "generate", "a fox", "--image-model", "google:gemini-2.5-flash-image")
    assert shut.returncode == 2
    assert shut.stderr.strip().splitlines() == [
        "error: invalid --image-model: google:gemini-2.5-flash-image was shut down on "
        "2026-10-02; use google:gemini-3.1-flash-image (vidpipe models --role image)"
    ]
    unknown = cli(tmp_path, "generate", "a fox", "--video-model", "google:veo-3.1-generate")
    assert unknown.returncode == 2
    assert "unknown video model google:veo-3.1-generate; closest: google:veo-3.1-generate-001" in (
        unknown.stderr
    )
    mismatched = cli(tmp_path, "generate", "a fox", "--image-model", "google:veo-3.1-generate-001")
    assert mismatched.returncode == 2
    assert "is a video model, not an image model" in mismatched.stderr
    configured = cli(
        tmp_path,
        "generate",
        "a fox",
        VIDPIPE_IMAGE_PROVIDER="google",
        VIDPIPE_GOOGLE_API_KEY="k",
        VIDPIPE_GOOGLE_IMAGE_MODEL="gemini-2.5-flash-image",
    )
    assert configured.returncode == 2
    assert "invalid VIDPIPE_GOOGLE_IMAGE_MODEL: google:gemini-2.5-flash-image was shut down" in (
        configured.stderr
    )
    assert not (tmp_path / "data" / "projects").exists() or not any(
        (tmp_path / "data" / "projects").iterdir()
    )  # nothing written


async def test_the_api_refuses_a_shut_down_model_with_422(sqlite_settings: Settings) -> None:
    async with serving(sqlite_settings) as (_, client):
        answer = await client.post(
            "/api/generate", json={"prompt": "a fox", "video_model": "google:veo-3.0-generate-001"}
        )
        listed = (await client.get("/api/projects")).json()
    assert answer.status_code == 422
    (error,) = answer.json()["detail"]
    assert "google:veo-3.0-generate-001 was shut down on 2026-06-30" in error["msg"]
    assert "use google:veo-3.1-generate-001" in error["msg"]
    assert listed == [] or listed.get("projects", []) == []


async def test_the_new_video_form_offers_models_prices_them_and_stores_the_choice(
    sqlite_settings: Settings,
) -> None:
    import re

    from api_helpers import Recorder
    from pydantic import SecretStr
    from sqlalchemy import select

    from vidpipe.db.engine import open_database
    from vidpipe.db.models import Project

    recorder = Recorder()
    keyed = sqlite_settings.model_copy(update={"google_api_key": SecretStr("a-gemini-key")})
    async with serving(keyed, execute=recorder) as (_, client):
        page = await client.get("/new")
        assert '<option value="google:gemini-omni-1.1-flash"' in page.text
        assert "google:veo-3.1-generate-001 · $0.4/s with audio, $0.2/s without" in page.text
        assert "google:veo-2.0-generate-001" not in page.text  # shut down: not offered
        query = {"scenes": 2, "clip_duration": 4, "resolution": "720p"}
        local = (await client.get("/api/estimate", params=query)).json()
        omni = (
            await client.get(
                "/api/estimate", params={**query, "video_model": "google:gemini-omni-1.1-flash"}
            )
        ).json()
        assert local["estimated_cost"] == 0 and local["accepted"]
        assert omni["estimated_cost"] == pytest.approx(2 * 4 * 0.10)  # the catalog's price
        assert omni["providers"]["video"] == "google"
        shut = (
            await client.get(
                "/api/estimate", params={**query, "video_model": "google:veo-3.0-generate-001"}
            )
        ).json()
        assert not shut["accepted"]
        assert shut["problems"][0]["loc"] == ["query", "video_model"]

        token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
        form = {"prompt": "a fox", "scenes": "1", "clip_duration": "1", "resolution": "480p"}
        made = await client.post(
            "/new", data={**form, "csrf_token": token, "video_model": "sim:sim-clip"}
        )
        assert made.status_code == 303
    async with open_database(sqlite_settings.effective_database_url) as sessions:
        async with sessions() as session:
            (project,) = (await session.scalars(select(Project))).all()
    assert (project.video_provider, project.video_model) == ("sim", "sim-clip")
