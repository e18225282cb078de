"""Real small artifacts for the fakes to return: PNGs (Pillow) and MP4s (vidpipe's ClipWriter)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from vidpipe.media import codec
from vidpipe.media.encode import ClipWriter


def colour_of(text: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(text.encode()).digest()
    return digest[0], digest[1], digest[2]


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
    is added to every pixel (a take that strays from its keyframes)."""
    first = np.asarray(decode_png(start).resize((width, height)), dtype=np.float32) + drift
    last = np.asarray(decode_png(end).resize((width, height)), dtype=np.float32) + drift
    steps = [
        np.clip(first * (1 - t) + last * t, 0, 255).astype(np.uint8)
        for t in np.linspace(0.0, 1.0, 8)
    ]
    frames = max(2, round(seconds * fps))
    with ClipWriter(path, width, height, fps=fps, audio=audio) as writer:
        if audio:
            n = int(seconds * codec.AUDIO_RATE)
            tone = 0.1 * np.sin(2 * np.pi * 220 * np.arange(n) / codec.AUDIO_RATE)
            writer.write_audio(np.stack([tone, tone]).astype(np.float32))
        for index in range(frames):
            step = steps[min(len(steps) - 1, index * len(steps) // (frames - 1))]
            writer.write_frame(step, keyframe=index == frames - 1)
