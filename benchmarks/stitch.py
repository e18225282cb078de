"""Stitch: vidpipe's stitcher against a bare ffmpeg concat copy and MoviePy, on the same clips.

    python benchmarks/stitch.py          # 5 × 4 s clips at 720p with audio, median of 3 runs
    python benchmarks/stitch.py --quick  # 3 × 2 s clips, 1 run

The clips are real vidpipe clips (local provider, VIDPIPE_LOCAL_AUDIO=1). MoviePy is a
benchmark-only extra (`pip install -e '.[bench]'`) and is given the same x264/AAC settings.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vidpipe.media import codec  # noqa: E402
from vidpipe.media.ffmpeg import find_ffmpeg  # noqa: E402
from vidpipe.media.probe import probe  # noqa: E402
from vidpipe.media.stitch import stitch_clips  # noqa: E402


def make_clips(workdir: Path, scenes: int, seconds: int) -> list[Path]:
    env = {**os.environ, "VIDPIPE_DATA_DIR": str(workdir / "data"), "VIDPIPE_LOCAL_AUDIO": "1"}
    out = subprocess.run(
        [sys.executable, "-m", "vidpipe", "generate", "harbour lights at dusk, gentle waves",
         "--scenes", str(scenes), "--clip-duration", str(seconds), "--yes", "--json"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return [Path(scene["clip_path"]) for scene in json.loads(out)["scenes"]]


def timed(function: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def concat_copy(ffmpeg: str, clips: list[Path], dest: Path) -> None:
    listing = dest.with_suffix(".txt")
    listing.write_text("".join(f"file '{clip}'\n" for clip in clips))
    subprocess.run(
        [ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0",
         "-i", str(listing), "-c", "copy", str(dest)],
        check=True,
    )  # fmt: skip


def moviepy_concat(clips: list[Path], dest: Path, fps: int) -> None:
    from moviepy import VideoFileClip, concatenate_videoclips

    loaded = [VideoFileClip(str(clip)) for clip in clips]
    try:
        joined = concatenate_videoclips(loaded)
        joined.write_videofile(
            str(dest), fps=fps, codec=codec.VIDEO_CODEC, preset=codec.PRESET,
            ffmpeg_params=["-crf", str(codec.CRF), "-pix_fmt", codec.PIX_FMT],
            audio_codec=codec.AUDIO_CODEC, logger=None,
        )  # fmt: skip
    finally:
        for clip in loaded:
            clip.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    scenes, seconds, repeat = (3, 2, 1) if args.quick else (5, 4, 3)
    ffmpeg = find_ffmpeg(os.environ.get("VIDPIPE_FFMPEG"))
    cores, python = os.cpu_count(), platform.python_version()
    print(f"machine: {platform.machine()}, {cores} cores, Python {python}; ffmpeg {ffmpeg}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        clips = make_clips(work, scenes, seconds)
        total = sum(probe(clip).duration for clip in clips)
        fps = round(probe(clips[0]).fps)

        def ours(crossfade: float) -> Callable[[], object]:
            dest = work / f"ours-{crossfade}.mp4"
            return lambda: asyncio.run(stitch_clips(ffmpeg, clips, dest, crossfade=crossfade))

        bare = timed(lambda: concat_copy(ffmpeg, clips, work / "bare.mp4"), repeat)
        hard = timed(ours(0.0), repeat)
        fade = timed(ours(0.5), repeat)
        movie = timed(lambda: moviepy_concat(clips, work / "moviepy.mp4", fps), 1)
        faded = probe(work / "ours-0.5.mp4").duration
        print(f"\nPERF-2  {scenes} clips × {seconds} s, 720p 24 fps, AAC audio ({total:.1f} s)")
        rows = [
            ("ffmpeg concat demuxer -c copy (bare)", bare, ""),
            ("vidpipe hard cuts (probe + copy)", hard, f"{hard / bare:.2f}× bare (≤ 1.5)"),
            ("MoviePy concatenate + write_videofile", movie, f"{movie / hard:.0f}× vidpipe (≥ 10)"),
            ("vidpipe crossfade 0.5 s (re-encode)", fade, f"{faded / fade:.1f}× real time (≥ 4)"),
        ]
        for label, seconds_taken, note in rows:
            print(f"  {label:<40} {seconds_taken:8.3f} s   {note}")


if __name__ == "__main__":
    main()
