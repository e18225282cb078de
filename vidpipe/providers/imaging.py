"""Keyframes from remote models, made to fit (cropped to the frame's aspect, resized, PNG)."""

from __future__ import annotations

import io

from PIL import Image, ImageOps, UnidentifiedImageError

from vidpipe.errors import ProviderError
from vidpipe.providers.base import ReferenceImage, StyleGuide

DESCRIBE_PROMPT = (
    "This image is a reference for a character or object in a short video. In one or two "
    "sentences, describe its lasting looks so an illustrator could draw it again: kind, build, "
    "face or shape, hair, clothes, colours, distinctive marks. No story, no background, no "
    "preamble."
)


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


def with_references(
    text: str, references: tuple[ReferenceImage, ...], first: int, label: str = "input image {n}"
) -> str:
    """`text` plus what the reference images (input images `first`, `first`+1, ...) are: keep
    each character or object looking exactly as in its image."""
    if not references:
        return text
    lines = [
        f"- {label.format(n=first + k)}: {ref.name}"
        + (f" ({ref.description})" if ref.description else "")
        for k, ref in enumerate(references)
    ]
    return (
        text + "\nReference images: show these characters and objects exactly as they look in "
        "their reference image (face, hair, clothes, colours, shape); do not copy the "
        "reference's background or pose.\n" + "\n".join(lines)
    )
