"""Iterating through the real command line (edit, plan, stop): bad edits exit 2 with one line and
change nothing, `storyboard` round-trips through `edit --storyboard-file`, `plan --json` after a
motion edit, and `stop` from a second process."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import document, spawn
from finished_projects import copy_data_dir
from processes import artifacts, query, sim_env, user_env, wait_for

pytestmark = pytest.mark.slow


def stamps(root: Path) -> dict[str, tuple[int, int]]:
    """Every file of the project, final output included: (inode, mtime_ns)."""
    return {
        str(p.relative_to(root)): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """One project made by `vidpipe generate` for the module: (its id, the data directory)."""
    data_dir = tmp_path_factory.mktemp("generated") / "data"
    made = subprocess.run(
        [sys.executable, "-m", "vidpipe",
         "generate", "a red kite over green hills", "--scenes", "4", "--clip-duration", "1",
         "--resolution", "480p", "--yes", "--json"],
        env=user_env(data_dir), capture_output=True, text=True, timeout=240,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    return document(made)["id"], data_dir


@pytest.fixture
def project(generated: tuple[str, Path], tmp_path: Path) -> tuple[str, Path]:
    """The generated project, copied (database and files) into this test's data directory."""
    project_id, data_dir = generated
    copy_data_dir(data_dir, tmp_path / "data")
    return project_id, tmp_path / "data" / "projects" / project_id


def storyboard_file(tmp_path: Path, name: str, content: Any) -> str:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def test_bad_edits_exit_2_with_one_line_and_change_nothing(
    vidpipe, project: tuple[str, Path], tmp_path: Path
) -> None:
    project_id, root = project
    status_before = document(vidpipe("status", project_id, "--json"))
    files_before = stamps(root)
    board = document(vidpipe("storyboard", project_id))
    missing_field = json.loads(json.dumps(board))
    del missing_field["scenes"][1]["video_motion_prompt"]
    many = {**board, "scenes": [board["scenes"][0]] * 21}
    blank_prompt = json.loads(json.dumps(board))
    blank_prompt["scenes"][1]["end_frame_prompt"] = "   "
    blank_speaker = json.loads(json.dumps(board))
    blank_speaker["scenes"][0]["dialogue"] = [{"speaker": " ", "line": "Hello"}]
    cases = {
        "unknown scene": ["--scene", "9", "--motion", "x"],
        "scene 3's start prompt": ["--scene", "3", "--start-prompt", "a new start"],
        "bad JSON": ["--storyboard-file", storyboard_file(tmp_path, "bad.json", "{not json")],
        "zero scenes": [
            "--storyboard-file", storyboard_file(tmp_path, "zero.json", {**board, "scenes": []})
        ],
        "21 scenes": ["--storyboard-file", storyboard_file(tmp_path, "many.json", many)],
        "a missing field": [
            "--storyboard-file", storyboard_file(tmp_path, "field.json", missing_field)
        ],
        "a blank prompt": ["--storyboard-file", storyboard_file(tmp_path, "b.json", blank_prompt)],
        "a blank speaker": [
            "--storyboard-file", storyboard_file(tmp_path, "s.json", blank_speaker)
        ],
        "a blank motion": ["--scene", "2", "--motion", "  "],
    }  # fmt: skip
    for case, flags in cases.items():
        result = vidpipe("edit", project_id, *flags)
        assert result.returncode == 2, (case, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, (case, result.stderr)
        assert result.stdout == "", case
    assert "scene 2" in vidpipe("edit", project_id, "--scene", "3", "--start-prompt", "x").stderr
    assert "--motion" in vidpipe("edit", project_id, "--scene", "2", "--motion", " ").stderr
    blank = vidpipe("edit", project_id, "--storyboard-file", str(tmp_path / "b.json")).stderr
    assert "invalid --storyboard-file at scenes.1.end_frame_prompt" in blank
    status_after = document(vidpipe("status", project_id, "--json"))
    assert status_after == status_before
    assert stamps(root) == files_before


def test_storyboard_round_trips_and_a_motion_edit_plans_one_clip(
    vidpipe, project: tuple[str, Path], tmp_path: Path
) -> None:
    project_id, root = project
    printed = vidpipe("storyboard", project_id)
    assert printed.returncode == 0, printed.stderr
    unchanged = vidpipe(
        "edit", project_id, "--storyboard-file",
        storyboard_file(tmp_path, "same.json", printed.stdout), "--json",
    )  # fmt: skip
    assert unchanged.returncode == 0, unchanged.stderr
    plan = document(unchanged)
    assert plan["items"] == [] and plan["estimated_cost"] == 0
    assert document(vidpipe("status", project_id, "--json"))["status"] == "complete"
    # nothing changed, nothing written: the version stays (and so other clients' ETags)
    version = document(printed)["version"]
    assert document(vidpipe("storyboard", project_id))["version"] == version
    motion = document(printed)["scenes"][2]["video_motion_prompt"]
    same = vidpipe("edit", project_id, "--scene", "3", "--motion", motion)
    assert same.returncode == 0, same.stderr
    assert document(vidpipe("storyboard", project_id))["version"] == version

    before = artifacts(root)
    edited = vidpipe("edit", project_id, "--scene", "3", "--motion", "a slow dolly in")
    assert edited.returncode == 0, edited.stderr
    plan = document(vidpipe("plan", project_id, "--json"))
    assert plan["clips"] == [3] and plan["keyframes"] == [] and plan["stitch"]
    assert plan["provider_calls"] == {"storyboard": 0, "image": 0, "video": 1}
    # idle and stale is `out_of_date` (from the clips stage), not a run in progress
    shown = document(vidpipe("status", project_id, "--json"))
    assert (shown["status"], shown["stale_stage"], shown["running"]) == (
        "out_of_date",
        "video_gen",
        False,
    )
    assert [s["stale"] for s in shown["scenes"]] == [False, False, True, False]
    text = vidpipe("status", project_id).stdout
    assert "out_of_date" in text
    assert f"resume brings it up to date: vidpipe resume {project_id}" in text  # the command
    assert [line.split()[:3] for line in text.splitlines() if "stale" in line.split()] == [
        ["3", "complete", "stale"]
    ]
    listed = vidpipe("list")
    assert "out_of_date" in listed.stdout and "video_gen" not in listed.stdout
    assert document(vidpipe("list", "--json"))[0]["status"] == "out_of_date"
    assert artifacts(root) == before  # planning and editing touch no file


def test_stop_from_a_second_process_then_resume_completes(
    vidpipe, cli_env: dict[str, str], tmp_path: Path
) -> None:
    db = tmp_path / "data" / "vidpipe.db"
    # the sim providers, each keyframe taking 10 minutes: the run is surely still going when the
    # stop lands, however slowly this machine starts the second process
    run = spawn(
        ["generate", "a slow river at dusk", "--scenes", "2", "--clip-duration", "1",
         "--resolution", "480p", "--yes", "--json"],
        {**cli_env, **sim_env(image=600)},
    )  # fmt: skip

    def working() -> str | None:
        try:
            rows = query(db, "SELECT id, status, lease_owner FROM projects")
        except sqlite3.OperationalError:
            return None
        if rows and rows[0][2] and rows[0][1] in ("keyframing", "video_gen"):
            return str(uuid.UUID(rows[0][0]))
        return None

    project_id = wait_for(working)
    stopped = vidpipe("stop", project_id)
    assert stopped.returncode == 0, stopped.stderr
    assert "stop requested" in stopped.stdout
    out, err = run.communicate(timeout=120)
    # a stop is an outcome: exit 130 (like Ctrl+C), said once and plainly, no error
    said = f"stopped by you; resume it: vidpipe resume {project_id}"
    assert run.returncode == 130, err
    assert err.count(said) == 1, err
    assert "Error" not in err and "failed" not in err and "fix the cause" not in err
    assert json.loads(out)["status"] == "stopped"
    (status, error) = query(db, "SELECT status, error_message FROM projects")[0]
    assert status == "stopped" and error is None
    assert query(db, "SELECT status FROM pipeline_runs") == [("stopped",)]
    shown = vidpipe("status", project_id)
    assert shown.returncode == 0 and said in shown.stdout and "error" not in shown.stdout
    again = vidpipe("stop", project_id)
    assert again.returncode == 2 and "not running" in again.stderr  # nothing runs it any more
    resumed = vidpipe("resume", project_id, "--yes", "--json", env=sim_env())
    assert resumed.returncode == 0, resumed.stderr
    assert document(resumed)["status"] == "complete"


def test_select_on_a_complete_project_does_not_say_it_runs_itself(
    vidpipe, project: tuple[str, Path]
) -> None:
    project_id, _ = project
    redone = vidpipe("redo", project_id, "--scene", "1", "--clip", "--yes", "--json")
    assert redone.returncode == 0, redone.stderr
    chosen = vidpipe("select", project_id, "--scene", "1", "--take", "1")
    assert chosen.returncode == 0, chosen.stderr
    assert "run by" not in chosen.stdout and "complete" in chosen.stdout
    shown = document(vidpipe("status", project_id, "--json"))
    assert shown["runner"] is None and shown["scenes"][0]["clip_take"] == 1
