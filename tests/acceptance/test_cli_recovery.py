"""Crashes, failures and refusals, through the real command line."""

from __future__ import annotations

import json
import signal
import sqlite3
import uuid
from pathlib import Path

import pytest
from cli_helpers import document, spawn
from processes import artifacts, query, sim_env, wait_for

from vidpipe.media.probe import probe

pytestmark = pytest.mark.slow


def test_sigkill_in_video_gen_then_resume_twice_at_once(
    vidpipe, cli_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**cli_env, "VIDPIPE_VIDEO_CONCURRENCY": "1"}
    db = tmp_path / "data" / "vidpipe.db"
    run = spawn(
        ["generate", "a hot air balloon over red canyons", "--scenes", "4",
         "--clip-duration", "3", "--resolution", "480p", "--yes", "--json"],
        env,
    )  # fmt: skip

    def one_clip_done_in_video_gen() -> bool:
        if not db.exists():
            return False
        try:
            clips = query(db, "SELECT status FROM video_clips")
            (project_status,) = query(db, "SELECT status FROM projects")[0]
        except (sqlite3.OperationalError, IndexError):
            return False
        return project_status == "video_gen" and ("complete",) in clips

    wait_for(one_clip_done_in_video_gen)
    run.send_signal(signal.SIGKILL)
    run.wait()
    (project_id,) = query(db, "SELECT id FROM projects")[0]
    project_id = str(uuid.UUID(project_id))
    (status,) = query(db, "SELECT status FROM projects")[0]
    assert status == "video_gen"
    root = tmp_path / "data" / "projects" / project_id
    done_clips = {f"clips/scene_{i:02d}.mp4" for (i,) in query(
        db, "SELECT s.scene_index FROM video_clips c JOIN scenes s ON s.id = c.scene_id "
            "WHERE c.status = 'complete'"
    )}  # fmt: skip
    before = {
        k: v for k, v in artifacts(root).items() if k.startswith("keyframes") or k in done_clips
    }
    assert len([k for k in before if k.startswith("keyframes")]) == 5 and done_clips

    # two resumes at once: the first takes over the dead runner's lease, the second is refused
    first = spawn(["resume", project_id[:8], "--json"], env)
    wait_for(lambda: query(db, "SELECT lease_owner FROM projects")[0][0] and
             f":{first.pid}:" in query(db, "SELECT lease_owner FROM projects")[0][0])  # fmt: skip
    second = vidpipe("resume", project_id[:8])
    assert second.returncode == 2  # a refusal, like `edit` of a running project
    assert "refused" in second.stderr and "already being run" in second.stderr
    assert f"vidpipe stop {project_id}" in second.stderr  # names the next command
    assert len(second.stderr.strip().splitlines()) == 1
    out, err = first.communicate(timeout=240)
    assert first.returncode == 0, err

    doc = json.loads(out)
    assert doc["status"] == "complete"
    after = artifacts(root)
    for name, identity in before.items():
        assert after[name] == identity, f"{name} was rewritten"
    assert not list(root.rglob("*.part-*")), "a temporary file was left behind"
    assert probe(Path(doc["output_path"])).duration == pytest.approx(12.0, abs=0.25)
    runs = [
        status for (status,) in query(db, "SELECT status FROM pipeline_runs ORDER BY started_at")
    ]
    assert runs == ["abandoned", "complete"]  # the killed run, then the resume


def test_failing_ffmpeg_fails_the_stitch_and_resume_finishes(vidpipe, tmp_path: Path) -> None:
    broken = tmp_path / "ffmpeg"
    broken.write_text("#!/bin/sh\necho 'simulated ffmpeg crash' >&2\nexit 1\n")
    broken.chmod(0o755)
    result = vidpipe(
        "generate", "autumn leaves falling in a park", "--scenes", "2", "--clip-duration", "1",
        "--resolution", "480p", "--yes", "--json", env={"VIDPIPE_FFMPEG": str(broken)},
    )  # fmt: skip
    assert result.returncode == 1
    doc = document(result)
    assert doc["status"] == "failed"
    assert doc["error_message"].startswith("stitch failed: FFmpegError:")
    assert "simulated ffmpeg crash" in doc["error_message"]
    assert f"vidpipe resume {doc['id']}" in result.stderr
    root = Path(doc["scenes"][0]["clip_path"]).parent.parent
    before = artifacts(root)

    resumed = vidpipe("resume", doc["id"], "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert document(resumed)["status"] == "complete"
    assert artifacts(root) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["generate", ""], "invalid prompt: must not be empty"),
        (["generate", "x" * 4001], "invalid prompt: is 4001 characters; the limit is 4000"),
        (["generate", "a fox", "--aspect-ratio", "7:3"], "invalid --aspect-ratio"),
        (["generate", "a fox", "--scenes", "0"], "invalid --scenes"),
        (["generate", "a fox", "--clip-duration", "11"], "takes 1 to 10 seconds"),
        (["resume", "0000"], "no project"),
        (["status", "zz"], "no projects yet"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    vidpipe, tmp_path: Path, args: list[str], message: str
) -> None:
    result = vidpipe(*args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "data").exists()


def test_unknown_and_ambiguous_ids_with_projects_present(vidpipe, tmp_path: Path) -> None:
    first = document(vidpipe("generate", "one", "--scenes", "1", "--clip-duration", "1",
                             "--resolution", "480p", "--yes", "--json"))  # fmt: skip
    db = tmp_path / "data" / "vidpipe.db"
    # a second project whose id shares the first 4 characters
    twin = first["id"][:4] + uuid.uuid4().hex[4:]
    with sqlite3.connect(db) as connection:
        columns = (
            "prompt, style, aspect_ratio, resolution, clip_duration, fps, crossfade,"
            " storyboard_provider, image_provider, video_provider, created_at, updated_at"
        )
        connection.execute(
            f"INSERT INTO projects (id, status, {columns}) SELECT ?, 'pending', {columns}"
            " FROM projects",
            (twin,),
        )  # fmt: skip
    count = query(db, "SELECT count(*) FROM projects")
    ambiguous = vidpipe("resume", first["id"][:4])
    assert ambiguous.returncode == 2 and "ambiguous" in ambiguous.stderr
    unknown = vidpipe("status", "ffff0000")
    assert unknown.returncode == 2 and "no project id starts with" in unknown.stderr
    too_short = vidpipe("status", first["id"][:3])
    assert too_short.returncode == 2 and "at least 4 of its first characters" in too_short.stderr
    assert query(db, "SELECT count(*) FROM projects") == count
    finished = vidpipe("resume", first["id"])
    assert finished.returncode == 2 and "complete" in finished.stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_exits_130_and_leaves_the_project_resumable(
    vidpipe, cli_env: dict[str, str], tmp_path: Path, signum: signal.Signals
) -> None:
    db = tmp_path / "data" / "vidpipe.db"
    # the sim providers, each keyframe taking 10 minutes: the signal surely lands mid-run
    run = spawn(
        ["generate", "lanterns over a river", "--scenes", "2", "--clip-duration", "1",
         "--resolution", "480p", "--yes", "--json"],
        {**cli_env, **sim_env(image=600)},
    )  # fmt: skip

    def rendering() -> bool:
        try:
            rows = query(db, "SELECT status, lease_owner FROM projects") if db.exists() else []
        except sqlite3.OperationalError:
            return False
        return bool(rows) and rows[0][0] == "keyframing" and rows[0][1] is not None

    wait_for(rendering)
    run.send_signal(signum)
    out, err = run.communicate(timeout=60)
    assert run.returncode == 130, err
    assert "interrupted" in err and "vidpipe resume" in err
    (project_id, status, error) = query(db, "SELECT id, status, error_message FROM projects")[0]
    assert status == "failed" and "interrupted" in error
    assert query(db, "SELECT lease_owner FROM projects")[0][0] is None  # released on the way out
    runs = [row[0] for row in query(db, "SELECT status FROM pipeline_runs")]
    assert runs == ["interrupted"]
    resumed = vidpipe("resume", str(uuid.UUID(project_id)), "--json", env=sim_env())
    assert resumed.returncode == 0, resumed.stderr
    assert document(resumed)["status"] == "complete"


def test_resume_with_a_new_budget(vidpipe, tmp_path: Path) -> None:
    broken = tmp_path / "ffmpeg"
    broken.write_text("#!/bin/sh\nexit 1\n")
    broken.chmod(0o755)
    failed = document(
        vidpipe("generate", "one", "--scenes", "1", "--clip-duration", "1", "--resolution",
                "480p", "--max-cost", "1", "--yes", "--json", env={"VIDPIPE_FFMPEG": str(broken)})
    )  # fmt: skip
    assert failed["status"] == "failed"
    bad = vidpipe("resume", failed["id"], "--max-cost", "-1")
    assert bad.returncode == 2 and "invalid --max-cost" in bad.stderr
    resumed = vidpipe("resume", failed["id"], "--max-cost", "7.5", "--json")
    assert resumed.returncode == 0 and document(resumed)["status"] == "complete"
    db = tmp_path / "data" / "vidpipe.db"
    assert query(db, "SELECT max_cost FROM projects") == [(7.5,)]
