"""Keyframes from remote models, made to fit (cropped to the frame's aspect, resized, PNG)."""

from __future__ import annotations

import io

from PIL import Image, ImageOps, UnidentifiedImageError

from vidpipe.errors import ProviderError
from vidpipe.providers.base import StyleGuide


def fit_png(data: bytes, width: int, height: int, *, source: str) -> bytes:
    """The image in `data` (any format Pillow reads) as a width×height PNG (cover + crop)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            rgb = image.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ProviderError(f"{source} returned an unreadable image: {exc}") from None
    if rgb.size != (width, height):
        rgb = ImageOps.fit(rgb, (width, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    rgb.save(out, format="PNG")
    return out.getvalue()


def styled(prompt: str, style: StyleGuide) -> str:
    palette = ", ".join(style.color_palette)
    return (
        f"{prompt}\nVisual style: {style.visual_style}. Colour palette: {palette}. "
        f"Camera: {style.camera_style}. No text, captions or watermarks."
    )


def end_frame_instruction(prompt: str, style: StyleGuide) -> str:
    return (
        "This image is the first frame of a shot. Draw the last frame of the same shot: "
        "the same characters, places, palette, lighting and lens, changed only as described.\n"
        + styled(prompt, style)
    )
