"""Real ffmpeg-made test clips (small, 1 s) shared by the media tests."""

from __future__ import annotations

import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from vidpipe.media import codec
from vidpipe.media.ffmpeg import COMMON_ARGS, find_ffmpeg

MakeClip = Callable[..., Path]


@pytest.fixture(scope="session")
def ffmpeg() -> str:
    return find_ffmpeg(None)


@pytest.fixture(scope="session")
def make_clip(ffmpeg: str, tmp_path_factory: pytest.TempPathFactory) -> MakeClip:
    """make_clip(size=(320, 240), fps=24, duration=1.0, audio=True, color=None, freq=440) -> Path.

    `color=None` gives testsrc2 (a moving pattern), else a flat colour. Cached per options.
    """
    folder = tmp_path_factory.mktemp("clips")
    made: dict[tuple, Path] = {}

    def make(
        *,
        size: tuple[int, int] = (320, 240),
        fps: int = 24,
        duration: float = 1.0,
        audio: bool = True,
        color: str | None = None,
        freq: int = 440,
    ) -> Path:
        key = (size, fps, duration, audio, color, freq)
        if key in made:
            return made[key]
        dims = f"{size[0]}x{size[1]}"
        source = f"color=c={color}:s={dims}:r={fps}" if color else f"testsrc2=s={dims}:r={fps}"
        path = folder / f"clip-{len(made):03d}.mp4"
        args = ["-f", "lavfi", "-i", f"{source}:d={duration}"]
        if audio:
            args += ["-f", "lavfi", "-i", f"sine=f={freq}:r={codec.AUDIO_RATE}:d={duration}"]
        args += codec.x264_ffmpeg_args(fps)
        if audio:
            args += [*codec.aac_ffmpeg_args(), "-shortest"]
        subprocess.run([ffmpeg, *COMMON_ARGS, *args, str(path)], check=True, timeout=60)
        made[key] = path
        return path

    return make


@pytest.fixture
def write_script(tmp_path: Path) -> Callable[[str, str], Path]:
    """write_script(name, body) -> an executable /bin/sh script in tmp_path."""

    def write(name: str, body: str) -> Path:
        path = tmp_path / name
        path.write_text("#!/bin/sh\n" + body)
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        return path

    return write
