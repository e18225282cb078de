"""Is a clip usable? Checked before a clip counts as done.

A provider can hand back a file that plays nowhere (an animated WebP saved as `.mp4`), a still
image, or a clip of the wrong length (a template that ignores the requested frame count). Any of
those, counted as `complete`, breaks the stitch and cannot be left by `resume`. `check_clip`
says what is wrong in one sentence, or returns the clip's MediaInfo.
"""

from __future__ import annotations

from pathlib import Path

import av

from vidpipe.media.probe import MediaInfo, MediaReadError, probe

DURATION_SLACK_SECONDS = 1e-3  # container rounding on top of the one-frame tolerance
_SINGLE_THREADED = {"threads": "1"}


class UnusableClipError(MediaReadError):
    """The clip cannot be used."""


def check_clip(path: str | Path, duration: float | None = None) -> MediaInfo:
    """The clip's MediaInfo when it has a video stream, lasts `duration` ± one frame (when
    given), and its first and last frames decode; UnusableClipError saying why otherwise."""
    path = Path(path)
    try:
        info = probe(path)
    except MediaReadError as exc:
        raise UnusableClipError(str(exc)) from None
    if duration is not None:
        frame = 1.0 / info.fps if info.fps > 0 else 0.0
        if abs(info.duration - duration) > frame + DURATION_SLACK_SECONDS:
            raise UnusableClipError(
                f"{path.name} lasts {info.duration:.3f} s, not the requested {duration:g} s "
                f"(± one frame at {info.fps:g} fps)"
            )
    if not info.duration > 0:
        raise UnusableClipError(f"{path.name} has no duration (a still image?)")
    _decode_ends(path, info)
    return info


def _decode_ends(path: Path, info: MediaInfo) -> None:
    """Decode the first frame, then the last (seeking near the end: a key frame at most one
    GOP before it), so a clip cut short or corrupt at either end is caught."""
    try:
        with av.open(str(path), options=_SINGLE_THREADED) as container:
            stream = container.streams.video[0]
            first = next(container.decode(stream), None)
            if first is None:
                raise UnusableClipError(f"{path.name}: its first frame does not decode")
            if stream.time_base is not None and info.duration > 0.5:
                target = int((info.duration - 0.5) / stream.time_base) + (stream.start_time or 0)
                container.seek(target, stream=stream, backward=True, any_frame=False)
            last = None
            for frame in container.decode(stream):
                last = frame
            if last is None:
                raise UnusableClipError(f"{path.name}: its last frame does not decode")
            start, base = stream.start_time, stream.time_base
            offset = float(start * base) if start and base is not None else 0.0
            end = float(last.time or 0.0) - offset + (1.0 / info.fps if info.fps else 0.0)
            if info.fps and end < info.duration - 2.0 / info.fps:
                raise UnusableClipError(
                    f"{path.name}: frames stop at {end:.2f} s of {info.duration:.2f} s"
                )
    except UnusableClipError:
        raise
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise UnusableClipError(f"{path.name}: frames do not decode ({exc})") from exc
