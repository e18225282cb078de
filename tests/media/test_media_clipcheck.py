"""check_clip: a clip counts only with a video stream, the requested length ± one frame, and
decodable first and last frames; otherwise one sentence says why."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from vidpipe.media.clipcheck import UnusableClipError, check_clip
from vidpipe.media.ffmpeg import COMMON_ARGS

MakeClip = Callable[..., Path]


def test_a_good_clip_passes_within_one_frame(make_clip: MakeClip) -> None:
    clip = make_clip(duration=2.0, fps=24)
    info = check_clip(clip, 2.0)
    assert info.video_codec == "h264" and info.duration == pytest.approx(2.0)
    check_clip(clip, 2.0 + 1 / 24)  # one frame longer was asked: still fine
    check_clip(clip)  # no duration asked: only the stream and its frames


def test_a_clip_of_the_wrong_length_is_refused(make_clip: MakeClip) -> None:
    with pytest.raises(UnusableClipError, match=r"lasts 2\.000 s, not the requested 3 s"):
        check_clip(make_clip(duration=2.0, fps=24), 3.0)
    with pytest.raises(UnusableClipError, match="not the requested"):
        check_clip(make_clip(duration=2.0, fps=24), 2.0 + 2.5 / 24)


def test_audio_only_is_not_a_clip(ffmpeg: str, tmp_path: Path) -> None:
    path = tmp_path / "sound.m4a"
    subprocess.run(
        [ffmpeg, *COMMON_ARGS, "-f", "lavfi", "-i", "sine=d=1", "-c:a", "aac", str(path)],
        check=True,
        timeout=60,
    )
    with pytest.raises(UnusableClipError, match="no video stream"):
        check_clip(path, 1.0)


def test_a_still_image_is_not_a_clip(tmp_path: Path) -> None:
    path = tmp_path / "still.png"
    Image.new("RGB", (64, 48), (10, 20, 30)).save(path)
    with pytest.raises(UnusableClipError):
        check_clip(path, 1.0)


def test_a_clip_cut_short_is_refused(make_clip: MakeClip, tmp_path: Path) -> None:
    data = make_clip(duration=2.0, fps=24, audio=False).read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])  # moov missing or frames gone
    with pytest.raises(UnusableClipError):
        check_clip(cut, 2.0)


def test_garbage_is_refused_with_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "scene_00.mp4"
    path.write_bytes(b"RIFF\x00\x00\x00\x00WEBPVP8X" + bytes(200))
    with pytest.raises(UnusableClipError, match="scene_00.mp4"):
        check_clip(path, 1.0)
