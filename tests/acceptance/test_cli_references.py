"""Reference images through the real command line with the local providers: every
keyframe of a scene that lists a reference shows it (measured against a run without it);
replacing the image with `edit` makes exactly the keyframes and clips of the scenes that use it
stale, and `resume` leaves the others' files as they were; bad input exits 2 with one line and
writes nothing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from cli_helpers import document
from PIL import Image, ImageDraw

pytestmark = pytest.mark.slow

SMALL = ["--clip-duration", "1", "--resolution", "480p", "--yes", "--json"]


def figure(path: Path, hair: tuple[int, int, int], coat: tuple[int, int, int]) -> Path:
    """A character on a white ground: hair, face, coat (what a user's reference sheet is like)."""
    image = Image.new("RGB", (300, 400), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([110, 160, 190, 360], fill=coat)
    draw.ellipse([105, 60, 195, 160], fill=(240, 200, 170))
    draw.chord([95, 40, 205, 140], 180, 360, fill=hair)
    image.save(path)
    return path


def similarity(reference: Path, keyframe: Path) -> float:
    """The share of the keyframe in the reference subject's own colours: pixels near one of
    the two most frequent strong colours of the reference (its white ground and pale skin aside)."""
    ref = np.asarray(Image.open(reference).convert("RGB")).reshape(-1, 3).astype(np.int32)
    hsv = cv2.cvtColor(ref.reshape(1, -1, 3).astype(np.uint8), cv2.COLOR_RGB2HSV)[0]
    strong = ref[hsv[:, 1] > 120]
    keys, counts = np.unique(strong // 16, axis=0, return_counts=True)
    colours = [
        strong[(strong // 16 == key).all(axis=1)].mean(axis=0)
        for key in keys[np.argsort(-counts)][:2]
    ]
    frame = np.asarray(Image.open(keyframe).convert("RGB")).astype(np.float32)
    near = np.zeros(frame.shape[:2], dtype=bool)
    for colour in colours:
        near |= np.linalg.norm(frame - colour, axis=2) < 60
    return float(near.mean())


def keyframes_of(doc: dict) -> list[Path]:
    """Every chain image: scene 1's start, then each scene's end."""
    scenes = doc["scenes"]
    return [Path(scenes[0]["start_keyframe_path"])] + [Path(s["end_keyframe_path"]) for s in scenes]


def test_every_keyframe_of_a_scene_naming_the_reference_shows_it(vidpipe, tmp_path: Path) -> None:
    mara = figure(tmp_path / "mara.png", hair=(220, 30, 20), coat=(30, 60, 200))
    idea = "Mara the red-haired courier rides through the city"
    flags = ["--scenes", "3", "--pause-after", "keyframes", *SMALL]
    made = vidpipe("generate", idea, "--reference", f"Mara={mara}::a courier", *flags)
    assert made.returncode == 0, made.stderr
    doc = document(made)
    plain = document(vidpipe("generate", idea, *flags))

    assert [r["name"] for r in doc["references"]] == ["Mara"]
    assert doc["references"][0]["description"] == "a courier"
    stored = Path(doc["references"][0]["path"])
    assert stored.read_bytes() == mara.read_bytes()
    assert stored.name == hashlib.sha256(mara.read_bytes()).hexdigest()[:40] + ".png"
    assert [s["references"] for s in doc["scenes"]] == [["Mara"]] * 3  # named in the idea
    assert "reference Mara (a courier): scenes 1, 2, 3" in vidpipe("status", doc["id"]).stdout
    with_ref = [similarity(mara, k) for k in keyframes_of(doc)]
    without = [similarity(mara, k) for k in keyframes_of(plain)]
    assert len(with_ref) == 4
    assert min(with_ref) > 0.01, with_ref
    assert min(with_ref) > 10 * max(without), (with_ref, without)


def test_replacing_a_reference_makes_exactly_its_scenes_stale(vidpipe, tmp_path: Path) -> None:
    bike = figure(tmp_path / "bike.png", hair=(20, 160, 60), coat=(230, 200, 30))
    made = vidpipe(
        "generate", "a courier rides through the city", "--scenes", "3",
        "--reference", f"Bike={bike}", *SMALL,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    doc = document(made)
    project_id = doc["id"]
    assert doc["status"] == "complete"
    # not named in the idea: the local writer gives it a closing appearance in the last scene
    assert [s["references"] for s in doc["scenes"]] == [[], [], ["Bike"]]
    before = artifact_stamps(doc)

    red = figure(tmp_path / "red-bike.png", hair=(220, 30, 20), coat=(30, 60, 200))
    edited = vidpipe(
        "edit", project_id, "--remove-reference", "Bike", "--add-reference", f"Bike={red}",
        "--json",
    )  # fmt: skip
    assert edited.returncode == 0, edited.stderr
    plan = document(edited)
    # scene 3 uses Bike: its end frame, and its start frame (scene 2's end frame, the same image)
    assert [(k["scene"], k["position"]) for k in plan["keyframes"]] == [(2, "end"), (3, "end")]
    assert plan["clips"] == [2, 3]
    assert plan["stitch"] is True

    resumed = vidpipe("resume", project_id, "--yes", "--json")
    assert resumed.returncode == 0, resumed.stderr
    after_doc = document(resumed)
    after = artifact_stamps(after_doc)
    untouched = ["scene1 start", "scene1 end", "scene1 clip"]
    assert {k: after[k] for k in untouched} == {k: before[k] for k in untouched}
    changed = ["scene2 end", "scene3 end", "scene2 clip", "scene3 clip"]
    assert all(after[k][1] != before[k][1] for k in changed)
    assert similarity(red, Path(after_doc["scenes"][2]["end_keyframe_path"])) > 5 * similarity(
        red, Path(doc["scenes"][2]["end_keyframe_path"])
    )
    assert document(vidpipe("plan", project_id, "--json"))["keyframes"] == []


def artifact_stamps(doc: dict) -> dict[str, tuple[int, str]]:
    """(inode, content hash) of each scene's keyframes and clip."""
    stamps = {}
    for scene in doc["scenes"]:
        n = scene["index"] + 1
        for what, key in (("start", "start_keyframe_path"), ("end", "end_keyframe_path")):
            stamps[f"scene{n} {what}"] = stamp(Path(scene[key]))
        stamps[f"scene{n} clip"] = stamp(Path(scene["clip_path"]))
    return stamps


def stamp(path: Path) -> tuple[int, str]:
    return path.stat().st_ino, hashlib.sha256(path.read_bytes()).hexdigest()


def test_bad_references_exit_2_with_one_line_and_write_nothing(vidpipe, tmp_path: Path) -> None:
    mara = figure(tmp_path / "mara.png", hair=(220, 30, 20), coat=(30, 60, 200))
    text = tmp_path / "notes.png"
    text.write_text("this is not an image\n" * 20)
    huge = tmp_path / "huge.png"
    noise = np.random.default_rng(1).integers(0, 256, (3000, 3000, 3), dtype=np.uint8)
    Image.fromarray(noise).save(huge, compress_level=0)  # 27 MB of real PNG
    assert huge.stat().st_size > 25_000_000
    wide = tmp_path / "wide.png"
    Image.new("RGB", (5000, 10), "red").save(wide)
    cases = {  # what the one line must say
        "no such file": ["--reference", f"Mara={tmp_path / 'nope.png'}"],
        "not a readable PNG, JPEG or WebP": ["--reference", f"Mara={text}"],
        "at most 20.0 MiB": ["--reference", f"Mara={huge}"],
        "at most 4096 px": ["--reference", f"Mara={wide}"],
        "duplicate reference name": ["--reference", f"Mara={mara}", "--reference", f"mara={mara}"],
        "expected NAME=PATH": ["--reference", "Mara"],
        "invalid --reference: name '9lives'": ["--reference", f"9lives={mara}"],
    }
    for says, flags in cases.items():
        result = vidpipe("generate", "Mara rides", "--scenes", "1", *flags, *SMALL)
        assert result.returncode == 2, (says, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, (says, result.stderr)
        assert says in result.stderr and result.stdout == "", (says, result.stderr)
    assert not (tmp_path / "data" / "projects").exists()  # nothing written

    made = vidpipe(
        "generate", "Mara rides", "--scenes", "2", "--reference", f"Mara={mara}",
        "--pause-after", "storyboard", *SMALL,
    )  # fmt: skip
    project_id = document(made)["id"]
    root = tmp_path / "data" / "projects" / project_id
    board = document(vidpipe("storyboard", project_id))
    board["scenes"][1]["references"] = ["Mara", "Zed"]
    unknown = tmp_path / "board.json"
    unknown.write_text(json.dumps(board))
    files_before = sorted(str(p) for p in root.rglob("*"))
    status_before = document(vidpipe("status", project_id, "--json"))
    edits = {
        "unknown reference 'Zed'": ["--storyboard-file", str(unknown)],
        "duplicate reference name": ["--add-reference", f"Mara={mara}"],
        "no reference named 'Zed'": ["--remove-reference", "Zed"],
        "not a readable PNG": ["--add-reference", f"Zed={text}"],
    }
    for says, flags in edits.items():
        result = vidpipe("edit", project_id, *flags)
        assert result.returncode == 2, (says, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, (says, result.stderr)
        assert says in result.stderr, (says, result.stderr)
    assert document(vidpipe("status", project_id, "--json")) == status_before
    assert sorted(str(p) for p in root.rglob("*")) == files_before
