"""The local provider's way of keeping a character: paste it in.

Offline, with no model, the only faithful thing to do with a reference image is to show it: its
cut-out (the subject without its background) stands in the scene, graded a little toward the
scene's light, and a strip of its palette sits in the corner. Deterministic, like the painter.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from vidpipe.providers.base import ReferenceImage

_BACKGROUND_DISTANCE = 38.0  # RGB distance from the border colour that counts as subject
_HEIGHT = 0.52  # a cut-out's height as a share of the picture (above the caption band)


def composite(
    rgb: np.ndarray, references: tuple[ReferenceImage, ...], band: int, *, derived: bool = False
) -> np.ndarray:
    """`rgb` (uint8, h×w×3) with each reference's cut-out and palette strip pasted in.

    `derived`: the picture was made from the previous keyframe by a camera move, so it may hold
    that frame's copy of the subject, moved and scaled; that copy is found and painted over
    (inpainted) first, so the subject stands once, in its place."""
    h, w = rgb.shape[:2]
    scene_h = h - band
    cutouts = [cutout(reference) for reference in references]
    if derived:
        rgb = _remove_moved_copies(rgb, cutouts, scene_h)
    out = rgb.astype(np.float32)
    for index, (subject, alpha) in enumerate(cutouts):
        _paste(out, subject, alpha, index, len(references), scene_h)
        _palette_strip(out, palette(subject, alpha), index, min(h, w))
    return np.clip(out, 0, 255).astype(np.uint8)


def _remove_moved_copies(
    rgb: np.ndarray, cutouts: list[tuple[np.ndarray, np.ndarray]], scene_h: int
) -> np.ndarray:
    """Inpaint each subject's best masked match (a camera move scales by at most ~1.12)."""
    hole = np.zeros(rgb.shape[:2], np.uint8)
    scene = rgb[:scene_h].astype(np.float32)
    for index, (subject, alpha) in enumerate(cutouts):
        _, (base_w, base_h) = _placement(subject, index, len(cutouts), scene_h, rgb.shape[1])
        best: tuple[float, int, int, np.ndarray] | None = None
        for scale in (1.0, 1.04, 1.08, 1.12, 1.16):
            size = (max(4, int(base_w * scale)), max(8, int(base_h * scale)))
            if size[0] >= scene.shape[1] or size[1] >= scene.shape[0]:
                continue
            piece = cv2.resize(subject, size, interpolation=cv2.INTER_AREA)
            mask = cv2.resize(alpha, size, interpolation=cv2.INTER_AREA)
            mask3 = np.repeat((mask > 0.5).astype(np.float32)[..., None], 3, axis=2)
            found = cv2.matchTemplate(scene, piece, cv2.TM_SQDIFF, mask=mask3)
            cost, _, (x, y), _ = cv2.minMaxLoc(found)
            per_pixel = cost / max(1.0, float(mask3.sum()))
            if best is None or per_pixel < best[0]:
                best = (per_pixel, x, y, mask)
        if best is not None and best[0] < 45.0**2:  # a close match: that is the old copy
            _, x, y, mask = best
            solid = (mask > 0.05).astype(np.uint8) * 255
            region = hole[y : y + mask.shape[0], x : x + mask.shape[1]]
            region[:] = np.maximum(region, solid)
            below = hole[y + mask.shape[0] : scene_h, x : x + mask.shape[1]]  # cut off by the
            below[:] = np.maximum(below, solid[-1])  # frame's bottom: the feet go on down
    if not hole.any():
        return rgb
    hole = cv2.dilate(hole, np.ones((5, 5), np.uint8))
    return cv2.inpaint(rgb, hole, 5, cv2.INPAINT_TELEA)


def cutout(reference: ReferenceImage) -> tuple[np.ndarray, np.ndarray]:
    """(RGB float32, alpha 0..1) of the subject, cropped to it. Transparency, when the image has
    some, says what the subject is; otherwise what differs from the border colour."""
    with Image.open(reference.path) as image:
        rgba = np.asarray(image.convert("RGBA"), dtype=np.float32)
    rgb, alpha = rgba[..., :3], rgba[..., 3] / 255.0
    if alpha.min() > 0.99:
        border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
        background = np.median(border, axis=0)
        distance = np.linalg.norm(rgb - background, axis=2)
        mask = (distance > _BACKGROUND_DISTANCE).astype(np.uint8)
        kernel = np.ones((3, 3), np.uint8)
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
        share = float(mask.mean())
        alpha = mask.astype(np.float32) if 0.02 < share < 0.97 else np.ones_like(alpha)
    ys, xs = np.nonzero(alpha > 0.05)
    if len(ys) == 0:
        return rgb, np.ones_like(alpha)
    top, bottom, left, right = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    return rgb[top:bottom, left:right], alpha[top:bottom, left:right]


def palette(subject: np.ndarray, alpha: np.ndarray, count: int = 4) -> list[np.ndarray]:
    """The subject's most frequent colours (quantised, most frequent first)."""
    pixels = subject[alpha > 0.5]
    if len(pixels) == 0:
        return []
    bins = (pixels // 32).astype(np.int32)
    keys = bins[:, 0] * 64 + bins[:, 1] * 8 + bins[:, 2]
    found, counts = np.unique(keys, return_counts=True)
    colours = []
    for key in found[np.argsort(-counts, kind="stable")][:count]:
        colours.append(pixels[keys == key].mean(axis=0))
    return colours


def _placement(
    subject: np.ndarray, index: int, total: int, scene_h: int, w: int
) -> tuple[tuple[int, int], tuple[int, int]]:
    """((left, top), (width, height)) of a subject's cut-out in the picture."""
    target_h = max(8, int(scene_h * _HEIGHT))
    scale = target_h / subject.shape[0]
    target_w = max(4, int(subject.shape[1] * scale))
    if target_w > w * 0.8 / total:  # wide subjects: fit the width instead
        scale = (w * 0.8 / total) / subject.shape[1]
        target_w, target_h = max(4, int(w * 0.8 / total)), max(8, int(subject.shape[0] * scale))
    centre = w * (0.7 - 0.45 * index / max(1, total - 1)) if total > 1 else w * 0.68
    left = int(np.clip(centre - target_w / 2, 0, w - target_w))
    top = max(0, int(scene_h * 0.96) - target_h)
    return (left, top), (target_w, target_h)


def _paste(
    out: np.ndarray, subject: np.ndarray, alpha: np.ndarray, index: int, total: int, scene_h: int
) -> None:
    (left, top), size = _placement(subject, index, total, scene_h, out.shape[1])
    target_w, target_h = size
    piece = cv2.resize(subject, size, interpolation=cv2.INTER_AREA)
    mask = cv2.resize(alpha, size, interpolation=cv2.INTER_AREA)
    mask = cv2.GaussianBlur(mask, (0, 0), max(0.6, target_h / 300))[..., None]
    bottom = min(top + target_h, int(scene_h * 0.96))
    piece, mask = piece[: bottom - top], mask[: bottom - top]
    region = out[top:bottom, left : left + target_w]
    scene_light = region.mean(axis=(0, 1))
    graded = piece * 0.88 + scene_light * 0.12  # a touch of the scene's light on the subject
    shadow_top = min(bottom, out.shape[0] - 1)
    out[shadow_top - 2 : shadow_top, left : left + target_w] *= 0.75
    region[:] = region * (1 - mask) + graded * mask


def _palette_strip(out: np.ndarray, colours: list[np.ndarray], index: int, unit: int) -> None:
    side = max(6, unit // 22)
    gap = max(1, side // 6)
    top = gap + index * (side + gap)
    for k, colour in enumerate(colours):
        left = gap + k * (side + gap)
        out[top : top + side, left : left + side] = 255.0
        out[top + 1 : top + side - 1, left + 1 : left + side - 1] = colour
