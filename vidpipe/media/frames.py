"""Decoded frames as RGB arrays, and how alike two frames are."""

from __future__ import annotations

import collections
import math
from collections.abc import Sequence
from pathlib import Path

import av
import numpy as np

from vidpipe.media.probe import MediaReadError


def read_frame(path: str | Path, index: int) -> np.ndarray:
    """Frame `index` of the first video stream as an (H, W, 3) RGB uint8 array.

    A negative index counts from the end (-1 is the last frame). IndexError if out of range.
    """
    return read_frames_at(path, [index])[0]


def read_frames_at(path: str | Path, indices: Sequence[int]) -> list[np.ndarray]:
    """Several frames in one decoding pass, in the order of `indices` (negative: from the end).

    Memory stays bounded: only the requested frames and a window of the last max(-i) are kept.
    """
    wanted = set(indices)
    positive = {i for i in wanted if i >= 0}
    tail_length = max((-i for i in wanted if i < 0), default=0)
    found: dict[int, av.VideoFrame] = {}
    tail: collections.deque[av.VideoFrame] = collections.deque(maxlen=tail_length or 1)
    count = 0
    last_wanted = max(positive, default=-1)
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise MediaReadError(f"cannot read frames of {path}: it has no video stream")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for frame in container.decode(stream):
                if count in positive:
                    found[count] = frame
                if tail_length:
                    tail.append(frame)
                count += 1
                if not tail_length and count > last_wanted:
                    break
    except av.error.FFmpegError as exc:
        raise MediaReadError(f"cannot read frames of {path}: {exc.strerror or exc}") from exc

    if tail_length:
        for back in range(1, min(tail_length, len(tail)) + 1):
            found.setdefault(count - back, tail[-back])
    result = []
    for index in indices:
        absolute = index if index >= 0 else count + index
        if absolute < 0 or absolute not in found:
            raise IndexError(f"frame {index} is out of range: {path} has {count} frames")
        result.append(found[absolute].to_ndarray(format="rgb24"))
    return result


def count_frames(path: str | Path, *, decode: bool = False) -> int:
    """Number of video frames: counted from packets (fast), or by decoding with `decode=True`."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise MediaReadError(f"cannot count frames of {path}: it has no video stream")
            stream = container.streams.video[0]
            if decode:
                stream.thread_type = "AUTO"
                return sum(1 for _ in container.decode(stream))
            return sum(
                1
                for packet in container.demux(stream)
                if packet.size and packet.pts is not None and not packet.is_discard
            )
    except av.error.FFmpegError as exc:
        raise MediaReadError(f"cannot count frames of {path}: {exc.strerror or exc}") from exc


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio of two uint8 images in dB; `inf` when they are identical."""
    if a.shape != b.shape:
        raise ValueError(f"cannot compare frames of shapes {a.shape} and {b.shape}")
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    if mse == 0.0:
        return math.inf
    return 10.0 * math.log10(255.0**2 / mse)


def fidelity(clip: str | Path, start_image: str | Path, end_image: str | Path) -> float:
    """How closely a clip's first and last frames match its keyframes: the lower PSNR (dB) of
    the two, so a take that drifts at either end scores low. Keyframes of another size are
    scaled to the clip's frame size first."""
    from PIL import Image

    first, last = read_frames_at(clip, [0, -1])
    scores = []
    for frame, image_path in ((first, start_image), (last, end_image)):
        with Image.open(image_path) as image:
            rgb = image.convert("RGB")
            if rgb.size != (frame.shape[1], frame.shape[0]):
                rgb = rgb.resize((frame.shape[1], frame.shape[0]))
            scores.append(psnr(frame, np.asarray(rgb)))
    return round(min(scores), 2) if not math.isinf(min(scores)) else 99.0
