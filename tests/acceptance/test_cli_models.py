"""Models per video, per take and per fork through the real command line: a take on another
provider's model (`redo --clip --model`), `takes` showing each take's model and cost, `select`
going back with no call, `fork --video-model`, and refusals that write nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from cli_helpers import document

pytestmark = pytest.mark.slow

SMALL = ("--scenes", "1", "--clip-duration", "1", "--resolution", "480p", "--yes")
FAST_SIM = {"VIDPIPE_SIM_LATENCY": '{"storyboard": 0.01, "image": 0.01, "video": 0.05}'}


def calls(database: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT provider, role FROM provider_calls ORDER BY created_at")
        return [(p, r) for p, r in rows]


def test_a_take_on_another_model_then_back_then_a_fork_on_it(vidpipe, tmp_path: Path) -> None:
    made = vidpipe("generate", "a red kite", *SMALL, "--video-model", "local:flow", "--json")
    assert made.returncode == 0, made.stderr
    project_id = document(made)["id"]

    redo = vidpipe(
        "redo", project_id, "--scene", "1", "--clip", "--model", "sim:sim-clip", "--yes",
        env=FAST_SIM,
    )  # fmt: skip
    assert redo.returncode == 0, redo.stderr
    listed = document(vidpipe("takes", project_id, "--scene", "1", "--json"))
    clips = [t for t in listed["takes"] if t["slot"] == "clip"]
    assert [(t["take"], t["model"], t["selected"]) for t in clips] == [
        (1, "local:flow", False),
        (2, "sim:sim-clip", True),
    ]
    shown = vidpipe("takes", project_id, "--scene", "1").stdout
    assert "local:flow" in shown and "sim:sim-clip" in shown

    database = tmp_path / "data" / "vidpipe.db"
    before = calls(database)
    back = vidpipe("select", project_id, "--scene", "1", "--take", "1", env=FAST_SIM)
    assert back.returncode == 0, back.stderr
    assert calls(database) == before  # no provider call
    plan = document(vidpipe("plan", project_id, "--json"))
    assert plan["clips"] == []

    fork = vidpipe(
        "fork", project_id, "--video-model", "sim:sim-clip", "--yes", "--json", env=FAST_SIM
    )
    assert fork.returncode == 0, fork.stderr
    twin = document(fork)
    assert twin["id"] != project_id and twin["status"] == "complete"
    twin_takes = document(vidpipe("takes", twin["id"], "--scene", "1", "--json"))
    selected = [t for t in twin_takes["takes"] if t["slot"] == "clip" and t["selected"]]
    assert [t["model"] for t in selected] == ["sim:sim-clip"]


def test_bad_models_at_redo_edit_and_fork_change_nothing(vidpipe, tmp_path: Path) -> None:
    made = vidpipe("generate", "a red kite", *SMALL, "--json")
    project_id = document(made)["id"]
    database = tmp_path / "data" / "vidpipe.db"
    with sqlite3.connect(database) as connection:
        projects = connection.execute("SELECT count(*) FROM projects").fetchone()[0]
    for args, message in [
        (("redo", project_id, "--scene", "1", "--clip", "--model", "google:veo-2.0-generate-001"),
         "invalid --model: google:veo-2.0-generate-001 was shut down on 2026-06-30; use "
         "google:veo-3.1-generate-001"),
        (("redo", project_id, "--scene", "1", "--end-frame", "--model", "local:flow"),
         "invalid --model: applies to a clip only"),
        (("edit", project_id, "--video-model", "google:gemini-3.1-flash-image"),
         "google:gemini-3.1-flash-image is an image model, not a video model"),
        (("fork", project_id, "--video-model", "google:veo-4"),
         "unknown video model google:veo-4; closest: google:veo-3.1-generate-001"),
    ]:  # fmt: skip
        refused = vidpipe(*args)
        assert refused.returncode == 2, refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1 and message in refused.stderr
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM projects").fetchone()[0] == projects
        assert connection.execute("SELECT count(*) FROM takes").fetchone()[0] == 2 + 1
