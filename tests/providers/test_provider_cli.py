"""Real providers through the command line against the fakes on loopback (kills: a subprocess)."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli_runner import run_in_process
from fake_comfyui import FakeComfyUI
from fake_google import FakeGoogle
from fake_openai import FakeOpenAI
from processes import sim_env, user_env
from provider_env import FAST, GOOGLE_KEY, OPENAI_KEY

pytestmark = pytest.mark.slow


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    base = user_env(tmp_path / "data")
    base.update({f"VIDPIPE_{k.upper()}": str(v) for k, v in FAST.items()})
    return base


def google_env(url: str, key: str = GOOGLE_KEY) -> dict[str, str]:
    """All three roles on Google, Vertex AI express mode (an API key, no project)."""
    return {
        "VIDPIPE_STORYBOARD_PROVIDER": "google",
        "VIDPIPE_IMAGE_PROVIDER": "google",
        "VIDPIPE_VIDEO_PROVIDER": "google",
        "VIDPIPE_GOOGLE_VERTEXAI": "1",
        "VIDPIPE_GOOGLE_BASE_URL": url,
        "VIDPIPE_GOOGLE_API_KEY": key,
    }


def vidpipe(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A command in this process (the kills below start their own processes)."""
    return run_in_process(list(args), env)


def test_doctor_asks_each_provider_one_free_question(
    env: dict[str, str],
    google_fake: tuple[FakeGoogle, str],
    openai_fake: tuple[FakeOpenAI, str],
    comfyui_fake: tuple[FakeComfyUI, str],
) -> None:
    (google, google_url), (openai, openai_url), (comfy, comfy_url) = (
        google_fake, openai_fake, comfyui_fake,
    )  # fmt: skip
    env |= google_env(google_url) | {
        "VIDPIPE_STORYBOARD_PROVIDER": "openai",
        "VIDPIPE_OPENAI_BASE_URL": f"{openai_url}/v1",
        "VIDPIPE_OPENAI_API_KEY": OPENAI_KEY,
        "VIDPIPE_VIDEO_PROVIDER": "comfyui",
        "VIDPIPE_COMFYUI_URL": comfy_url,
    }
    result = vidpipe("doctor", "--json", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    checks = {c["name"]: c for c in json.loads(result.stdout)}
    assert "key accepted" in checks["storyboard provider"]["detail"]
    assert "credentials accepted" in checks["image provider"]["detail"]
    assert "comfyui 0.3.60-fake" in checks["video provider"]["detail"]
    # the credentials check, then every page of the models the key can use (both free)
    assert [r.kind for r in google.requests] == ["models.list", "models.list"]
    assert checks["image model"]["ok"]
    assert checks["image model"]["detail"] == "google:gemini-3.1-flash-image (served, ga)"
    assert [r.kind for r in openai.requests] == ["models"]
    assert [r.kind for r in comfy.requests] == ["system_stats", "object_info"]
    assert checks["video templates"]["ok"]


def test_doctor_reports_a_missing_database_without_creating_it(tmp_path: Path) -> None:
    """A diagnostic writes nothing: no vidpipe.db, no data folder; a new install is healthy."""
    empty, missing = tmp_path / "empty", tmp_path / "missing" / "data"
    empty.mkdir()
    for data in (empty, missing):
        result = vidpipe("doctor", env=user_env(data) | sim_env())
        assert result.returncode == 0, result.stdout + result.stderr
        line = next(x for x in result.stdout.splitlines() if " database: " in x)
        assert line == (
            f"ok   database: no database yet at {data / 'vidpipe.db'}; "
            "`vidpipe generate` creates it"
        )
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == ["empty"]


def test_doctor_reads_an_existing_database_and_migrates_nothing(
    tmp_path: Path, sqlite_database_url: str
) -> None:
    """At head it says so; an older database is named as such and left as it is."""
    env = user_env(tmp_path / "data") | sim_env() | {"VIDPIPE_DATABASE_URL": sqlite_database_url}
    result = vidpipe("doctor", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"ok   database: {sqlite_database_url} (migrated to head)" in result.stdout
    with sqlite3.connect(tmp_path / "vidpipe.db") as db:
        db.execute("UPDATE alembic_version SET version_num = 'older'")
    db.close()
    result = vidpipe("doctor", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(at older; the next command that opens it migrates it to " in result.stdout
    with sqlite3.connect(tmp_path / "vidpipe.db") as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [("older",)]
    db.close()
    assert not (tmp_path / "data").exists()


def test_doctor_reports_a_shut_down_and_an_unserved_model_before_any_paid_call(
    env: dict[str, str], google_fake: tuple[FakeGoogle, str]
) -> None:
    fake, url = google_fake
    fake.served.discard("gemini-3-pro-image")  # not offered to this key
    env |= google_env(url) | {
        "VIDPIPE_GOOGLE_STORYBOARD_MODEL": "gemini-2.5-flash",
        "VIDPIPE_GOOGLE_IMAGE_MODEL": "gemini-3-pro-image",
    }
    result = vidpipe("doctor", "--json", env=env)
    assert result.returncode == 1
    checks = {c["name"]: c for c in json.loads(result.stdout)}
    assert not checks["storyboard model"]["ok"]
    assert checks["storyboard model"]["detail"] == (
        "VIDPIPE_GOOGLE_STORYBOARD_MODEL=gemini-2.5-flash: google:gemini-2.5-flash was shut down "
        "on 2026-12-01; use google:gemini-3.5-flash-lite (vidpipe models --role storyboard)"
    )
    image = checks["image model"]
    assert not image["ok"]
    assert image["detail"].startswith(
        "VIDPIPE_GOOGLE_IMAGE_MODEL=gemini-3-pro-image: not served for this key"
    )
    assert "google:gemini-3.1-flash-image" in image["detail"]  # served and close
    assert checks["video model"]["ok"]  # veo-3.1-generate-001
    assert {r.kind for r in fake.requests} == {"models.list"}  # nothing paid
    assert fake.billed_requests == []


def test_doctor_finds_omni_under_its_vertex_name(
    env: dict[str, str], google_fake: tuple[FakeGoogle, str]
) -> None:
    """Vertex AI lists Gemini Omni 1.1 as gemini-omni-1.1-flash-preview: still served."""
    fake, url = google_fake
    env |= google_env(url) | {"VIDPIPE_GOOGLE_VIDEO_MODEL": "gemini-omni-1.1-flash"}
    result = vidpipe("doctor", "--json", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    checks = {c["name"]: c for c in json.loads(result.stdout)}
    assert checks["video model"]["detail"] == "google:gemini-omni-1.1-flash (served, ga)"
    assert {r.kind for r in fake.requests} == {"models.list"}  # nothing paid


def test_doctor_names_the_setting_when_credentials_are_refused(
    env: dict[str, str], google_fake: tuple[FakeGoogle, str]
) -> None:
    fake, url = google_fake
    result = vidpipe("doctor", "--json", env=env | google_env(url, key="wrong"))
    assert result.returncode == 1
    checks = {c["name"]: c for c in json.loads(result.stdout)}
    for role in ("storyboard", "image", "video"):
        check = checks[f"{role} provider"]
        assert not check["ok"] and "check VIDPIPE_GOOGLE_API_KEY" in check["detail"]
    assert len(fake.requests) == 1  # asked once, not retried, not once per role


def test_a_missing_key_is_one_line_and_nothing_is_written(
    env: dict[str, str], tmp_path: Path
) -> None:
    env |= {"VIDPIPE_STORYBOARD_PROVIDER": "google"}
    result = vidpipe("generate", "a fox", "--yes", env=env)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "VIDPIPE_GOOGLE_API_KEY" in result.stderr
    assert not (tmp_path / "data" / "projects").exists()


def test_over_budget_is_refused_before_any_call(
    env: dict[str, str], google_fake: tuple[FakeGoogle, str], tmp_path: Path
) -> None:
    fake, url = google_fake
    result = vidpipe(
        "generate", "a fox", "--scenes", "2", "--clip-duration", "4", "--max-cost", "1",
        "--yes", env=env | google_env(url),
    )  # fmt: skip
    assert result.returncode == 2
    assert "budget exceeded: the estimate is $3.41, above --max-cost $1.00" in result.stderr
    assert fake.requests == []
    assert not (tmp_path / "data" / "projects").exists()


def test_a_veo_duration_outside_the_models_set_is_refused(
    env: dict[str, str], google_fake: tuple[FakeGoogle, str]
) -> None:
    fake, url = google_fake
    result = vidpipe(
        "generate", "a fox", "--clip-duration", "5", "--yes", env=env | google_env(url)
    )
    assert result.returncode == 2
    assert "the google video provider takes 4, 6, 8 seconds" in result.stderr
    assert fake.requests == []


def test_sigkill_while_a_veo_operation_is_polled_then_resume(
    env: dict[str, str], google_fake: tuple[FakeGoogle, str], tmp_path: Path
) -> None:
    fake, url = google_fake
    env |= google_env(url)
    fake.hold.set()  # operations stay pending until released
    run = subprocess.Popen(
        [sys.executable, "-m", "vidpipe", "generate", "a fox in the snow", "--scenes", "2",
         "--clip-duration", "4", "--yes", "--json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_for(lambda: len(_polled(fake)) == 2)  # both ids committed and being polled
    finally:
        run.send_signal(signal.SIGKILL)
        run.communicate()
    assert fake.count("predictLongRunning") == 2
    committed = _polled(fake)

    listed = vidpipe("list", "--json", env=env)
    (project,) = json.loads(listed.stdout)
    fake.hold.clear()
    resumed = vidpipe("resume", project["id"], "--json", env=env)
    assert resumed.returncode == 0, resumed.stderr
    document = json.loads(resumed.stdout)
    assert document["status"] == "complete" and document["output_path"]
    assert fake.count("predictLongRunning") == 2  # no second submission reached the server
    assert _polled(fake) == committed
    assert fake.count("generateContent:text") == 1 and fake.count("generateContent:image") == 3


def _polled(fake: FakeGoogle) -> set[str]:
    return {r.body["operationName"] for r in fake.of_kind("fetchPredictOperation")}


def _wait_for(predicate: Callable[[], Any], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def test_sigkill_during_a_redo_then_resume_submits_that_take_once(
    env: dict[str, str], google_fake: tuple[FakeGoogle, str], tmp_path: Path
) -> None:
    """Takes with a long-running video provider: a redo killed while its new take's operation
    is polled; the resume collects that operation — the fake sees one submission for the take."""
    fake, url = google_fake
    env |= google_env(url)
    made = vidpipe(
        "generate", "a fox in the snow", "--scenes", "2", "--clip-duration", "4", "--yes",
        "--json", env=env,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    project_id = json.loads(made.stdout)["id"]
    assert fake.count("predictLongRunning") == 2
    fake.hold.set()
    run = subprocess.Popen(
        [sys.executable, "-m", "vidpipe", "redo", project_id, "--scene", "1", "--clip",
         "--direction", "more snow", "--yes"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_for(lambda: len(_polled(fake)) == 3)  # the new take's id committed and polled
    finally:
        run.send_signal(signal.SIGKILL)
        run.communicate()
    assert fake.count("predictLongRunning") == 3
    redo_body = fake.of_kind("predictLongRunning")[-1].body
    assert "more snow" in redo_body["instances"][0]["prompt"]

    fake.hold.clear()
    resumed = vidpipe("resume", project_id, "--yes", "--json", env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["status"] == "complete"
    assert fake.count("predictLongRunning") == 3  # the take was submitted once, then collected
    takes = json.loads(vidpipe("takes", project_id, "--scene", "1", "--json", env=env).stdout)
    clips = [t for t in takes["takes"] if t["slot"] == "clip"]
    assert [(t["take"], t["selected"]) for t in clips] == [(1, False), (2, True)]
    assert clips[1]["direction"] == "more snow" and all(t["exists"] for t in clips)
