"""`vidpipe generate` end to end with the local providers: probe the MP4, compare frames."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import document

from vidpipe.media.frames import psnr, read_frame
from vidpipe.media.probe import probe

pytestmark = pytest.mark.slow


def test_hard_cuts_720p_with_audio_and_seamless_joins(vidpipe, tmp_path: Path) -> None:
    result = vidpipe(
        "generate", "a lighthouse on a stormy coast at dawn",
        "--scenes", "3", "--clip-duration", "2", "--yes", "--json",
        env={"VIDPIPE_LOCAL_AUDIO": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    doc = document(result)
    assert doc["status"] == "complete" and doc["error_message"] is None
    assert len(doc["scenes"]) == 3
    for scene in doc["scenes"]:
        assert scene["clip_status"] == "complete" and Path(scene["clip_path"]).is_file()
        assert Path(scene["start_keyframe_path"]).is_file()
        assert Path(scene["end_keyframe_path"]).is_file()
    final = Path(doc["output_path"])
    assert final.name == "final.mp4" and final.parent.name == "output"
    info = probe(final)
    assert (info.video_codec, info.width, info.height) == ("h264", 1280, 720)
    assert info.duration == pytest.approx(6.0, abs=0.25)
    assert info.has_audio

    frames_per_clip = 48  # 2 s at 24 fps
    for k in range(3):
        first = read_frame(final, k * frames_per_clip)
        middle = read_frame(final, k * frames_per_clip + frames_per_clip // 2)
        assert psnr(first, middle) < 30, f"clip {k} does not visibly move"
        if k < 2:  # the last frame of clip k and the first of clip k+1 are the same keyframe
            last = read_frame(final, (k + 1) * frames_per_clip - 1)
            following = read_frame(final, (k + 1) * frames_per_clip)
            assert psnr(last, following) >= 30, f"join {k}→{k + 1} is not seamless"


def test_vertical_crossfade_with_audio(vidpipe) -> None:
    result = vidpipe(
        "generate", "a paper boat drifting down a rainy city street",
        "--scenes", "3", "--clip-duration", "2", "--aspect-ratio", "9:16",
        "--resolution", "480p", "--crossfade", "0.5", "--yes", "--json",
        env={"VIDPIPE_LOCAL_AUDIO": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    info = probe(Path(document(result)["output_path"]))
    assert (info.width, info.height) == (480, 854)  # 9:16 at 480p, even sides
    assert info.duration == pytest.approx(5.0, abs=0.25)
    assert info.has_audio


def test_list_and_status_by_prefix(vidpipe) -> None:
    created = document(
        vidpipe("generate", "tiny test", "--scenes", "1", "--clip-duration", "1",
                "--resolution", "480p", "--yes", "--json")
    )  # fmt: skip
    listed = document(vidpipe("list", "--json"))
    assert [p["id"] for p in listed] == [created["id"]] and "scenes" not in listed[0]
    status = vidpipe("status", created["id"][:6], "--json")
    assert status.returncode == 0 and document(status)["id"] == created["id"]
    human = vidpipe("status", created["id"][:6])
    assert created["id"] in human.stdout and "complete" in human.stdout


@pytest.mark.postgres
def test_generate_on_postgresql(vidpipe, postgres_database_url: str) -> None:
    result = vidpipe(
        "generate", "a quiet harbour", "--scenes", "2", "--clip-duration", "1",
        "--resolution", "480p", "--yes", "--json",
        env={"VIDPIPE_DATABASE_URL": postgres_database_url},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    doc = document(result)
    assert doc["status"] == "complete"
    assert probe(Path(doc["output_path"])).duration == pytest.approx(2.0, abs=0.25)
