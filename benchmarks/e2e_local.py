"""Speed and memory: the local pipeline end to end, against an ffmpeg baseline from the same run.

    python benchmarks/e2e_local.py          # speed (5 × 4 s, 720p); memory (720p, 1080p × 3, 12)
    python benchmarks/e2e_local.py --quick    # smaller, for a smoke run

Prints one table; every figure comes from this run, so the ratios hold on a noisy machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vidpipe.media.codec import x264_ffmpeg_args  # noqa: E402
from vidpipe.media.ffmpeg import find_ffmpeg  # noqa: E402

PROMPT = "a lighthouse on a stormy coast at dawn, waves crashing, gulls overhead"


def measure(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MiB of the whole process tree, stdout)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    root = psutil.Process(process.pid)
    peak = 0
    while process.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.02)
    wall = time.perf_counter() - started
    out = process.stdout.read().decode() if process.stdout else ""
    if process.returncode != 0:
        raise SystemExit(f"{command[:4]} failed with exit {process.returncode}")
    return wall, peak / 2**20, out


def generate(workdir: Path, scenes: int, duration: int, resolution: str) -> tuple[float, float]:
    env = {**os.environ, "VIDPIPE_DATA_DIR": str(workdir / f"{scenes}-{resolution}")}
    command = [
        sys.executable, "-m", "vidpipe", "generate", PROMPT, "--scenes", str(scenes),
        "--clip-duration", str(duration), "--resolution", resolution, "--yes", "--json",
    ]  # fmt: skip
    wall, rss, out = measure(command, env)
    assert json.loads(out)["status"] == "complete"
    return wall, rss


def ffmpeg_baseline(workdir: Path, seconds: int) -> float:
    ffmpeg = find_ffmpeg(os.environ.get("VIDPIPE_FFMPEG"))
    command = [
        ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
        "-i", "testsrc2=size=1280x720:rate=24", "-t", str(seconds),
        *x264_ffmpeg_args(24), str(workdir / "baseline.mp4"),
    ]  # fmt: skip
    wall, _, _ = measure(command, dict(os.environ))
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 scenes × 2 s; one RSS point")
    args = parser.parse_args()
    scenes, duration = (2, 2) if args.quick else (5, 4)
    rss_points = (
        [(3, "1080p")]
        if args.quick
        else [(count, resolution) for resolution in ("720p", "1080p") for count in (3, 12)]
    )
    cores, python = os.cpu_count(), platform.python_version()
    print(f"machine: {platform.machine()}, {cores} cores, Python {python}")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        baseline = ffmpeg_baseline(workdir, scenes * duration)
        e2e, e2e_rss = generate(workdir, scenes, duration, "720p")
        print(f"\nPERF-1  local generate {scenes} × {duration} s, 720p, 24 fps, hard cuts")
        label = f"ffmpeg testsrc2 encode ({scenes * duration} s, same x264)"
        print(f"  {label:<44} {baseline:8.2f} s")
        print(f"  {'vidpipe generate (whole CLI process)':<44} {e2e:8.2f} s")
        print(f"  {'ratio (target ≤ 5.0)':<44} {e2e / baseline:8.2f} ×")
        print(f"  {'peak RSS at 720p':<44} {e2e_rss:8.0f} MiB")
        print("\nPERF-4  peak RSS of the process tree, 2 s clips (target ≤ 500 MiB, flat)")
        for count, resolution in rss_points:
            wall, rss = generate(workdir, count, 2, resolution)
            print(f"  {f'{resolution}, {count} scenes':<44} {rss:8.0f} MiB  ({wall:.1f} s)")


if __name__ == "__main__":
    main()
