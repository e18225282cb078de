"""`edit --takes K` and `edit --scene N --references ...` through the real command line, local
providers: a new K changes nothing already made (empty plan, same files) and applies to the clips
made afterwards; a reference added later appears in no scene until a scene edit names it (names
checked: exit 2, one line, nothing written); then exactly the frames and clips of that scene are
remade, each clip as K takes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from cli_helpers import document
from PIL import Image

pytestmark = pytest.mark.slow

SMALL = ("--scenes", "2", "--clip-duration", "1", "--resolution", "480p", "--yes")


def stamps(doc: dict) -> dict[str, tuple[int, str]]:
    """(inode, content hash) of every keyframe and clip, by name."""
    found = {}
    for scene in doc["scenes"]:
        n = scene["index"] + 1
        for key in ("start_keyframe_path", "end_keyframe_path", "clip_path"):
            path = Path(scene[key])
            found[f"{n} {key}"] = (
                path.stat().st_ino,
                hashlib.sha256(path.read_bytes()).hexdigest(),
            )
    return found


def test_edit_takes_and_scene_references(vidpipe, tmp_path: Path) -> None:
    made = vidpipe("generate", "a paper kite over green hills", *SMALL, "--json")
    assert made.returncode == 0, made.stderr
    doc = document(made)
    project_id, before = doc["id"], stamps(doc)

    edited = vidpipe("edit", project_id, "--takes", "2", "--json")
    assert edited.returncode == 0, edited.stderr
    assert document(edited)["items"] == []  # nothing already made is remade
    bad = vidpipe("edit", project_id, "--takes", "7")
    assert bad.returncode == 2 and bad.stderr.strip().splitlines() == [
        "error: invalid --takes: Input should be less than or equal to 4"
    ]

    kite = tmp_path / "kite.png"
    Image.new("RGB", (80, 80), (230, 40, 40)).save(kite)
    added = vidpipe("edit", project_id, "--add-reference", f"Kite={kite}::a red kite", "--json")
    assert added.returncode == 0, added.stderr
    assert document(added)["items"] == []  # in no scene yet: nothing to redraw
    board = vidpipe("storyboard", project_id).stdout
    unknown = vidpipe("edit", project_id, "--scene", "2", "--references", "Kite,Hat")
    assert unknown.returncode == 2 and unknown.stderr.strip().splitlines() == [
        "error: invalid --references: no reference named 'Hat' (the project's: Kite)"
    ]
    assert vidpipe("storyboard", project_id).stdout == board  # nothing written

    named = vidpipe("edit", project_id, "--scene", "2", "--references", "Kite", "--json")
    assert named.returncode == 0, named.stderr
    plan = document(named)
    assert [(k["scene"], k["position"]) for k in plan["keyframes"]] == [(1, "end"), (2, "end")]
    assert [(i["scene"], i["takes"]) for i in plan["items"] if i["kind"] == "clip"] == [
        (1, 2),
        (2, 2),
    ]
    assert plan["provider_calls"] == {"storyboard": 0, "image": 2, "video": 4}

    resumed = vidpipe("resume", project_id, "--yes", "--json")
    assert resumed.returncode == 0, resumed.stderr
    after_doc = document(resumed)
    assert [s["references"] for s in after_doc["scenes"]] == [[], ["Kite"]]
    after = stamps(after_doc)
    assert after["1 start_keyframe_path"] == before["1 start_keyframe_path"]
    assert all(after[k] != before[k] for k in after if k != "1 start_keyframe_path")
    listed = document(vidpipe("takes", project_id, "--scene", "1", "--json"))
    assert listed["takes_per_clip"] == 2
    clips = [t for t in listed["takes"] if t["slot"] == "clip"]
    assert [t["take"] for t in clips] == [1, 2, 3]  # the old one, then a round of K = 2
    assert [t["take"] for t in clips if t["selected"]] in ([2], [3])
    assert all(Path(t["path"]).is_file() for t in clips)  # the old take is kept
