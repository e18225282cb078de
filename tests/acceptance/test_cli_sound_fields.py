"""`generate --narration --dialogue`, `storyboard`, and `edit --scene N --narration/--dialogue/
--sound` through the real command line (local providers): the texts land in the storyboard, bad
input is one line and exit 2 with nothing written, and no keyframe or clip is made again."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from cli_helpers import document

pytestmark = pytest.mark.slow

SMALL = ("--scenes", "2", "--clip-duration", "2", "--resolution", "480p", "--yes")


def stamps(doc: dict) -> dict[str, tuple[int, str]]:
    found = {}
    for scene in doc["scenes"]:
        for key in ("start_keyframe_path", "end_keyframe_path", "clip_path"):
            path = Path(scene[key])
            found[f"{scene['index']} {key}"] = (
                path.stat().st_ino,
                hashlib.sha256(path.read_bytes()).hexdigest(),
            )
    return found


def test_generate_print_and_edit_sound_texts(vidpipe) -> None:
    made = vidpipe(
        "generate", "Ada and Tom on a night train", *SMALL, "--narration", "--dialogue", "--json"
    )
    assert made.returncode == 0, made.stderr
    doc = document(made)
    project_id, before = doc["id"], stamps(doc)
    board = document(vidpipe("storyboard", project_id))
    assert all(scene["narration"] for scene in board["scenes"])
    assert {line["speaker"] for line in board["scenes"][0]["dialogue"]} == {"Ada", "Tom"}

    bad = vidpipe("edit", project_id, "--scene", "2", "--dialogue", "nobody says this")
    assert bad.returncode == 2
    assert (
        bad.stderr.strip()
        .splitlines()[-1]
        .endswith("invalid --dialogue: 'nobody says this'; write it as 'Speaker: line'")
    )
    long = vidpipe("edit", project_id, "--scene", "2", "--narration", "x" * 4001)
    assert long.returncode == 2 and "invalid --narration" in long.stderr
    assert document(vidpipe("storyboard", project_id)) == board  # nothing written

    edited = vidpipe(
        "edit", project_id, "--scene", "2",
        "--narration", "The last stop.",
        "--dialogue", "Tom: Wake up, we're here.",
        "--dialogue", "Ada: Already?",
        "--sound", "SFX: brakes squeal",
        "--json",
    )  # fmt: skip
    assert edited.returncode == 0, edited.stderr
    assert not {i["kind"] for i in document(edited)["items"]} & {"keyframe", "clip"}
    scene = document(vidpipe("storyboard", project_id))["scenes"][1]
    assert scene["narration"] == "The last stop."
    assert scene["dialogue"] == [
        {"speaker": "Tom", "line": "Wake up, we're here."},
        {"speaker": "Ada", "line": "Already?"},
    ]
    assert scene["sound"] == "SFX: brakes squeal"

    cleared = vidpipe("edit", project_id, "--scene", "2", "--dialogue", "", "--sound", "")
    assert cleared.returncode == 0, cleared.stderr
    scene = document(vidpipe("storyboard", project_id))["scenes"][1]
    assert (scene["dialogue"], scene["sound"], scene["narration"]) == ([], "", "The last stop.")
    status = document(vidpipe("status", project_id, "--json"))
    # idle and edited: out of date from the stitch stage (a line to speak), nothing remade
    assert (status["status"], status["stale_stage"]) == ("out_of_date", "stitching")
    assert stamps(status) == before
