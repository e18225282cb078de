"""Turning what a ComfyUI output node saved into the project's clip: H.264 MP4, checked.

Templates save video in many ways: SaveVideo (H.264 MP4), SaveWEBM (VP9 or AV1 WebM),
SaveAnimatedWEBP, SaveAnimatedPNG, GIFs from custom nodes. The stitcher joins H.264 MP4s, so
anything else is transcoded with the project's ffmpeg and its codec settings, and every clip
is checked (a video stream, the requested duration ± one frame, decodable ends) before it
counts. A file that cannot be used fails the operation with the reason, never as `complete`.

Animated WebP needs a recent ffmpeg (the bundled one decodes it; older system builds do not), so
when ffmpeg fails on an animated image the frames are read with Pillow and encoded with the
project's ClipWriter instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

import numpy as np

from vidpipe.errors import FFmpegError, OperationFailedError
from vidpipe.media import codec
from vidpipe.media.clipcheck import UnusableClipError, check_clip
from vidpipe.media.ffmpeg import find_ffmpeg, run_ffmpeg
from vidpipe.media.probe import MediaInfo, MediaReadError, probe

log = logging.getLogger(__name__)

TRANSCODE_TIMEOUT_SECONDS = 600.0
ANIMATED_IMAGES = (".webp", ".png", ".apng", ".gif")


def is_project_mp4(info: MediaInfo, suffix: str) -> bool:
    return suffix == ".mp4" and info.video_codec == "h264" and info.pix_fmt == codec.PIX_FMT


async def write_clip(
    data: bytes,
    filename: str,
    dest: Path,
    *,
    duration: float,
    fps: int,
    ffmpeg: str | None,
    what: str,
) -> MediaInfo:
    """Write `data` (saved by ComfyUI as `filename`) to `dest` as the project's H.264 MP4."""
    suffix = Path(filename).suffix.lower()
    raw = dest.with_name(f"{dest.stem}.comfyui{suffix or '.bin'}")
    raw.write_bytes(data)
    try:
        if _is_ready(raw, suffix):
            raw.replace(dest)
        else:
            await _transcode(raw, dest, suffix=suffix, fps=fps, ffmpeg=ffmpeg)
        return await asyncio.to_thread(check_clip, dest, duration)
    except (UnusableClipError, FFmpegError) as exc:
        dest.unlink(missing_ok=True)
        raise OperationFailedError(
            f"{what}: ComfyUI's output {filename} cannot be used as a clip: {exc}. "
            "Fix the template's output node, then resume"
        ) from None
    finally:
        with contextlib.suppress(OSError):
            raw.unlink(missing_ok=True)


def _is_ready(path: Path, suffix: str) -> bool:
    try:
        return is_project_mp4(probe(path), suffix)
    except MediaReadError:
        return False  # e.g. animated WebP, which PyAV cannot decode: ffmpeg may


async def _transcode(
    source: Path, dest: Path, *, suffix: str, fps: int, ffmpeg: str | None
) -> None:
    try:
        await _ffmpeg_transcode(source, dest, fps=fps, ffmpeg=ffmpeg)
    except FFmpegError as exc:
        if suffix not in ANIMATED_IMAGES:
            raise
        log.info("ffmpeg cannot read %s (%s); decoding it with Pillow", source.name, exc)
        await asyncio.to_thread(_animation_to_mp4, source, dest, fps)


async def _ffmpeg_transcode(source: Path, dest: Path, *, fps: int, ffmpeg: str | None) -> None:
    binary = find_ffmpeg(ffmpeg)
    # Frames keep their own timing (animated images store per-frame delays and merge repeated
    # frames); `-r` in the codec arguments resamples them to the constant rate asked for.
    args = [
        "-i", str(source),
        "-map", "0:v:0", "-map", "0:a:0?",
        "-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2",  # yuv420p wants even sizes
        *codec.x264_ffmpeg_args(fps),
        *codec.aac_ffmpeg_args(),
        "-movflags", "+faststart",
        "-f", "mp4", str(dest),
    ]  # fmt: skip
    await run_ffmpeg(binary, args, timeout=TRANSCODE_TIMEOUT_SECONDS)


def _animation_to_mp4(source: Path, dest: Path, fps: int) -> None:
    """An animated WebP/PNG/GIF to H.264 at `fps`, one frame in memory at a time: each input
    frame is repeated for the output frames that fall within its delay."""
    from PIL import Image, ImageSequence, UnidentifiedImageError

    from vidpipe.media.encode import ClipWriter

    try:
        with Image.open(source) as image:
            width, height = image.size[0] // 2 * 2, image.size[1] // 2 * 2
            if width == 0 or height == 0:
                raise UnusableClipError(f"{source.name} is {image.size[0]}×{image.size[1]}")
            written, elapsed = 0, 0.0
            with ClipWriter(dest, width, height, fps) as writer:
                for frame in ImageSequence.Iterator(image):
                    rgb = np.asarray(frame.convert("RGB"))[:height, :width]  # loads the frame
                    elapsed += float(frame.info.get("duration") or 1000 / fps) / 1000
                    while written < round(elapsed * fps):
                        writer.write_frame(rgb)
                        written += 1
            if written == 0:
                raise UnusableClipError(f"{source.name} has no frames")
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise UnusableClipError(f"{source.name} cannot be decoded: {exc}") from exc
