"""The sound of a 20-scene video: what the mix adds beyond the stitch (target: at most 2 s).

    python benchmarks/sound_mix.py            # 20 × 4 s scenes at 720p, median of 3 runs
    python benchmarks/sound_mix.py --quick    # 5 scenes, 1 run

The same steps as the pipeline's sound step (vidpipe.pipeline.sound), on the same media
functions: the clips are joined into the picture (`stitch`), then one narration line per scene
(the local eSpeak NG voice, timed apart: it is the provider's time, like making a clip) is laid
at its scene's start over a looped, ducked music bed, the mix is normalised to -14 LUFS in two
passes and measured (ebur128), WebVTT/SRT are written and the final MP4 is muxed with the
picture's video by stream copy and a soft subtitle track (`mix`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vidpipe.config import Settings  # noqa: E402
from vidpipe.media import codec  # noqa: E402
from vidpipe.media.ffmpeg import find_ffmpeg  # noqa: E402
from vidpipe.media.probe import probe  # noqa: E402
from vidpipe.media.sound.mix import (  # noqa: E402
    LineInput,
    MixSettings,
    mux_final,
    normalise,
    premix,
)
from vidpipe.media.sound.subtitles import cues_from, to_srt, to_vtt  # noqa: E402
from vidpipe.media.sound.timeline import SpokenLine, place_lines, scene_spans  # noqa: E402
from vidpipe.media.stitch import stitch_clips  # noqa: E402
from vidpipe.providers.base import SpeechRequest  # noqa: E402
from vidpipe.providers.local import LocalNarrationProvider  # noqa: E402

MUSIC = Path(__file__).resolve().parent.parent / "tests" / "data" / "music_bed.mp3"
SENTENCES = [
    "The harbour wakes before the sun.",
    "A fishing boat slips its mooring.",
    "Gulls wheel over the grey water.",
    "The keeper climbs the tower stairs.",
]


def make_clip(ffmpeg: str, dest: Path, seconds: int) -> None:
    """One clip in vidpipe's codec settings (H.264 + AAC), like a local provider's."""
    subprocess.run(
        [ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=s=1280x720:r=24:d={seconds}",
         "-f", "lavfi", "-i", f"sine=f=220:d={seconds}", *codec.x264_ffmpeg_args(24),
         *codec.aac_ffmpeg_args(), "-shortest", str(dest)],
        check=True,
    )  # fmt: skip


async def speak(workdir: Path, scenes: int) -> list[tuple[Path, float]]:
    voice = LocalNarrationProvider(Settings(data_dir=workdir))
    lines = []
    for index in range(scenes):
        dest = workdir / f"line_{index:02d}.wav"
        result = await voice.speak(SpeechRequest(SENTENCES[index % len(SENTENCES)], ""), dest)
        lines.append((dest, result.duration_seconds))
    return lines


async def stitch(ffmpeg: str, clips: list[Path], dest: Path) -> None:
    await stitch_clips(ffmpeg, clips, dest, workdir=dest.parent)


async def mix(
    ffmpeg: str,
    picture: Path,
    lines: list[tuple[Path, float]],
    seconds: int,
    out: Path,
    results: list[float],
) -> None:
    """Everything the sound step does after the lines exist; returns the measured loudness."""
    info = probe(picture)
    spans = dict(enumerate(scene_spans([float(seconds)] * len(lines), 0.0)))
    spoken = [SpokenLine(i, 0, length, SENTENCES[i % 4]) for i, (_, length) in enumerate(lines)]
    placements = place_lines(spoken, spans)
    inputs = [LineInput(lines[p.line.scene_index][0], p.start) for p in placements]
    settings = MixSettings()
    premixed, audio = out / "premix.wav", out / "mix.m4a"
    measured = await premix(
        ffmpeg, premixed, duration=info.duration, picture=picture, lines=inputs, music=MUSIC,
        settings=settings,
    )  # fmt: skip
    assert measured is not None
    loudness = await normalise(ffmpeg, premixed, measured, audio, settings)
    cues = cues_from(placements, info.duration)
    (out / "final.vtt").write_text(to_vtt(cues))
    (out / "final.srt").write_text(to_srt(cues))
    await mux_final(ffmpeg, picture, out / "final.mp4", audio=audio,
                    subtitles=out / "final.srt", mode="soft")  # fmt: skip
    results.append(loudness.integrated)


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and the ffmpeg processes it ran so far: the
    figure the machine's load does not change (with 2 cores shared by many jobs, wall time is
    mostly waiting)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = resource.getrusage(resource.RUSAGE_SELF)  # the speech bus is built in-process
    return children.ru_utime + children.ru_stime + own.ru_utime + own.ru_stime


def timed(run) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    started, cpu = time.perf_counter(), cpu_seconds()
    asyncio.run(run())
    return time.perf_counter() - started, cpu_seconds() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    scenes, seconds, repeat = (5, 4, 1) if args.quick else (20, 4, 3)
    ffmpeg = find_ffmpeg(os.environ.get("VIDPIPE_FFMPEG"))
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        make_clip(ffmpeg, workdir / "clip.mp4", seconds)
        clips = []
        for index in range(scenes):  # the same clip under 20 names: joined by stream copy
            clips.append(workdir / f"scene_{index:02d}.mp4")
            os.link(workdir / "clip.mp4", clips[-1])
        started = time.perf_counter()
        lines = asyncio.run(speak(workdir, scenes))
        speaking = time.perf_counter() - started
        picture = workdir / "picture.mp4"
        stitch_times, mix_times, results = [], [], []
        out = workdir / "out"
        out.mkdir(exist_ok=True)
        for _ in range(repeat):
            stitch_times.append(timed(lambda: stitch(ffmpeg, clips, picture)))
            mix_times.append(timed(lambda: mix(ffmpeg, picture, lines, seconds, out, results)))
        lufs = results[-1]
        final = probe(out / "final.mp4")
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores; {scenes} scenes × {seconds} s"
        )
        print(f"speaking {scenes} lines (local voice, once): {speaking:.2f} s")
        load = os.getloadavg()[0]
        print(f"load average at the end: {load:.1f}")
        wall, cpu = (statistics.median(t[0] for t in stitch_times),
                     statistics.median(t[1] for t in stitch_times))  # fmt: skip
        print(f"stitch (median of {repeat}): {wall:.2f} s wall, {cpu:.2f} s CPU")
        wall, cpu = (statistics.median(t[0] for t in mix_times),
                     statistics.median(t[1] for t in mix_times))  # fmt: skip
        print(
            f"mix + mux beyond the stitch (median of {repeat}): {wall:.2f} s wall, {cpu:.2f} s CPU"
        )
        print(f"final: {final.duration:.2f} s, audio {final.has_audio}, {lufs:.1f} LUFS integrated")


if __name__ == "__main__":
    main()
