"""`resume` of a complete project whose files no longer match its plan, through the CLI."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from cli_helpers import document

from vidpipe.media.probe import probe

pytestmark = pytest.mark.slow


def sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_resume_redraws_a_deleted_keyframe_of_a_complete_project(vidpipe) -> None:
    made = vidpipe(
        "generate", "a fox crossing fresh snow", "--scenes", "2", "--clip-duration", "1",
        "--resolution", "480p", "--yes", "--json",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    project_id = document(made)["id"]
    before = document(vidpipe("status", project_id, "--json"))
    assert before["status"] == "complete"
    deleted = Path(before["scenes"][0]["end_keyframe_path"])
    drawn = sha256(deleted)
    final = Path(before["output_path"])
    final_before = final.stat().st_mtime_ns
    deleted.unlink()

    planned = document(vidpipe("plan", project_id, "--json"))
    assert [(k["scene"], k["position"]) for k in planned["keyframes"]][0] == (1, "end")
    assert planned["clips"] == [1, 2] and planned["stitch"]

    resumed = vidpipe("resume", project_id, "--yes")
    assert resumed.returncode == 0, resumed.stderr
    after = document(vidpipe("status", project_id, "--json"))
    assert after["status"] == "complete" and after["stale_stage"] is None
    redrawn = Path(after["scenes"][0]["end_keyframe_path"])
    assert redrawn.is_file()
    assert sha256(redrawn) == drawn  # the local providers draw the same frame from the same input
    # the frames and clips the plan listed are new takes; the final is joined again from them
    for old, new in zip(before["scenes"], after["scenes"], strict=True):
        assert new["clip_take"] == old["clip_take"] + 1 and Path(new["clip_path"]).is_file()
        assert new["end_keyframe_take"] == old["end_keyframe_take"] + 1  # both ends redrawn
    assert final.stat().st_mtime_ns > final_before
    assert probe(final).duration == pytest.approx(2.0, abs=0.2)

    again = vidpipe("resume", project_id, "--yes")
    assert again.returncode == 2
    assert again.stderr.strip().splitlines() == [
        f"error: project {project_id} is complete and up to date; nothing to resume; to join "
        f"its clips again, use vidpipe stitch {project_id}"
    ]
