"""Joining per-scene clips into one MP4 with ffmpeg.

Three ways, chosen from what the clips are (measured with `probe`, never assumed):

- ``copy``: hard cuts by the concat demuxer with ``-c copy`` when every clip has the same streams
  (lossless and about as fast as reading the files). When only some clips carry audio, the silent
  ones first get a silent AAC track of their exact length, so they still join by stream copy.
- ``reencode``: hard cuts through the concat filter when the clips differ (size, codec, frame rate,
  audio format); every clip is scaled/padded to the first clip's size at the project frame rate.
- ``crossfade``: ``xfade`` (transition=fade) for video and an ``acrossfade`` chain for audio, placed
  from each clip's measured duration: the result lasts sum(durations) - (n - 1) * crossfade, to
  within half a frame (transitions last whole frames). Only the frames inside transitions pass
  through xfade; the rest go straight to the concat filter and the encoder.

The output is written to `dest` exactly (the caller renames it into place); a partial
output is removed when stitching fails or is cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from vidpipe.media import codec
from vidpipe.media.ffmpeg import run_ffmpeg
from vidpipe.media.probe import MediaInfo, probe, streams_match

log = logging.getLogger(__name__)

MP4_OUTPUT = ["-movflags", "+faststart", "-f", "mp4"]  # -f: `dest` may have a temporary suffix


@dataclass(frozen=True)
class StitchResult:
    mode: str  # "copy" | "reencode" | "crossfade"
    duration: float  # seconds, measured on the output
    has_audio: bool


async def stitch_clips(
    ffmpeg: str,
    clips: list[Path],
    dest: Path,
    *,
    crossfade: float = 0.0,
    fps: int = 24,
    workdir: Path | None = None,
) -> StitchResult:
    """Join `clips` in order into `dest` (MP4): hard cuts, or crossfades of `crossfade` seconds.

    `fps` is the frame rate of re-encoded output; stream copy keeps the clips' own. Scratch files
    go to a temporary folder inside `workdir` (default: next to `dest`) and are removed.
    Raises ValueError for no clips or a crossfade that does not fit, FFmpegError when ffmpeg fails
    or a clip cannot be read.
    """
    clips = [Path(clip) for clip in clips]
    dest = Path(dest)
    if not clips:
        raise ValueError("no clips to stitch")
    if not math.isfinite(crossfade) or crossfade < 0:
        raise ValueError(f"crossfade must be a number of seconds >= 0, not {crossfade}")
    infos = list(await asyncio.gather(*(asyncio.to_thread(probe, clip) for clip in clips)))
    fading = crossfade > 0 and len(clips) > 1
    if fading:
        _check_crossfade_fits(crossfade, clips, infos)

    scratch_parent = (Path(workdir) if workdir is not None else dest.parent).absolute()
    scratch_parent.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(prefix=".stitch-", dir=scratch_parent) as scratch:
            if fading:
                mode = "crossfade"
                await _crossfade(ffmpeg, clips, infos, dest, crossfade=crossfade, fps=fps)
            else:
                mode = await _hard_cuts(ffmpeg, clips, infos, dest, fps=fps, scratch=Path(scratch))
        result = await asyncio.to_thread(probe, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            dest.unlink(missing_ok=True)
        raise
    log.info(
        "stitched clips",
        extra={"clips": len(clips), "mode": mode, "duration": result.duration, "dest": str(dest)},
    )
    return StitchResult(mode=mode, duration=result.duration, has_audio=result.has_audio)


def _check_crossfade_fits(crossfade: float, clips: list[Path], infos: list[MediaInfo]) -> None:
    shortest = min(range(len(clips)), key=lambda i: infos[i].duration)
    if crossfade >= infos[shortest].duration:
        raise ValueError(
            f"crossfade of {crossfade:g} s must be shorter than every clip, but "
            f"{clips[shortest].name} lasts {infos[shortest].duration:.3f} s"
        )


# --- hard cuts ------------------------------------------------------------------------------


async def _hard_cuts(
    ffmpeg: str, clips: list[Path], infos: list[MediaInfo], dest: Path, *, fps: int, scratch: Path
) -> str:
    if _only_audio_presence_differs(infos):
        clips, infos = await _add_silent_tracks(ffmpeg, clips, infos, scratch)
    if streams_match(infos):
        await _concat_copy(ffmpeg, clips, infos, dest, scratch=scratch)
        return "copy"
    await _concat_reencode(ffmpeg, clips, infos, dest, fps=fps)
    return "reencode"


def _only_audio_presence_differs(infos: list[MediaInfo]) -> bool:
    """Some clips have audio, some not, and giving the silent ones a track makes all match."""
    voiced = [info for info in infos if info.has_audio]
    if not voiced or len(voiced) == len(infos) or voiced[0].audio_codec != codec.AUDIO_CODEC:
        return False
    without_audio = [_video_only(info) for info in infos]
    return streams_match(without_audio) and streams_match(voiced)


def _video_only(info: MediaInfo) -> MediaInfo:
    return replace(
        info,
        has_audio=False,
        audio_codec=None,
        audio_rate=None,
        audio_channels=None,
        audio_duration=None,
        audio_config=None,
    )


async def _add_silent_tracks(
    ffmpeg: str, clips: list[Path], infos: list[MediaInfo], scratch: Path
) -> tuple[list[Path], list[MediaInfo]]:
    """Copies of the silent clips with a silent AAC track like the others' (video copied)."""
    like = next(info for info in infos if info.has_audio)
    new_clips, new_infos = [], []
    for index, (clip, info) in enumerate(zip(clips, infos, strict=True)):
        if info.has_audio:
            new_clips.append(clip)
            new_infos.append(info)
            continue
        voiced = scratch / f"silent-{index:03d}.mp4"
        await run_ffmpeg(
            ffmpeg,
            [
                "-i", _abs(clip),
                "-f", "lavfi", "-i", f"anullsrc=r={like.audio_rate}:cl=stereo",
                "-map", "0:v:0", "-map", "1:a:0",
                "-c:v", "copy",
                "-c:a", codec.AUDIO_CODEC, "-b:a", str(codec.AUDIO_BITRATE),
                "-ar", str(like.audio_rate), "-ac", str(like.audio_channels),
                "-t", _seconds(info.duration),
                *MP4_OUTPUT, _abs(voiced),
            ],
        )  # fmt: skip
        new_clips.append(voiced)
        new_infos.append(await asyncio.to_thread(probe, voiced))
    return new_clips, new_infos


async def _concat_copy(
    ffmpeg: str, clips: list[Path], infos: list[MediaInfo], dest: Path, *, scratch: Path
) -> None:
    listing = scratch / "clips.txt"
    listing.write_text(_concat_list(clips, infos, scratch), encoding="utf-8")
    await run_ffmpeg(
        ffmpeg,
        [
            "-f", "concat", "-safe", "0", "-i", str(listing),
            "-map", "0:v:0", "-map", "0:a:0?",
            "-c", "copy",
            *MP4_OUTPUT, _abs(dest),
        ],
    )  # fmt: skip


def _concat_list(clips: list[Path], infos: list[MediaInfo], scratch: Path) -> str:
    """A concat-demuxer script. Each clip ends where its video ends: audio running past it is cut,
    so the next clip's video starts right after (no gap; total = sum of video durations)."""
    lines = []
    for index, (clip, info) in enumerate(zip(clips, infos, strict=True)):
        lines.append(f"file {_concat_quote(_listable_path(clip, index, scratch))}")
        audio_runs_over = (info.audio_duration or 0.0) > info.duration + 0.5 / max(info.fps, 1.0)
        if audio_runs_over:
            lines.append(f"outpoint {_seconds(info.duration)}")
    return "\n".join(lines) + "\n"


def _listable_path(clip: Path, index: int, scratch: Path) -> str:
    """The clip's absolute path; one with a line break (a script can't hold it) is symlinked."""
    path = str(clip.resolve())
    if "\n" in path or "\r" in path:
        link = scratch / f"clip-{index:03d}{clip.suffix}"
        os.symlink(path, link)
        path = str(link.absolute())  # not resolve(): that would follow the link back
    return path


def _concat_quote(path: str) -> str:
    """Quote for the concat script: inside '...' everything is literal; a ' is written '\\''."""
    return "'" + path.replace("'", "'\\''") + "'"


async def _concat_reencode(
    ffmpeg: str, clips: list[Path], infos: list[MediaInfo], dest: Path, *, fps: int
) -> None:
    await _encode(ffmpeg, clips, _concat_graph(_Layout.of(infos, fps)), dest, fps=fps)


# --- crossfade ------------------------------------------------------------------------------


async def _crossfade(
    ffmpeg: str,
    clips: list[Path],
    infos: list[MediaInfo],
    dest: Path,
    *,
    crossfade: float,
    fps: int,
) -> None:
    layout = _Layout.of(infos, fps)
    fades = _fade_frames(crossfade, fps, len(infos) - 1)
    if all(body >= 1 for body in _body_frames(layout.frames, fades)):
        graph = _crossfade_by_segments(layout, fades)
    else:  # a clip shorter than its transitions: they overlap, so chain the fades instead
        graph = _crossfade_by_chain(layout, fades)
    await _encode(ffmpeg, clips, graph, dest, fps=fps)


def _fade_frames(crossfade: float, fps: int, transitions: int) -> list[int]:
    """Each transition's length in whole frames, rounded so that their sum stays within half a
    frame of transitions * crossfade (so the total is sum(durations) - (n - 1) * crossfade)."""
    per_fade = crossfade * fps
    return [max(1, round((k + 1) * per_fade) - round(k * per_fade)) for k in range(transitions)]


def _body_frames(frames: list[int], fades: list[int]) -> list[int]:
    """Frames of each clip outside any transition."""
    head = [0, *fades]
    tail = [*fades, 0]
    return [count - head[i] - tail[i] for i, count in enumerate(frames)]


# --- filter graphs --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    """The common output format and each clip's length in output frames."""

    infos: list[MediaInfo]
    width: int
    height: int
    fps: int
    frames: list[int]

    @classmethod
    def of(cls, infos: list[MediaInfo], fps: int) -> _Layout:
        return cls(
            infos=infos,
            width=_even(infos[0].width),
            height=_even(infos[0].height),
            fps=fps,
            frames=[max(1, round(info.duration * fps)) for info in infos],
        )

    @property
    def with_audio(self) -> bool:
        return any(info.has_audio for info in self.infos)

    def video(self, index: int) -> str:
        """Clip `index` at the output size (letterboxed), rate and pixel format, exactly
        `frames[index]` frames long (a missing last frame is repeated, an extra one dropped)."""
        info = self.infos[index]
        steps = ["setpts=PTS-STARTPTS", f"fps={self.fps}"]
        if (info.width, info.height) != (self.width, self.height):
            steps += [
                f"scale={self.width}:{self.height}:force_original_aspect_ratio=decrease",
                f"pad={self.width}:{self.height}:(ow-iw)/2:(oh-ih)/2",
            ]
        steps += [
            "setsar=1",
            f"format={codec.PIX_FMT}",
            "tpad=stop_mode=clone:stop=-1",
            f"trim=end_frame={self.frames[index]}",
        ]
        return f"[{index}:v:0]" + ",".join(steps)

    def audio(self, index: int) -> str:
        """Clip `index`'s audio (or silence) in the house format, exactly as long as its video."""
        length = _seconds(self.frames[index] / self.fps)
        if not self.infos[index].has_audio:
            return f"anullsrc=r={codec.AUDIO_RATE}:cl={codec.AUDIO_LAYOUT},atrim=duration={length}"
        return (
            f"[{index}:a:0]asetpts=PTS-STARTPTS,aresample={codec.AUDIO_RATE},"
            f"aformat=sample_fmts=fltp:sample_rates={codec.AUDIO_RATE}:"
            f"channel_layouts={codec.AUDIO_LAYOUT},apad,atrim=duration={length}"
        )


def _concat_graph(layout: _Layout) -> list[str]:
    """Hard cuts: every clip normalised, then the concat filter."""
    graph, segments = [], []
    for index in range(len(layout.infos)):
        graph.append(f"{layout.video(index)}[v{index}]")
        segments.append(f"[v{index}]")
        if layout.with_audio:
            graph.append(f"{layout.audio(index)}[a{index}]")
            segments.append(f"[a{index}]")
    audio_out = "[aout]" if layout.with_audio else ""
    graph.append(
        f"{''.join(segments)}concat=n={len(layout.infos)}:v=1:a={int(layout.with_audio)}"
        f"[vout]{audio_out}"
    )
    return graph


def _crossfade_by_segments(layout: _Layout, fades: list[int]) -> list[str]:
    """Each clip is split into head | body | tail; only tail + head pairs go through xfade.

    xfade works in 4:4:4, so keeping the bodies out of it spares them a chroma round trip
    (visible loss) and saves time; the pieces are joined by the concat filter.
    """
    count = len(layout.infos)
    graph = []
    for index in range(count):
        first, last = index == 0, index == count - 1
        parts = (["head"] if not first else []) + ["body"] + (["tail"] if not last else [])
        labels = "".join(f"[{part}{index}]" for part in parts)
        graph.append(f"{layout.video(index)},split={len(parts)}{labels}")
        head = 0 if first else fades[index - 1]
        tail = 0 if last else fades[index]
        body_end = layout.frames[index] - tail
        if not first:
            graph.append(f"[head{index}]trim=end_frame={head},setpts=PTS-STARTPTS[h{index}]")
        graph.append(
            f"[body{index}]trim=start_frame={head}:end_frame={body_end},"
            f"setpts=PTS-STARTPTS[b{index}]"
        )
        if not last:
            graph.append(f"[tail{index}]trim=start_frame={body_end},setpts=PTS-STARTPTS[t{index}]")
    pieces = []
    for index, fade in enumerate(fades):
        graph.append(
            f"[t{index}][h{index + 1}]xfade=transition=fade:"
            f"duration={_seconds(fade / layout.fps)}:offset=0,format={codec.PIX_FMT}[x{index}]"
        )
        pieces += [f"[b{index}]", f"[x{index}]"]
    pieces.append(f"[b{count - 1}]")
    graph.append(f"{''.join(pieces)}concat=n={len(pieces)}:v=1:a=0[vout]")
    return graph + _audio_crossfades(layout, fades)


def _crossfade_by_chain(layout: _Layout, fades: list[int]) -> list[str]:
    """xfade each clip onto the result so far; xfade's offset is measured on that result."""
    count = len(layout.infos)
    graph = [f"{layout.video(index)}[v{index}]" for index in range(count)]
    video, elapsed = "[v0]", layout.frames[0]
    for index in range(1, count):
        fade = fades[index - 1]
        offset = elapsed - fade  # frames: the transition ends where the result so far ends
        out = f"[vx{index}]"
        graph.append(
            f"{video}[v{index}]xfade=transition=fade:duration={_seconds(fade / layout.fps)}:"
            f"offset={_seconds(offset / layout.fps)}{out}"
        )
        video, elapsed = out, offset + layout.frames[index]
    graph.append(f"{video}format={codec.PIX_FMT}[vout]")
    return graph + _audio_crossfades(layout, fades)


def _audio_crossfades(layout: _Layout, fades: list[int]) -> list[str]:
    """acrossfade chain, each overlap exactly as long as its video transition (keeps sync)."""
    if not layout.with_audio:
        return []
    count = len(layout.infos)
    graph = [f"{layout.audio(index)}[a{index}]" for index in range(count)]
    audio = "[a0]"
    for index in range(1, count):
        out = "[aout]" if index == count - 1 else f"[ax{index}]"
        fade = _seconds(fades[index - 1] / layout.fps)
        graph.append(f"{audio}[a{index}]acrossfade=d={fade}{out}")
        audio = out
    return graph


async def _encode(
    ffmpeg: str, clips: list[Path], graph: list[str], dest: Path, *, fps: int
) -> None:
    inputs = [arg for clip in clips for arg in ("-i", _abs(clip))]
    outputs = ["-map", "[vout]", *codec.x264_ffmpeg_args(fps)]
    if any("[aout]" in step for step in graph):
        outputs += ["-map", "[aout]", *codec.aac_ffmpeg_args()]
    await run_ffmpeg(
        ffmpeg, [*inputs, "-filter_complex", ";".join(graph), *outputs, *MP4_OUTPUT, _abs(dest)]
    )


def _abs(path: Path) -> str:
    """An absolute path, so ffmpeg never reads a name like `x:y.mp4` as a protocol."""
    return str(path.resolve())


def _even(size: int) -> int:
    return max(2, size - size % 2)


def _seconds(value: float) -> str:
    return f"{value:.6f}"
