"""What a media file holds, read with PyAV (no ffprobe needed)."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from vidpipe.errors import FFmpegError

FPS_TOLERANCE = 1e-3
# Probing decodes a few frames (libavformat guesses the decoder delay); one thread per decoder
# makes that markedly cheaper than spinning up a thread pool per stream.
_SINGLE_THREADED = {"threads": "1"}


class MediaReadError(FFmpegError):
    """A media file could not be read."""


@dataclass(frozen=True)
class MediaInfo:
    duration: float  # seconds; the video stream's, measured from its timestamps
    width: int
    height: int
    fps: float
    video_codec: str
    pix_fmt: str
    has_audio: bool
    audio_codec: str | None
    audio_rate: int | None
    audio_channels: int | None
    frame_count: int | None
    audio_duration: float | None = None
    # Digests of the codec configuration (H.264 SPS/PPS, AAC AudioSpecificConfig): stream copy
    # can only join streams whose decoder setup is identical.
    video_config: str | None = None
    audio_config: str | None = None


def probe(path: str | Path) -> MediaInfo:
    """Describe `path`'s first video stream (and first audio stream, if any).

    Raises MediaReadError (an FFmpegError) when the file is missing, unreadable or has no video.
    """
    path = Path(path)
    try:
        with _open(path) as container:
            return _describe(container)
    except MediaReadError as exc:
        raise MediaReadError(f"cannot use {path}: {exc}") from None
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise MediaReadError(f"cannot read {path}: {_reason(exc)}") from exc


def is_playable_video(path: str | Path) -> bool:
    """Whether `path` is a non-empty video with a positive duration and a decodable first frame.

    Never raises: anything wrong means "no" (a clip that counts as not done).
    """
    try:
        path = Path(path)
        if not path.is_file() or (stat := path.stat()).st_size == 0:
            return False
        known = (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if known in _PLAYABLE:
            return True
        with _open(path) as container:
            info = _describe(container)
            if not info.duration > 0:
                return False
            container.seek(0)
            for _frame in container.decode(video=0):
                if len(_PLAYABLE) >= _PLAYABLE_MAX:
                    _PLAYABLE.clear()
                _PLAYABLE.add(known)
                return True
        return False
    except Exception:
        return False


# Files found playable, by path, inode, size and modification time: a clip is never rewritten in
# place (a new take is a new file), so the same file stays playable, and a plan (every view of
# the review screen makes one) need not decode each clip again.
_PLAYABLE: set[tuple[str, int, int, int]] = set()
_PLAYABLE_MAX = 4096


def streams_match(infos: list[MediaInfo]) -> bool:
    """Whether these clips can be joined by lossless stream copy (concat demuxer, `-c copy`)."""
    if len(infos) <= 1:
        return True
    first = infos[0]
    return all(_same_streams(first, other) for other in infos[1:])


def _same_streams(a: MediaInfo, b: MediaInfo) -> bool:
    same_video = (
        a.video_codec == b.video_codec
        and (a.width, a.height) == (b.width, b.height)
        and a.pix_fmt == b.pix_fmt
        and math.isclose(a.fps, b.fps, rel_tol=0, abs_tol=FPS_TOLERANCE)
        and a.video_config == b.video_config
    )
    same_audio = (a.has_audio, a.audio_codec, a.audio_rate, a.audio_channels, a.audio_config) == (
        b.has_audio,
        b.audio_codec,
        b.audio_rate,
        b.audio_channels,
        b.audio_config,
    )
    return same_video and same_audio


def _open(path: Path) -> av.container.InputContainer:
    return av.open(str(path), options=_SINGLE_THREADED)


def _describe(container: av.container.InputContainer) -> MediaInfo:
    if not container.streams.video:
        raise MediaReadError("it has no video stream")
    video = container.streams.video[0]
    audio = container.streams.audio[0] if container.streams.audio else None
    vctx = video.codec_context

    video_duration = _header_duration(video)
    audio_duration = _header_duration(audio) if audio is not None else None
    frame_count = video.frames or None
    if video_duration is None or (audio is not None and audio_duration is None):
        measured = _measure_by_demuxing(container, video, audio)
        video_duration = video_duration if video_duration is not None else measured["video"]
        if audio is not None and audio_duration is None:
            audio_duration = measured["audio"]
        frame_count = frame_count or measured["frames"] or None
    if video_duration is None and container.duration is not None:
        video_duration = container.duration / av.time_base

    rate = video.guessed_rate or video.average_rate or video.base_rate
    return MediaInfo(
        duration=float(video_duration or 0.0),
        width=vctx.width,
        height=vctx.height,
        fps=float(rate) if rate else 0.0,
        video_codec=vctx.name,
        pix_fmt=vctx.format.name if vctx.format is not None else "",
        has_audio=audio is not None,
        audio_codec=audio.codec_context.name if audio is not None else None,
        audio_rate=audio.codec_context.sample_rate if audio is not None else None,
        audio_channels=audio.codec_context.layout.nb_channels if audio is not None else None,
        frame_count=frame_count,
        audio_duration=audio_duration,
        video_config=_digest(video),
        audio_config=_digest(audio) if audio is not None else None,
    )


def _header_duration(stream: av.stream.Stream | None) -> float | None:
    if stream is None or not stream.duration or stream.time_base is None:
        return None
    return float(stream.duration * stream.time_base)


def _measure_by_demuxing(
    container: av.container.InputContainer,
    video: av.stream.Stream,
    audio: av.stream.Stream | None,
) -> dict[str, float | int | None]:
    """Duration from packet timestamps (end of the last packet minus the first start)."""
    starts: dict[int, Fraction] = {}
    ends: dict[int, Fraction] = {}
    frames = 0
    streams = [s for s in (video, audio) if s is not None]
    for packet in container.demux(streams):
        if packet.pts is None or packet.time_base is None:
            continue
        index = packet.stream.index
        start = packet.pts * packet.time_base
        end = (packet.pts + (packet.duration or 0)) * packet.time_base
        starts[index] = min(starts.get(index, start), start)
        ends[index] = max(ends.get(index, end), end)
        if index == video.index and not packet.is_discard:
            frames += 1
    container.seek(0)

    def span(stream: av.stream.Stream | None) -> float | None:
        if stream is None or stream.index not in ends:
            return None
        return float(ends[stream.index] - starts[stream.index])

    return {"video": span(video), "audio": span(audio), "frames": frames}


def _digest(stream: av.stream.Stream) -> str | None:
    extradata = stream.codec_context.extradata
    return hashlib.sha1(extradata).hexdigest() if extradata else None


def _reason(exc: Exception) -> str:
    if isinstance(exc, av.error.FFmpegError) and exc.strerror:
        return exc.strerror
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
