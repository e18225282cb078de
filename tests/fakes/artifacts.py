"""Real small artifacts for the fakes to return: PNGs (Pillow) and MP4s (vidpipe's ClipWriter).

Both are pure functions of their inputs, and the same inputs come back often within a test run
(the same keyframes, takes, retries), so each process keeps what it made: a repeated PNG is the
same bytes object, a repeated MP4 is the cached bytes written to the new path. x264 and the AAC
encoder are deterministic, so a cached copy is byte for byte what a fresh encode would write.
"""

from __future__ import annotations

import functools
import hashlib
import io
import threading
from collections import OrderedDict
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

from vidpipe.media import codec
from vidpipe.media.encode import ClipWriter


def colour_of(text: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(text.encode()).digest()
    return digest[0], digest[1], digest[2]


@functools.lru_cache(maxsize=256)
def png_from_prompt(prompt: str, width: int, height: int) -> bytes:
    """A picture that depends on the prompt: a gradient in its colour with a disc."""
    r, g, b = colour_of(prompt)
    ramp = np.linspace(0.4, 1.0, width, dtype=np.float32)[None, :, None]
    base = np.array([r, g, b], dtype=np.float32)[None, None, :]
    pixels = np.repeat((base * ramp), height, axis=0).clip(0, 255).astype(np.uint8)
    image = Image.fromarray(pixels)
    draw = ImageDraw.Draw(image)
    radius = min(width, height) // 4
    cx, cy = width // 3, height // 2
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=(255 - r, g, 255 - b))
    return encode_png(image)


@functools.lru_cache(maxsize=256)
def png_from_reference(reference: bytes, prompt: str, width: int, height: int) -> bytes:
    """An end frame conditioned on the start image: the start image, shifted and tinted."""
    start = decode_png(reference).resize((width, height))
    pixels = np.asarray(start, dtype=np.float32)
    pixels = np.roll(pixels, width // 6, axis=1)
    tint = np.array(colour_of(prompt), dtype=np.float32)[None, None, :]
    mixed = (0.75 * pixels + 0.25 * tint).clip(0, 255).astype(np.uint8)
    return encode_png(Image.fromarray(mixed))


def encode_png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def decode_png(data: bytes) -> Image.Image:
    """Decode, insisting on a real PNG (raises otherwise)."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValueError("not a PNG")
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.convert("RGB")


class _Memo:
    """Encoded clips by a hash of their inputs, least recently used dropped past `limit` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._clips: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()  # the fake Google server renders in threads

    def get(self, key: str) -> bytes | None:
        with self._lock:
            data = self._clips.get(key)
            if data is not None:
                self._clips.move_to_end(key)
            return data

    def put(self, key: str, data: bytes) -> None:
        with self._lock:
            if key in self._clips or len(data) > self.limit:
                return
            self._clips[key] = data
            self._size += len(data)
            while self._size > self.limit:
                _, dropped = self._clips.popitem(last=False)
                self._size -= len(dropped)


_CLIPS = _Memo(limit=200 * 1024 * 1024)


def mp4_between(
    path: Path,
    start: bytes,
    end: bytes,
    *,
    width: int,
    height: int,
    seconds: float,
    fps: int,
    audio: bool,
    drift: float = 0.0,
) -> None:
    """A real H.264 MP4 from the start image to the end image (a stepped crossfade); `drift`
    is added to every pixel (a take that strays from its keyframes). Always a new file at `path`;
    its bytes come from the memo when these inputs were encoded before in this process."""
    key = hashlib.sha256(
        repr((hashlib.sha256(start).hexdigest(), hashlib.sha256(end).hexdigest(),
              width, height, float(seconds), fps, bool(audio), float(drift))).encode()
    ).hexdigest()  # fmt: skip
    cached = _CLIPS.get(key)
    if cached is not None:
        path.write_bytes(cached)
        return
    _encode_mp4(path, start, end, width, height, seconds, fps, audio, drift)
    _CLIPS.put(key, path.read_bytes())


def _encode_mp4(
    path: Path,
    start: bytes,
    end: bytes,
    width: int,
    height: int,
    seconds: float,
    fps: int,
    audio: bool,
    drift: float,
) -> None:
    first = np.asarray(decode_png(start).resize((width, height)))
    last = np.asarray(decode_png(end).resize((width, height)))
    # eight steps blended in uint8 (cv2 saturates, so a drift past 0 or 255 clips there)
    steps = [cv2.addWeighted(first, 1.0 - t, last, t, drift) for t in np.linspace(0.0, 1.0, 8)]
    frames = max(2, round(seconds * fps))
    with ClipWriter(path, width, height, fps=fps, audio=audio) as writer:
        if audio:
            n = int(seconds * codec.AUDIO_RATE)
            tone = 0.1 * np.sin(2 * np.pi * 220 * np.arange(n) / codec.AUDIO_RATE)
            writer.write_audio(np.stack([tone, tone]).astype(np.float32))
        for index in range(frames):
            step = steps[min(len(steps) - 1, index * len(steps) // (frames - 1))]
            writer.write_frame(step, keyframe=index == frames - 1)
