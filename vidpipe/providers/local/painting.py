"""Vectorised painting primitives for the local image renderer.

Pictures are float32 RGB arrays in [0, 1], shape (height, width, 3). Shapes are drawn as uint8
coverage masks with OpenCV (anti-aliased) and composited only inside their bounding box; smooth
fields (skies, glows, water) are numpy expressions over broadcast row/column vectors.
Sizes are given in fractions of the picture so every resolution shows the same composition.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

Color = np.ndarray  # shape (3,), float32 in [0, 1]

_SHIFT = 4  # sub-pixel bits for cv2 drawing
_ONE = 1 << _SHIFT


def rgb01(rgb: tuple[int, int, int]) -> Color:
    return np.asarray(rgb, dtype=np.float32) / 255.0


def luminance(c: np.ndarray) -> np.ndarray:
    return c[..., 0] * 0.299 + c[..., 1] * 0.587 + c[..., 2] * 0.114


def mix(a: Color, b: Color, t: float) -> Color:
    return (a * (1.0 - t) + b * t).astype(np.float32)


def saturation(c: Color) -> float:
    return float(c.max() - c.min())


def pt(x: float, y: float) -> tuple[int, int]:
    """A sub-pixel point for cv2 drawing with shift=_SHIFT."""
    return round(x * _ONE), round(y * _ONE)


def new_mask(img: np.ndarray) -> np.ndarray:
    return np.zeros(img.shape[:2], dtype=np.uint8)


def fill_poly(mask: np.ndarray, points: list[tuple[float, float]]) -> None:
    poly = np.array([pt(x, y) for x, y in points], dtype=np.int32)
    cv2.fillPoly(mask, [poly], 255, cv2.LINE_AA, _SHIFT)


def fill_circle(mask: np.ndarray, x: float, y: float, r: float) -> None:
    cv2.circle(mask, pt(x, y), max(1, round(r * _ONE)), 255, -1, cv2.LINE_AA, _SHIFT)


def fill_ellipse(
    mask: np.ndarray, x: float, y: float, rx: float, ry: float, angle: float = 0.0
) -> None:
    axes = (max(1, round(rx * _ONE)), max(1, round(ry * _ONE)))
    cv2.ellipse(mask, pt(x, y), axes, angle, 0, 360, 255, -1, cv2.LINE_AA, _SHIFT)


def line(
    mask: np.ndarray, x0: float, y0: float, x1: float, y1: float, width: float, value: int = 255
) -> None:
    thickness = max(1, round(width))
    cv2.line(mask, pt(x0, y0), pt(x1, y1), value, thickness, cv2.LINE_AA, _SHIFT)


def blend_mask(
    img: np.ndarray, mask: np.ndarray, color: Color | np.ndarray, opacity: float = 1.0
) -> None:
    """Paint `color` (a colour, or a layer the size of img) through a uint8 mask, in place."""
    x, y, w, h = cv2.boundingRect(mask)
    if w == 0 or h == 0:
        return
    alpha = mask[y : y + h, x : x + w].astype(np.float32) * (opacity / 255.0)
    region = img[y : y + h, x : x + w]
    src = color[y : y + h, x : x + w] if color.ndim == 3 else color
    region += (src - region) * alpha[..., None]


def blend_alpha(
    img: np.ndarray, alpha: np.ndarray, src: Color | np.ndarray, rows: slice | None = None
) -> None:
    """Paint `src` (a colour, or a layer the size of the region) through a float alpha field.

    `rows` limits the work to a band of img; alpha and a layer src are then that band's size.
    """
    region = img[rows] if rows is not None else img
    region += (src - region) * alpha[..., None]


def screen(img: np.ndarray, light: np.ndarray, color: Color) -> None:
    """Add light (a float field ≥ 0) of a colour without clipping harshly, in place."""
    img += (1.0 - img) * (light[..., None] * color)


def smooth_noise(h: int, w: int, rng: np.random.Generator, cells: int = 5) -> np.ndarray:
    """Smooth value noise in about [-1, 1], `cells` features across the short side."""
    short = min(h, w)
    gh = max(2, round(cells * h / short)) + 1
    gw = max(2, round(cells * w / short)) + 1
    grid = rng.standard_normal((gh, gw)).astype(np.float32)
    return cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC) * 0.7


def ridge_line(
    w: int,
    rng: np.random.Generator,
    octaves: int = 6,
    roughness: float = 0.55,
    smooth: bool = False,
) -> np.ndarray:
    """A 1-D fractal profile over the width, normalised to [0, 1] (1 = highest)."""
    x = np.linspace(0.0, 1.0, w, dtype=np.float32)
    y = np.zeros(w, dtype=np.float32)
    for o in range(octaves):
        n = 2 ** (o + 1) + 1
        knots = rng.uniform(-1.0, 1.0, n).astype(np.float32)
        xs = np.linspace(0.0, 1.0, n, dtype=np.float32)
        if smooth:  # cosine interpolation: rolling dunes instead of sharp peaks
            idx = np.minimum((x * (n - 1)).astype(np.int32), n - 2)
            f = x * (n - 1) - idx
            f = (1 - np.cos(f * np.pi)) / 2
            y += (knots[idx] * (1 - f) + knots[idx + 1] * f) * roughness**o
        else:
            y += np.interp(x, xs, knots).astype(np.float32) * roughness**o
    span = float(y.max() - y.min()) or 1.0
    return (y - y.min()) / span


# ------------------------------------------------------------------ sky and light


def vertical_gradient(h: int, w: int, stops: list[tuple[float, Color]]) -> np.ndarray:
    """A picture filled with a top-to-bottom gradient through (position 0..1, colour) stops."""
    pos = np.array([p for p, _ in stops], dtype=np.float32)
    cols = np.stack([c for _, c in stops]).astype(np.float32)
    y = (np.arange(h, dtype=np.float32) + 0.5) / h
    column = np.stack([np.interp(y, pos, cols[:, ch]) for ch in range(3)], axis=1)
    return np.ascontiguousarray(np.broadcast_to(column[:, None, :], (h, w, 3)), dtype=np.float32)


def radial_field(h: int, w: int, cx: float, cy: float, radius: float) -> np.ndarray:
    """exp(-(d/radius)^2) around (cx, cy), computed at quarter resolution (it is smooth)."""
    sh, sw = max(2, h // 4), max(2, w // 4)
    ys = ((np.arange(sh, dtype=np.float32) + 0.5) * h / sh - cy) / radius
    xs = ((np.arange(sw, dtype=np.float32) + 0.5) * w / sw - cx) / radius
    small = np.exp(-(ys[:, None] ** 2 + xs[None, :] ** 2))
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def paint_glow(
    img: np.ndarray, cx: float, cy: float, radius: float, color: Color, k: float
) -> None:
    h, w = img.shape[:2]
    screen(img, radial_field(h, w, cx, cy, radius) * k, color)


def paint_sun(img: np.ndarray, cx: float, cy: float, r: float, color: Color, glow: Color) -> None:
    paint_glow(img, cx, cy, r * 7.0, glow, 0.55)
    paint_glow(img, cx, cy, r * 2.2, mix(glow, color, 0.5), 0.6)
    disc = new_mask(img)
    fill_circle(disc, cx, cy, r)
    blend_mask(img, disc, color)


def paint_moon(img: np.ndarray, cx: float, cy: float, r: float, color: Color, sky: Color) -> None:
    paint_glow(img, cx, cy, r * 5.0, mix(color, sky, 0.4), 0.35)
    disc = new_mask(img)
    fill_circle(disc, cx, cy, r)
    bite = new_mask(img)
    fill_circle(bite, cx + r * 0.45, cy - r * 0.2, r * 0.9)
    crescent = cv2.subtract(disc, bite)
    blend_mask(img, disc, mix(sky, color, 0.25))  # the dark side, faintly lit
    blend_mask(img, crescent, color)


def paint_stars(
    img: np.ndarray, rng: np.random.Generator, bottom: float, density: float, color: Color
) -> None:
    """Stars above row `bottom`, fading where the sky is bright."""
    h, w = img.shape[:2]
    bottom_row = max(2, int(bottom))
    n = int(density * w * bottom_row / 900)
    if n <= 0:
        return
    field = np.zeros((bottom_row, w), dtype=np.float32)
    ys = rng.integers(0, bottom_row, n)
    xs = rng.integers(0, w, n)
    field[ys, xs] = rng.uniform(0.25, 1.0, n).astype(np.float32) ** 2
    sigma = 0.45 + min(h, w) / 1400
    field = cv2.GaussianBlur(field, (0, 0), sigma) * (2 * math.pi * sigma * sigma)
    field = np.minimum(field, 1.0)
    dark = 1.0 - np.clip(luminance(img[:bottom_row]) * 1.6, 0.0, 1.0)
    fade = np.linspace(1.0, 0.3, bottom_row, dtype=np.float32)[:, None]
    screen(img[:bottom_row], field * dark * fade, color)


def paint_clouds(
    img: np.ndarray, rng: np.random.Generator, top: float, bottom: float, count: int, color: Color
) -> None:
    """Soft cumulus clouds between rows `top` and `bottom`, painted at low resolution."""
    h, w = img.shape[:2]
    scale = 4
    sh, sw = max(4, h // scale), max(4, w // scale)
    mask = np.zeros((sh, sw), dtype=np.uint8)
    shade = np.zeros((sh, sw), dtype=np.uint8)
    for _ in range(count):
        cx = rng.uniform(-0.05, 1.05) * sw
        cy = rng.uniform(top, bottom) / scale
        size = rng.uniform(0.05, 0.11) * sw
        for _ in range(int(rng.integers(4, 8))):
            ox = rng.uniform(-1.4, 1.4) * size
            oy = rng.uniform(-0.35, 0.15) * size
            r = size * rng.uniform(0.35, 0.7)
            cv2.circle(mask, (int(cx + ox), int(cy + oy)), max(1, int(r)), 255, -1, cv2.LINE_AA)
            # the underside is shaded: a second, lower disc on the shade mask
            cv2.circle(shade, (int(cx + ox), int(cy + oy + r * 0.5)), max(1, int(r * 0.8)), 255, -1)
    soft = max(1.0, sw / 160)
    a = cv2.GaussianBlur(mask, (0, 0), soft).astype(np.float32) / 255.0
    s: np.ndarray = cv2.GaussianBlur(shade, (0, 0), soft * 2).astype(np.float32) / 255.0
    a = cv2.resize(a, (w, h), interpolation=cv2.INTER_LINEAR) * 0.85
    s = cv2.resize(s, (w, h), interpolation=cv2.INTER_LINEAR)
    lit = np.clip(color * 1.05, 0.0, 1.0)
    layer_light = a * (1.0 - 0.35 * s)
    blend_alpha(img, layer_light, lit)
    blend_alpha(img, a * 0.35 * s, color * 0.7)


def paint_fog(
    img: np.ndarray, rng: np.random.Generator, y: float, depth: float, color: Color
) -> None:
    h, w = img.shape[:2]
    rows = np.arange(h, dtype=np.float32)[:, None]
    band = np.exp(-(((rows - y) / max(1.0, depth)) ** 2))
    wisps = 0.75 + 0.25 * smooth_noise(h, w, rng, cells=3)
    blend_alpha(img, np.clip(band * wisps * 0.6, 0.0, 0.8), color)


# ------------------------------------------------------------------ land and water


def paint_ridge_layer(
    img: np.ndarray,
    profile: np.ndarray,
    base: float,
    height: float,
    color: Color,
    shade_to: Color,
    snow: Color | None = None,
) -> np.ndarray:
    """Fill below a ridge (row = base − height·profile); returns the ridge rows per column."""
    h = img.shape[0]
    ridge = base - height * profile
    top = max(0, int(ridge.min()) - 1)
    rows = np.arange(top, h, dtype=np.float32)[:, None]
    depth = rows - ridge[None, :]
    cover = np.clip(depth + 0.5, 0.0, 1.0)
    fall = np.clip(depth / max(1.0, height * 1.2), 0.0, 1.0)[..., None]
    layer = color * (1.0 - fall) + shade_to * fall
    if snow is not None:
        high = np.clip((profile - 0.45) / 0.55, 0.0, 1.0)[None, :]
        cap = np.clip(1.0 - depth / np.maximum(1.0, height * 0.28 * high), 0.0, 1.0) * high
        layer = layer + (snow - layer) * (cap[..., None] * 0.9)
    blend_alpha(img, cover, layer, rows=slice(top, h))
    return ridge


def paint_water(
    img: np.ndarray,
    rng: np.random.Generator,
    horizon: float,
    near: Color,
    far: Color,
    glint_x: float | None,
    glint_color: Color,
) -> None:
    h, w = img.shape[:2]
    top = int(horizon)
    if top >= h:
        return
    rows = np.arange(top, h, dtype=np.float32)
    d = (rows - horizon) / max(1.0, h - horizon)  # 0 at the horizon, 1 at the bottom
    t = np.clip(d, 0.0, 1.0) ** 0.6
    base = far[None, :] * (1 - t[:, None]) + near[None, :] * t[:, None]  # (rows, 3)
    wobble = smooth_noise(h - top, w, rng, cells=7) * 1.6
    phase = np.log(d + 0.015)[:, None] * 38.0 + wobble
    crest = (0.5 + 0.5 * np.sin(phase)) ** 6
    brightness = 1.0 + 0.1 * (crest - 0.25)
    layer = base[:, None, :] * brightness[..., None]
    if glint_x is not None:
        x = np.arange(w, dtype=np.float32)[None, :]
        spread = (0.02 + 0.12 * d[:, None]) * w
        column = np.exp(-(((x - glint_x) / spread) ** 2))
        layer += (glint_color - layer) * (column * (0.25 + 0.75 * crest) * 0.75)[..., None]
    img[top:h] = layer


def paint_ground(
    img: np.ndarray, rng: np.random.Generator, horizon: float, far: Color, near: Color
) -> None:
    h, w = img.shape[:2]
    profile = ridge_line(w, rng, octaves=4, roughness=0.5, smooth=True)
    ridge = horizon - (0.015 + 0.03 * profile) * h
    top = max(0, int(ridge.min()) - 1)
    rows = np.arange(top, h, dtype=np.float32)[:, None]
    cover = np.clip(rows - ridge[None, :] + 0.5, 0.0, 1.0)
    t = np.clip((rows - horizon) / max(1.0, h - horizon), 0.0, 1.0) ** 0.8
    layer = far * (1 - t[..., None]) + near * t[..., None]
    layer = layer * (1.0 + 0.03 * smooth_noise(h - top, w, rng, cells=9))[..., None]
    blend_alpha(img, cover, np.broadcast_to(layer, (h - top, w, 3)), rows=slice(top, h))


def paint_city(
    img: np.ndarray,
    rng: np.random.Generator,
    horizon: float,
    color: Color,
    haze: Color,
    windows: Color,
    night: bool,
) -> None:
    h, w = img.shape[:2]
    u = min(h, w)
    for layer, (tall, shade) in enumerate(((0.42, 0.45), (0.3, 0.0))):
        mask = new_mask(img)
        x = -rng.uniform(0, 0.03) * w
        while x < w:
            bw = rng.uniform(0.035, 0.09) * w
            bh = rng.uniform(0.25, 1.0) * tall * h * (0.8 if layer else 1.0)
            top = horizon - bh
            cv2.rectangle(mask, (int(x), int(top)), (int(x + bw), int(horizon + 2)), 255, -1)
            if rng.random() < 0.25:  # a spire
                cx = x + bw / 2
                fill_poly(
                    mask, [(cx - bw * 0.15, top), (cx, top - bh * 0.15), (cx + bw * 0.15, top)]
                )
            x += bw + rng.uniform(-0.01, 0.012) * w
        tone = mix(color, haze, shade)
        blend_mask(img, mask, tone)
        # lit windows on a regular grid, each cell on or off at random
        wx = max(3, round(0.011 * u))
        wy = max(4, round(0.02 * u))
        xs = np.arange(w)
        ys = np.arange(h)
        on_col = (xs % wx) < max(1, wx // 2)
        on_row = (ys % wy) < max(1, wy // 2)
        table = rng.random((64, 64)) < (0.45 if night else 0.22)
        lit = table[(ys // wy % 64)[:, None], (xs // wx % 64)[None, :]]
        grid = np.logical_and.outer(on_row, on_col) & lit & (mask > 200)
        strength = (0.9 if night else 0.45) * (0.6 if layer == 0 else 1.0)
        blend_mask(img, (grid * 255).astype(np.uint8), windows, opacity=strength)


def _pine(mask: np.ndarray, x: float, base: float, height: float) -> None:
    width = height * 0.42
    line(mask, x, base, x, base - height * 0.2, max(1.0, width * 0.12))
    for tier in range(3):
        bottom = base - height * (0.12 + tier * 0.26)
        top = bottom - height * 0.42
        half = width * (0.5 - tier * 0.11)
        fill_poly(mask, [(x - half, bottom), (x, top), (x + half, bottom)])


def _round_tree(
    mask: np.ndarray, x: float, base: float, height: float, rng: np.random.Generator
) -> None:
    line(mask, x, base, x, base - height * 0.55, max(1.0, height * 0.07))
    crown = height * 0.3
    for _ in range(6):
        fill_circle(
            mask,
            x + rng.uniform(-0.7, 0.7) * crown,
            base - height * 0.62 + rng.uniform(-0.45, 0.3) * crown,
            crown * rng.uniform(0.55, 0.8),
        )


def paint_trees(
    img: np.ndarray,
    rng: np.random.Generator,
    horizon: float,
    color: Color,
    haze: Color,
    forest: bool,
    round_trees: bool,
) -> None:
    h, w = img.shape[:2]
    rows = ((0.75, 0.07, 38), (0.35, 0.13, 18), (0.0, 0.24, 7)) if forest else ((0.0, 0.3, 3),)
    for depth, (fade, size, count) in enumerate(rows):
        mask = new_mask(img)
        n = count if forest else int(rng.integers(1, count + 1))
        for i in range(n):
            if forest:
                x = (i + rng.uniform(0.0, 1.0)) / n * w * 1.04 - 0.02 * w
            else:
                x = rng.choice([rng.uniform(0.05, 0.3), rng.uniform(0.7, 0.95)]) * w
            height = size * h * rng.uniform(0.75, 1.25)
            base = horizon + (depth * 0.09 + rng.uniform(0.0, 0.04)) * (h - horizon) + height * 0.04
            if round_trees:
                _round_tree(mask, x, base, height, rng)
            else:
                _pine(mask, x, base, height)
        blend_mask(img, mask, mix(color, haze, fade))


def paint_flock(
    img: np.ndarray, rng: np.random.Generator, count: int, top: float, bottom: float, color: Color
) -> None:
    h, w = img.shape[:2]
    mask = new_mask(img)
    cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(top, bottom)
    for _ in range(count):
        x = cx + rng.normal(0, 0.09) * w
        y = cy + rng.normal(0, 0.05) * h
        s = rng.uniform(0.006, 0.014) * min(h, w) * 1.5
        flap = rng.uniform(0.2, 0.7)
        pts = np.array(
            [
                pt(x - s, y - s * flap),
                pt(x - s * 0.4, y - s * 0.1),
                pt(x, y + s * 0.15),
                pt(x + s * 0.4, y - s * 0.1),
                pt(x + s, y - s * flap),
            ],
            dtype=np.int32,
        )
        cv2.polylines(mask, [pts], False, 255, max(1, round(s * 0.22)), cv2.LINE_AA, _SHIFT)
    blend_mask(img, mask, color)


def paint_rain(
    img: np.ndarray, rng: np.random.Generator, color: Color, amount: float = 1.0
) -> None:
    h, w = img.shape[:2]
    mask = new_mask(img)
    n = int(amount * w * h / 2600)
    length = 0.05 * h
    slant = rng.uniform(-0.25, 0.25)
    xs = rng.uniform(-0.1, 1.1, n) * w
    ys = rng.uniform(-0.1, 1.0, n) * h
    ls = rng.uniform(0.5, 1.0, n) * length
    width = max(1.0, min(h, w) / 700)
    for x, y, ln in zip(xs, ys, ls, strict=True):
        line(mask, x, y, x + slant * ln, y + ln, width, 150)
    blend_mask(img, mask, color, opacity=0.45)


def paint_snow(
    img: np.ndarray, rng: np.random.Generator, color: Color, amount: float = 1.0
) -> None:
    h, w = img.shape[:2]
    mask = new_mask(img)
    n = int(amount * w * h / 3200)
    u = min(h, w)
    xs = rng.uniform(0, w, n)
    ys = rng.uniform(0, h, n)
    rs = rng.uniform(0.6, 2.4, n) * u / 720
    for x, y, r in zip(xs, ys, rs, strict=True):
        fill_circle(mask, x, y, r)
    blend_mask(img, mask, color, opacity=0.85)


# ------------------------------------------------------------------ subjects


def _person(mask: np.ndarray, x: float, base: float, s: float, kind: str) -> list[tuple]:
    """A standing figure `s` tall with its feet at (x, base). Returns accent shapes."""
    head = s * (0.085 if kind == "person" else 0.1)
    neck = base - s * 0.82
    shoulders = s * 0.15
    hip = base - s * 0.45
    fill_poly(
        mask,
        [(x - shoulders, neck), (x + shoulders, neck), (x + s * 0.1, hip), (x - s * 0.1, hip)],
    )
    leg = s * 0.055
    line(mask, x - s * 0.05, hip, x - s * 0.08, base, leg * 2)
    line(mask, x + s * 0.05, hip, x + s * 0.09, base, leg * 2)
    line(mask, x - shoulders * 0.9, neck + s * 0.02, x - s * 0.2, hip + s * 0.02, leg * 1.6)
    line(mask, x + shoulders * 0.9, neck + s * 0.02, x + s * 0.19, hip - s * 0.02, leg * 1.6)
    hy = neck - head * 0.95
    accents: list[tuple] = []
    if kind == "robot":
        cv2.rectangle(
            mask, pt(x - head, hy - head), pt(x + head, hy + head), 255, -1, cv2.LINE_AA, _SHIFT
        )
        line(mask, x, hy - head, x, hy - head * 1.8, max(1.0, s * 0.012))
        fill_circle(mask, x, hy - head * 1.9, head * 0.2)
        accents.append(("rect", x - head * 0.7, hy - head * 0.3, x + head * 0.7, hy + head * 0.05))
    elif kind == "astronaut":
        fill_circle(mask, x, hy, head * 1.25)
        cv2.rectangle(
            mask,
            pt(x - shoulders * 1.25, neck + s * 0.03),
            pt(x - shoulders * 0.2, hip - s * 0.05),
            255,
            -1,
            cv2.LINE_AA,
            _SHIFT,
        )
        accents.append(("ellipse", x + head * 0.25, hy, head * 0.75, head * 0.5))
    else:
        fill_circle(mask, x, hy, head)
    return accents


def _quadruped(mask: np.ndarray, x: float, base: float, s: float, facing: int) -> None:
    body_y = base - s * 0.55
    fill_ellipse(mask, x, body_y, s * 0.42, s * 0.19)
    hx = x + facing * s * 0.48
    hy = body_y - s * 0.22
    fill_circle(mask, hx, hy, s * 0.13)
    fill_ellipse(mask, hx + facing * s * 0.12, hy + s * 0.04, s * 0.09, s * 0.05)
    fill_poly(
        mask, [(hx - s * 0.09, hy - s * 0.06), (hx - s * 0.05, hy - s * 0.24), (hx, hy - s * 0.08)]
    )
    fill_poly(
        mask,
        [
            (hx + s * 0.01, hy - s * 0.08),
            (hx + s * 0.06, hy - s * 0.25),
            (hx + s * 0.1, hy - s * 0.05),
        ],
    )
    line(mask, x + facing * s * 0.3, body_y, hx, hy + s * 0.05, s * 0.16)
    for lx in (-0.3, -0.18, 0.2, 0.32):
        line(mask, x + lx * s, body_y + s * 0.08, x + lx * s, base, s * 0.06)
    fill_ellipse(mask, x - facing * s * 0.55, body_y + s * 0.02, s * 0.22, s * 0.07, facing * 20)


def _big_bird(mask: np.ndarray, x: float, y: float, s: float) -> None:
    fill_ellipse(mask, x, y, s * 0.3, s * 0.08)
    fill_circle(mask, x + s * 0.32, y - s * 0.04, s * 0.07)
    fill_poly(mask, [(x - s * 0.1, y), (x - s * 0.55, y - s * 0.45), (x - s * 0.2, y - s * 0.05)])
    fill_poly(mask, [(x + s * 0.05, y), (x + s * 0.5, y - s * 0.5), (x + s * 0.2, y - s * 0.02)])
    fill_poly(mask, [(x - s * 0.28, y), (x - s * 0.5, y - s * 0.08), (x - s * 0.48, y + s * 0.1)])


def _boat(mask: np.ndarray, x: float, base: float, s: float) -> None:
    fill_poly(
        mask,
        [
            (x - s * 0.5, base - s * 0.16),
            (x + s * 0.55, base - s * 0.16),
            (x + s * 0.38, base),
            (x - s * 0.4, base),
        ],
    )
    line(mask, x, base - s * 0.16, x, base - s * 0.95, max(1.0, s * 0.025))
    fill_poly(
        mask,
        [
            (x + s * 0.03, base - s * 0.92),
            (x + s * 0.03, base - s * 0.22),
            (x + s * 0.42, base - s * 0.22),
        ],
    )
    fill_poly(
        mask,
        [
            (x - s * 0.03, base - s * 0.8),
            (x - s * 0.03, base - s * 0.22),
            (x - s * 0.32, base - s * 0.22),
        ],
    )


def _tower(mask: np.ndarray, x: float, base: float, s: float, lighthouse: bool) -> None:
    fill_poly(
        mask,
        [
            (x - s * 0.1, base),
            (x + s * 0.1, base),
            (x + s * 0.065, base - s * 0.8),
            (x - s * 0.065, base - s * 0.8),
        ],
    )
    cv2.rectangle(
        mask,
        pt(x - s * 0.08, base - s * 0.83),
        pt(x + s * 0.08, base - s * 0.8),
        255,
        -1,
        cv2.LINE_AA,
        _SHIFT,
    )
    if lighthouse:
        cv2.rectangle(
            mask,
            pt(x - s * 0.05, base - s * 0.93),
            pt(x + s * 0.05, base - s * 0.83),
            255,
            -1,
            cv2.LINE_AA,
            _SHIFT,
        )
    fill_poly(
        mask,
        [(x - s * 0.075, base - s * 0.93), (x, base - s * 1.02), (x + s * 0.075, base - s * 0.93)],
    )


def _castle(mask: np.ndarray, x: float, base: float, s: float) -> None:
    wall_top = base - s * 0.45
    cv2.rectangle(
        mask, pt(x - s * 0.5, wall_top), pt(x + s * 0.5, base), 255, -1, cv2.LINE_AA, _SHIFT
    )
    for i in range(9):
        bx = x - s * 0.5 + i * s * 0.125
        cv2.rectangle(
            mask,
            pt(bx, wall_top - s * 0.05),
            pt(bx + s * 0.06, wall_top),
            255,
            -1,
            cv2.LINE_AA,
            _SHIFT,
        )
    for tx, th in ((-0.45, 0.75), (0.45, 0.75), (0.0, 1.0)):
        cx = x + tx * s
        cv2.rectangle(
            mask,
            pt(cx - s * 0.08, base - s * th),
            pt(cx + s * 0.08, base),
            255,
            -1,
            cv2.LINE_AA,
            _SHIFT,
        )
        fill_poly(
            mask,
            [
                (cx - s * 0.11, base - s * th),
                (cx, base - s * (th + 0.2)),
                (cx + s * 0.11, base - s * th),
            ],
        )


def _house(mask: np.ndarray, x: float, base: float, s: float) -> None:
    cv2.rectangle(
        mask, pt(x - s * 0.4, base - s * 0.45), pt(x + s * 0.4, base), 255, -1, cv2.LINE_AA, _SHIFT
    )
    fill_poly(
        mask, [(x - s * 0.5, base - s * 0.43), (x, base - s * 0.85), (x + s * 0.5, base - s * 0.43)]
    )
    cv2.rectangle(
        mask,
        pt(x + s * 0.18, base - s * 0.8),
        pt(x + s * 0.3, base - s * 0.55),
        255,
        -1,
        cv2.LINE_AA,
        _SHIFT,
    )


def _car(mask: np.ndarray, x: float, base: float, s: float) -> None:
    r = s * 0.13
    cv2.rectangle(
        mask,
        pt(x - s * 0.5, base - s * 0.36),
        pt(x + s * 0.5, base - r),
        255,
        -1,
        cv2.LINE_AA,
        _SHIFT,
    )
    fill_poly(
        mask,
        [
            (x - s * 0.28, base - s * 0.36),
            (x - s * 0.15, base - s * 0.58),
            (x + s * 0.2, base - s * 0.58),
            (x + s * 0.34, base - s * 0.36),
        ],
    )
    fill_circle(mask, x - s * 0.3, base - r, r)
    fill_circle(mask, x + s * 0.3, base - r, r)


def _whale(mask: np.ndarray, x: float, y: float, s: float) -> None:
    fill_ellipse(mask, x, y, s * 0.5, s * 0.15)
    fill_poly(
        mask,
        [
            (x - s * 0.45, y),
            (x - s * 0.75, y - s * 0.18),
            (x - s * 0.68, y),
            (x - s * 0.75, y + s * 0.16),
        ],
    )


SUBJECT_KINDS = (
    "person",
    "astronaut",
    "robot",
    "animal",
    "bird",
    "boat",
    "lighthouse",
    "tower",
    "castle",
    "house",
    "car",
    "whale",
)


def paint_subject(
    img: np.ndarray,
    kind: str,
    x: float,
    base: float,
    size: float,
    color: Color,
    rim: Color,
    glow: Color,
    facing: int = 1,
) -> None:
    """A silhouette with a rim of light on one side and its lit details (visor, windows, lamp)."""
    mask = new_mask(img)
    accents: list[tuple] = []
    if kind in ("person", "astronaut", "robot"):
        accents = _person(mask, x, base, size, kind)
    elif kind == "animal":
        _quadruped(mask, x, base, size, facing)
    elif kind == "bird":
        _big_bird(mask, x, base, size)
    elif kind == "boat":
        _boat(mask, x, base, size)
    elif kind in ("lighthouse", "tower"):
        _tower(mask, x, base, size, kind == "lighthouse")
        if kind == "lighthouse":
            accents.append(("beam", x, base - size * 0.88, size))
    elif kind == "castle":
        _castle(mask, x, base, size)
    elif kind == "house":
        _house(mask, x, base, size)
        accents.append(
            ("rect", x - size * 0.1, base - size * 0.3, x + size * 0.08, base - size * 0.15)
        )
    elif kind == "car":
        _car(mask, x, base, size)
    elif kind == "whale":
        _whale(mask, x, base, size)
    blend_mask(img, mask, color)
    # rim light: the part of the silhouette not covered by itself shifted toward the light
    shift = max(1, round(size * 0.012))
    moved = np.zeros_like(mask)
    moved[shift:, : mask.shape[1] - shift] = mask[:-shift, shift:]
    blend_mask(img, cv2.subtract(mask, moved), rim, opacity=0.75)
    for accent in accents:
        detail = new_mask(img)
        if accent[0] == "rect":
            _, x0, y0, x1, y1 = accent
            cv2.rectangle(detail, pt(x0, y0), pt(x1, y1), 255, -1, cv2.LINE_AA, _SHIFT)
            blend_mask(img, detail, glow, opacity=0.9)
        elif accent[0] == "ellipse":
            _, ex, ey, rx, ry = accent
            fill_ellipse(detail, ex, ey, rx, ry)
            blend_mask(img, detail, glow, opacity=0.85)
        elif accent[0] == "beam":
            _, bx, by, s = accent
            w = img.shape[1]
            far_x = bx + (w * 0.6 if bx < w / 2 else -w * 0.6)
            fill_poly(detail, [(bx, by - s * 0.03), (far_x, by - s * 0.25), (far_x, by + s * 0.15)])
            detail = cv2.GaussianBlur(detail, (0, 0), max(1.0, s * 0.03))
            blend_mask(img, detail, glow, opacity=0.35)
            paint_glow(img, bx, by, s * 0.12, glow, 0.9)


def paint_abstract(
    img: np.ndarray, rng: np.random.Generator, colors: list[Color], shadow: Color
) -> None:
    """The fallback composition: layered soft-shadowed shapes in the palette's colours."""
    h, w = img.shape[:2]
    u = min(h, w)
    n = int(rng.integers(6, 10))
    for i in range(n):
        mask = new_mask(img)
        cx = rng.uniform(0.1, 0.9) * w
        cy = rng.uniform(0.2, 0.85) * h
        r = rng.uniform(0.08, 0.22) * u * (1.3 - i / n * 0.6)
        kind = int(rng.integers(0, 3))
        angle = rng.uniform(0, math.pi)
        if kind == 0:
            fill_circle(mask, cx, cy, r)
        elif kind == 1:
            corners = [
                (
                    cx + r * math.cos(angle + k * math.pi / 2) * 1.2,
                    cy + r * math.sin(angle + k * math.pi / 2),
                )
                for k in range(4)
            ]
            fill_poly(mask, corners)
        else:
            fill_poly(
                mask,
                [
                    (
                        cx + r * math.cos(angle + k * 2 * math.pi / 3),
                        cy + r * math.sin(angle + k * 2 * math.pi / 3),
                    )
                    for k in range(3)
                ],
            )
        offset = max(1, round(u * 0.012))
        soft = np.zeros_like(mask)
        soft[offset:, offset:] = mask[:-offset, :-offset]
        soft = cv2.GaussianBlur(soft, (0, 0), u * 0.012)
        blend_mask(img, soft, shadow, opacity=0.35)
        blend_mask(img, mask, colors[i % len(colors)], opacity=float(rng.uniform(0.75, 0.95)))
