"""A procedural keyframe renderer: pictures that follow the prompt's words and the style guide.

Start frames are painted from scratch: a sky in the palette's colours, then the things the prompt
names (sun or moon, stars, clouds, mountains, sea, forest, city, a subject silhouette, weather),
then the style's finish (noir, anime, watercolor, …) and a small caption band with a few prompt
words. End frames are derived from the start image: a camera move (push-in, pan or tilt), a change
of light toward the palette's accent, and the elements the end prompt brings (stars, birds, rain…).
Deterministic: the same request gives the same PNG bytes.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import SupportsFloat

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from vidpipe.providers.base import ImageRequest, StyleGuide
from vidpipe.providers.local import painting as p
from vidpipe.providers.local.words import content_words, keyword_set, parse_color, seed_of, tokens


def render_png(request: ImageRequest) -> bytes:
    """The keyframe for a request as PNG bytes (the blocking core of the provider)."""
    if request.reference_image is not None:
        with Image.open(request.reference_image) as ref:
            reference = np.asarray(ref.convert("RGB"))
        rgb = derive_end_frame(reference, request)
    else:
        rgb = render_keyframe(request)
    if request.references:
        from vidpipe.providers.local.cutout import composite

        derived = request.reference_image is not None
        rgb = composite(rgb, request.references, caption_height(request.height), derived=derived)
    rgb = soften_chroma(rgb)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG", compress_level=3)
    return buf.getvalue()


def soften_chroma(rgb: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    """Blur colour (not brightness) by about a pixel: invisible, and it makes the frame survive
    H.264's 4:2:0 chroma subsampling, so clips start and end on their keyframes (PSNR ≥ 35 dB)."""
    ycc = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    ycc[..., 1:] = cv2.GaussianBlur(ycc[..., 1:], (0, 0), sigma)
    return cv2.cvtColor(ycc, cv2.COLOR_YCrCb2RGB)


# ------------------------------------------------------------------ what the words ask for

_KEYS: dict[str, frozenset[str]] = {
    name: frozenset(words.split())
    for name, words in {
        "night": "night midnight moon moonlit moonlight nocturnal starry neon cyberpunk",
        "evening": "sunset dusk evening twilight sundown golden",
        "dawn": "dawn sunrise daybreak morning",
        "sun": "sun sunny sunlight sunshine sunset sunrise dawn golden summer day daylight noon "
        "afternoon",
        "moon": "moon moonlit moonlight lunar night midnight",
        "stars": "star starry night midnight space galaxy cosmos cosmic universe nebula "
        "constellation",
        "clouds": "cloud cloudy sky storm stormy overcast daylight fluffy heaven",
        "mountains": "mountain peak alps hill valley cliff volcano summit ridge canyon highland",
        "water": "sea ocean wave beach lake river water shore coast harbor harbour bay island "
        "pond reef surf lagoon",
        "beach": "beach shore coast sand island tropical",
        "forest": "forest woods wood jungle pine grove woodland rainforest taiga",
        "trees": "tree oak garden park orchard willow palm meadow",
        "city": "city skyline street town building urban neon cyberpunk downtown metropolis "
        "skyscraper alley",
        "desert": "desert dune sand sahara mars martian canyon",
        "snow": "snow snowy winter blizzard snowfall frost frozen ice icy arctic",
        "rain": "rain rainy storm stormy drizzle downpour monsoon thunderstorm",
        "fog": "fog foggy mist misty haze hazy smoke",
        "space": "space galaxy planet cosmos cosmic universe nebula orbit asteroid",
        "birds": "bird flock seagull gull crow scatter",
        "grass": "meadow field grass prairie farm garden park",
        "fire": "fire campfire flame bonfire lava volcano candle",
    }.items()
}

_SUBJECTS: dict[str, str] = {
    **dict.fromkeys(
        "person man woman girl boy child kid traveler traveller wanderer explorer hero heroine "
        "knight wizard witch soldier dancer figure king queen princess prince monk samurai "
        "detective warrior hiker stranger people farmer fisherman pilot sailor runner musician "
        "mother father couple lover".split(),
        "person",
    ),
    **dict.fromkeys("astronaut cosmonaut spaceman".split(), "astronaut"),
    **dict.fromkeys("robot android cyborg droid mech".split(), "robot"),
    **dict.fromkeys(
        "fox wolf dog cat horse deer lion tiger bear elephant cow rabbit puppy kitten stag "
        "unicorn leopard cheetah".split(),
        "animal",
    ),
    **dict.fromkeys("eagle hawk owl dragon phoenix".split(), "bird"),
    **dict.fromkeys("boat ship sailboat yacht canoe kayak ferry galleon vessel".split(), "boat"),
    "lighthouse": "lighthouse",
    **dict.fromkeys("tower spire obelisk".split(), "tower"),
    **dict.fromkeys("castle palace fortress kingdom citadel temple".split(), "castle"),
    **dict.fromkeys("house cabin cottage hut home barn farmhouse chalet".split(), "house"),
    **dict.fromkeys("car truck van jeep taxi bus".split(), "car"),
    **dict.fromkeys("whale fish dolphin shark".split(), "whale"),
}

# Storyboard vocabulary that says how to shoot, not what is there: kept out of captions.
_SHOT_WORDS = frozenset(
    """
    wide establishing view closer camera pushed push pushes toward framed thirds opens exactly
    final frame scene panned pan pans reveal dramatic close-up peak quiet image tilts tilt calm
    still look film light lights shot frames moment
    """.split()
)


@dataclass
class _Plan:
    """The elements a prompt asks for."""

    flags: set[str] = field(default_factory=set)
    subjects: list[str] = field(default_factory=list)
    time: str = "day"

    def has(self, name: str) -> bool:
        return name in self.flags


def plan_of(prompt: str) -> _Plan:
    words = keyword_set(prompt)
    plan = _Plan(flags={name for name, keys in _KEYS.items() if words & keys})
    for word in tokens(prompt):
        kind = _SUBJECTS.get(word) or _SUBJECTS.get(word.rstrip("s"))
        if kind and kind not in plan.subjects:
            plan.subjects.append(kind)
    plan.subjects = plan.subjects[:2]
    if plan.has("night"):
        plan.time = "night"
        plan.flags -= {"sun"}
    elif plan.has("evening"):
        plan.time = "evening"
    elif plan.has("dawn"):
        plan.time = "dawn"
    if plan.time != "night":
        plan.flags -= {"moon"}
        if not plan.has("space"):
            plan.flags -= {"stars"}
    if {"boat", "whale"} & set(plan.subjects):
        plan.flags.add("water")
    if plan.has("water") and {"person", "astronaut", "robot", "animal", "car"} & set(plan.subjects):
        plan.flags.add("beach")
    return plan


_LANDSCAPE = {"mountains", "water", "forest", "trees", "city", "desert", "space", "grass", "snow"}


# ------------------------------------------------------------------ palette roles


@dataclass(frozen=True)
class _Palette:
    colors: tuple[np.ndarray, ...]

    @classmethod
    def of(cls, guide: StyleGuide) -> _Palette:
        given = guide.color_palette or ["#1B2A41", "#324A5F", "#CCC9DC", "#E09F3E"]
        cols = [p.rgb01(parse_color(c, i)) for i, c in enumerate(given)]
        while len(cols) < 3:  # a one- or two-colour palette: add shades of it
            cols.append(p.mix(cols[-1], np.ones(3, np.float32) * (len(cols) % 2), 0.5))
        return cls(tuple(cols))

    @property
    def by_light(self) -> list[np.ndarray]:
        return sorted(self.colors, key=lambda c: float(p.luminance(c)))

    @property
    def darkest(self) -> np.ndarray:
        return self.by_light[0]

    @property
    def lightest(self) -> np.ndarray:
        return self.by_light[-1]

    def most(self, score: Callable[[np.ndarray], SupportsFloat]) -> np.ndarray:
        return max(self.colors, key=lambda c: float(score(c)))

    @property
    def accent(self) -> np.ndarray:
        return self.most(lambda c: p.saturation(c) + 0.3 * p.luminance(c))

    @property
    def warm(self) -> np.ndarray:
        return self.most(lambda c: c[0] - c[2] + 0.5 * p.saturation(c) + 0.2 * c[1])

    @property
    def cool(self) -> np.ndarray:
        return self.most(lambda c: c[2] - c[0] + 0.2 * c[1])

    @property
    def foliage(self) -> np.ndarray:
        green = self.most(lambda c: c[1] - max(c[0], c[2]))
        if green[1] - max(green[0], green[2]) > 0.05:
            return green
        return self.by_light[min(1, len(self.colors) - 1)]


_WHITE = np.ones(3, dtype=np.float32)
_BLACK = np.zeros(3, dtype=np.float32)


# ------------------------------------------------------------------ start frames


def caption_height(height: int) -> int:
    return max(16, round(height * 0.045) // 2 * 2)


def render_keyframe(request: ImageRequest) -> np.ndarray:
    """Paint a start frame from its prompt and style guide: uint8 RGB (height, width, 3)."""
    w, h = request.width, request.height
    band = caption_height(h)
    guide = request.style_guide
    rng = np.random.default_rng(
        seed_of("keyframe", request.prompt, guide.model_dump_json(), w, h, request.scene_index)
    )
    plan = plan_of(request.prompt)
    pal = _Palette.of(guide)
    img = _paint_scene(h - band, w, plan, pal, rng)
    img = _finish(img, guide.visual_style, pal, rng)
    return _with_caption(_to_uint8(img), request.prompt, pal, band)


def _sky_stops(plan: _Plan, pal: _Palette) -> list[tuple[float, np.ndarray]]:
    dark, light = pal.by_light[0], pal.by_light[-1]
    mid = pal.by_light[len(pal.colors) // 2]
    if plan.time == "night":
        top = dark * 0.55
        return [(0.0, top), (0.6, p.mix(top, mid, 0.35)), (1.0, p.mix(dark, mid, 0.6))]
    if plan.time == "evening":
        top = p.mix(dark, pal.cool, 0.5)
        return [(0.0, top), (0.55, p.mix(top, pal.warm, 0.55)), (1.0, p.mix(pal.warm, light, 0.35))]
    if plan.time == "dawn":
        top = p.mix(pal.cool, light, 0.3)
        return [(0.0, top), (0.6, p.mix(light, pal.warm, 0.25)), (1.0, p.mix(light, pal.warm, 0.5))]
    if plan.has("space"):
        return [(0.0, dark * 0.3), (1.0, p.mix(dark * 0.5, pal.cool, 0.25))]
    top = p.mix(pal.cool, pal.by_light[-2], 0.5)
    return [(0.0, top), (1.0, p.mix(light, top, 0.25))]


@dataclass
class _Layout:
    """Where things go in one picture, shared by the painting steps."""

    h: int
    w: int
    plan: _Plan
    pal: _Palette
    rng: np.random.Generator
    horizon: float
    sky: list[tuple[float, np.ndarray]]  # gradient stops, top to bottom
    sun_side: float  # 0..1 across: where the sun or moon stands

    @property
    def u(self) -> int:
        return min(self.h, self.w)

    @property
    def horizon_sky(self) -> np.ndarray:
        return self.sky[-1][1]

    @property
    def landscape(self) -> bool:
        return bool(self.plan.flags & _LANDSCAPE) or bool(self.plan.subjects)


def _paint_scene(
    h: int, w: int, plan: _Plan, pal: _Palette, rng: np.random.Generator
) -> np.ndarray:
    """Sky, lights, land, ground, growth, subjects, weather: back to front."""
    lay = _layout(h, w, plan, pal, rng)
    img = p.vertical_gradient(h, w, lay.sky)
    img *= (1.0 + 0.035 * p.smooth_noise(h, w, rng, cells=3))[..., None]
    _paint_lights(img, lay)
    _paint_land(img, lay)
    _paint_ground(img, lay)
    _paint_growth(img, lay)
    if not lay.landscape:
        _paint_abstract(img, lay)
    _paint_subjects(img, lay)
    _paint_weather(img, lay)
    return img


def _layout(h: int, w: int, plan: _Plan, pal: _Palette, rng: np.random.Generator) -> _Layout:
    horizon = h * (rng.uniform(0.6, 0.7) if plan.has("mountains") else rng.uniform(0.56, 0.66))
    if plan.has("space") and not plan.flags & (_LANDSCAPE - {"space"}):
        horizon = h * 0.86  # open space: a planet's limb low in the frame
    stops = _sky_stops(plan, pal)
    sky = [(pos * horizon / h, c) for pos, c in stops] + [(1.0, stops[-1][1])]
    side = float(rng.choice([0.22, 0.78]) + rng.uniform(-0.06, 0.06))
    return _Layout(h, w, plan, pal, rng, horizon, sky, side)


def _paint_lights(img: np.ndarray, lay: _Layout) -> None:
    """Nebulae, stars, sun or moon, clouds, a planet."""
    h, w, u, plan, pal, rng = lay.h, lay.w, lay.u, lay.plan, lay.pal, lay.rng
    if plan.has("space"):
        for _ in range(3):
            color = pal.colors[int(rng.integers(len(pal.colors)))]
            x, y, r = rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.6) * h, rng.uniform(0.15, 0.35)
            p.paint_glow(img, x, y, r * u, color, 0.35)
    if plan.has("stars") or plan.time == "night":
        density = 1.6 if plan.has("space") else 1.0
        p.paint_stars(img, rng, lay.horizon, density, p.mix(_WHITE, pal.lightest, 0.3))
    x = lay.sun_side * w
    if plan.has("moon"):
        y = lay.horizon * rng.uniform(0.22, 0.4)
        p.paint_moon(img, x, y, u * 0.06, p.mix(_WHITE, pal.lightest, 0.3), lay.sky[0][1])
    elif plan.has("sun") or plan.time in ("evening", "dawn"):
        low = plan.time in ("evening", "dawn")
        y = lay.horizon * (rng.uniform(0.6, 0.8) if low else rng.uniform(0.18, 0.35))
        color = p.mix(_WHITE, pal.warm, 0.35 if low else 0.1)
        p.paint_sun(img, x, y, u * (0.07 if low else 0.05), color, pal.warm)
    if plan.has("clouds") or (plan.time == "day" and not plan.has("space") and rng.random() < 0.6):
        if plan.time == "day":
            cloud = p.mix(pal.lightest, _WHITE, 0.4)
        elif plan.time == "night":
            cloud = p.mix(lay.horizon_sky, pal.lightest, 0.25)
        else:
            cloud = p.mix(pal.warm, pal.lightest, 0.5)
        count = int(rng.integers(3, 6)) + (4 if plan.has("rain") else 0)
        p.paint_clouds(img, rng, lay.horizon * 0.05, lay.horizon * 0.6, count, cloud)
    if plan.has("space") and lay.horizon > h * 0.8:
        planet = p.new_mask(img)
        p.fill_circle(planet, w * 0.5, h * 0.86 + w * 1.2, w * 1.25)
        p.blend_mask(img, planet, p.mix(pal.darkest, pal.cool, 0.4))
        p.paint_glow(img, w * 0.5, lay.horizon, u * 0.25, pal.cool, 0.25)


def _paint_land(img: np.ndarray, lay: _Layout) -> None:
    """What stands on the horizon: mountain ranges, dunes, a city skyline."""
    h, w, plan, pal, rng, sky = lay.h, lay.w, lay.plan, lay.pal, lay.rng, lay.horizon_sky
    if plan.has("mountains"):
        snow = p.mix(_WHITE, pal.lightest, 0.2) if plan.has("snow") else None
        rock = pal.by_light[min(2, len(pal.colors) - 1)]
        for height, depth, rough in ((0.35, 0.35, 0.45), (0.2, 0.62, 0.22)):
            col = p.mix(sky, rock, depth)
            prof = p.ridge_line(w, rng, roughness=rough + 0.15)
            base = lay.horizon + h * 0.01
            p.paint_ridge_layer(img, prof, base, h * height, col, p.mix(col, sky, 0.3), snow)
    if plan.has("desert"):
        sand_far = p.mix(pal.warm, pal.lightest, 0.45)
        for height, depth in ((0.06, 0.0), (0.1, 0.35)):
            prof = p.ridge_line(w, rng, octaves=4, roughness=0.45, smooth=True)
            col = p.mix(sand_far, pal.warm, depth)
            base = lay.horizon + h * (0.02 + depth * 0.15)
            p.paint_ridge_layer(img, prof, base, h * height, col, col * 0.78)
    if plan.has("city"):
        night = plan.time in ("night", "evening")
        walls, windows = p.mix(pal.darkest, sky, 0.15), p.mix(pal.warm, _WHITE, 0.35)
        p.paint_city(img, rng, lay.horizon, walls, sky, windows, night)


def _paint_ground(img: np.ndarray, lay: _Layout) -> None:
    """Below the horizon: water, or ground coloured by what the prompt names; a beach."""
    h, w, plan, pal, rng, sky = lay.h, lay.w, lay.plan, lay.pal, lay.rng, lay.horizon_sky
    if plan.has("water"):
        water = pal.most(lambda c: c[2] - c[0] * 0.5 + 0.1 * c[1])
        lit = plan.has("sun") or plan.has("moon") or plan.time != "day"
        glint = lay.sun_side * w if lit else None
        if plan.time == "night":
            glint_color = p.mix(_WHITE, pal.lightest, 0.4)
        else:
            glint_color = p.mix(_WHITE, pal.warm, 0.3)
        far = p.mix(sky, water, 0.45)
        p.paint_water(img, rng, lay.horizon, water * 0.55, far, glint, glint_color)
    elif lay.landscape:
        if plan.has("snow"):
            far, near = p.mix(_WHITE, pal.lightest, 0.25), p.mix(pal.lightest, pal.cool, 0.45)
        elif plan.has("desert"):
            far, near = p.mix(pal.warm, pal.lightest, 0.3), pal.warm * 0.7
        elif plan.has("grass") or plan.has("forest") or plan.has("trees"):
            far, near = p.mix(pal.foliage, sky, 0.35), pal.foliage * 0.55
        else:
            far = p.mix(pal.by_light[min(2, len(pal.colors) - 1)], sky, 0.35)
            near = pal.darkest * 0.8
        if plan.time == "night":
            far, near = far * (0.8 if plan.has("snow") else 0.55), near * 0.5
        p.paint_ground(img, rng, lay.horizon, far, near)
    if plan.has("beach"):
        sand = p.mix(pal.warm, pal.lightest, 0.55)
        prof = p.ridge_line(w, rng, octaves=3, roughness=0.5, smooth=True)
        p.paint_ridge_layer(img, prof, h * 0.97, h * 0.12, sand, sand * 0.8)


def _paint_growth(img: np.ndarray, lay: _Layout) -> None:
    """Trees and forests, then fog and firelight over them."""
    h, w, plan, pal, rng = lay.h, lay.w, lay.plan, lay.pal, lay.rng
    if plan.has("forest") or plan.has("trees"):
        color = pal.foliage * (0.35 if plan.time == "night" else 0.6)
        forest = plan.has("forest")
        p.paint_trees(img, rng, lay.horizon, color, lay.horizon_sky, forest, not forest)
    if plan.has("fog"):
        p.paint_fog(img, rng, lay.horizon, h * 0.12, p.mix(lay.horizon_sky, _WHITE, 0.4))
    if plan.has("fire"):
        x, y = w * rng.uniform(0.3, 0.7), lay.horizon + (h - lay.horizon) * 0.5
        p.paint_glow(img, x, y, lay.u * 0.18, pal.warm, 0.7)


def _paint_weather(img: np.ndarray, lay: _Layout) -> None:
    """Birds in the sky, rain or snow over everything."""
    plan, pal, rng = lay.plan, lay.pal, lay.rng
    if plan.has("birds"):
        count = int(rng.integers(6, 12))
        p.paint_flock(img, rng, count, lay.h * 0.12, lay.horizon * 0.55, pal.darkest * 0.4)
    if plan.has("rain"):
        p.paint_rain(img, rng, p.mix(pal.lightest, _WHITE, 0.5))
    if plan.has("snow"):
        p.paint_snow(img, rng, p.mix(_WHITE, pal.lightest, 0.15), amount=0.7)


def _paint_abstract(img: np.ndarray, lay: _Layout) -> None:
    """No landscape words: a soft floor and layered shapes in the palette's colours."""
    h, w, pal, rng = lay.h, lay.w, lay.pal, lay.rng
    floor = p.mix(pal.darkest, pal.by_light[1], 0.4)
    far = p.mix(floor, img[int(lay.horizon), w // 2], 0.4)
    p.paint_ground(img, rng, lay.horizon + h * 0.12, far, floor * 0.8)
    order = list(pal.colors)
    rng.shuffle(order)
    p.paint_abstract(img, rng, order, pal.darkest * 0.3)


# Where each kind of subject stands (fraction of the ground below the horizon, or of the
# sky height for fliers) and how tall it is (fraction of the picture height).
_SUBJECT_PLACES: dict[str, tuple[str, tuple[float, float], float]] = {
    "person": ("ground", (0.55, 0.7), 0.3),
    "astronaut": ("ground", (0.55, 0.7), 0.3),
    "robot": ("ground", (0.55, 0.7), 0.3),
    "animal": ("ground", (0.55, 0.7), 0.22),
    "bird": ("sky", (0.3, 0.45), 0.25),
    "boat": ("ground", (0.28, 0.28), 0.22),
    "whale": ("ground", (0.5, 0.5), 0.3),
    "lighthouse": ("ground", (0.3, 0.3), 0.55),
    "tower": ("ground", (0.3, 0.3), 0.55),
    "castle": ("ground", (0.12, 0.12), 0.35),
    "house": ("ground", (0.35, 0.35), 0.22),
    "car": ("ground", (0.62, 0.62), 0.25),
}


def _paint_subjects(img: np.ndarray, lay: _Layout) -> None:
    """Silhouettes of what the prompt is about, on the thirds away from the sun."""
    h, w, plan, pal, rng = lay.h, lay.w, lay.plan, lay.pal, lay.rng
    silhouette = pal.darkest * (0.25 if plan.time != "day" else 0.4)
    rim = p.mix(pal.warm if plan.time != "night" else pal.lightest, _WHITE, 0.3)
    glow = p.mix(pal.warm, _WHITE, 0.45)
    thirds = [0.64, 0.36] if lay.sun_side < 0.5 else [0.36, 0.64]
    for i, kind in enumerate(plan.subjects):
        x = w * (thirds[i] + rng.uniform(-0.04, 0.04))
        where, (lo, hi), size = _SUBJECT_PLACES[kind]
        at = rng.uniform(lo, hi)
        base = lay.horizon * at if where == "sky" else lay.horizon + (h - lay.horizon) * at
        facing = 1 if x < w / 2 else -1
        scale = h * size * min(1.0, 1.4 * w / h)  # narrower in portrait frames
        p.paint_subject(img, kind, x, base, scale, silhouette, rim, glow, facing)


# ------------------------------------------------------------------ style finish


def _vignette(h: int, w: int, k: float) -> np.ndarray:
    vx = np.linspace(-1.0, 1.0, w, dtype=np.float32) ** 2
    vy = np.linspace(-1.0, 1.0, h, dtype=np.float32) ** 2
    return 1.0 - k * (0.6 * vx[None, :] + 0.6 * vy[:, None]) ** 1.5


def _saturate(img: np.ndarray, amount: float) -> np.ndarray:
    gray = p.luminance(img)[..., None]
    return gray + (img - gray) * amount


def _noir(img: np.ndarray, pal: _Palette, rng: np.random.Generator) -> np.ndarray:
    h, w = img.shape[:2]
    g = np.clip((p.luminance(img) - 0.5) * 1.35 + 0.5, 0.0, 1.0) * _vignette(h, w, 0.45)
    return np.repeat(g[..., None], 3, axis=2)


def _anime(img: np.ndarray, pal: _Palette, rng: np.random.Generator) -> np.ndarray:
    edges = cv2.Canny(_to_uint8(img), 40, 110)
    if min(img.shape[:2]) >= 900:
        edges = cv2.dilate(edges, np.ones((2, 2), np.uint8))
    img = _saturate(img, 1.2)
    lum = np.maximum(p.luminance(img), 1e-3)
    steps = np.floor(lum * 5.0 + 0.5) / 5.0  # cel bands in brightness only, hue kept
    img = img * (0.35 + 0.65 * steps / lum)[..., None]
    return img * (1.0 - 0.55 * (edges.astype(np.float32) / 255.0))[..., None]


def _watercolor(img: np.ndarray, pal: _Palette, rng: np.random.Generator) -> np.ndarray:
    h, w = img.shape[:2]
    sigma = max(0.8, min(h, w) / 600)
    soft = cv2.GaussianBlur(img, (0, 0), sigma)
    wide = cv2.GaussianBlur(img, (0, 0), sigma * 4)
    edge = np.abs(soft - wide).sum(axis=2, keepdims=True)  # pigment gathers at edges
    paper = 1.0 + 0.03 * p.smooth_noise(h, w, rng, cells=40)[..., None]
    return (soft * 0.82 + 0.18) * paper - 0.35 * edge


def _pixel_art(img: np.ndarray, pal: _Palette, rng: np.random.Generator) -> np.ndarray:
    return _pixelate(img, pal)


def _sketch(img: np.ndarray, pal: _Palette, rng: np.random.Generator) -> np.ndarray:
    g = p.luminance(img)
    inv = cv2.GaussianBlur(1.0 - g, (0, 0), max(1.0, min(img.shape[:2]) / 180))
    sketch = np.clip(g / np.maximum(1.0 - inv, 1e-3), 0.0, 1.0) ** 2  # colour dodge
    paper = p.mix(pal.lightest, _WHITE, 0.6)
    return sketch[..., None] * paper * 0.85 + img * 0.15


def _oil(img: np.ndarray, pal: _Palette, rng: np.random.Generator) -> np.ndarray:
    k = 5 if min(img.shape[:2]) >= 600 else 3
    img = cv2.medianBlur(_to_uint8(img), k).astype(np.float32) / 255.0
    return _saturate(img, 1.15)


def _vintage(img: np.ndarray, pal: _Palette, rng: np.random.Generator) -> np.ndarray:
    h, w = img.shape[:2]
    sepia = np.array([0.44, 0.36, 0.24], dtype=np.float32) * 2.0
    img = img * 0.65 + p.luminance(img)[..., None] * sepia * 0.35
    return (img * 0.86 + 0.07) * _vignette(h, w, 0.35)[..., None]


def _neon(img: np.ndarray, pal: _Palette, rng: np.random.Generator) -> np.ndarray:
    h, w = img.shape[:2]
    img = _saturate(img, 1.3)
    bloom = cv2.GaussianBlur(np.clip(img - 0.6, 0.0, 1.0), (0, 0), min(h, w) / 90)
    return (img + bloom * 0.8) * _vignette(h, w, 0.35)[..., None]


def _documentary(img: np.ndarray, pal: _Palette, rng: np.random.Generator) -> np.ndarray:
    return _saturate(img, 0.88)


def _flat(img: np.ndarray, pal: _Palette, rng: np.random.Generator) -> np.ndarray:
    return img


def _render_3d(img: np.ndarray, pal: _Palette, rng: np.random.Generator) -> np.ndarray:
    bloom = cv2.GaussianBlur(np.clip(img - 0.7, 0.0, 1.0), (0, 0), min(img.shape[:2]) / 120)
    return img + bloom * 0.5


def _cinematic(img: np.ndarray, pal: _Palette, rng: np.random.Generator) -> np.ndarray:
    h, w = img.shape[:2]
    lum = p.luminance(img)[..., None]
    teal = np.array([0.0, 0.45, 0.5], dtype=np.float32)
    orange = np.array([1.0, 0.6, 0.25], dtype=np.float32)
    img = img + (teal - img) * (1.0 - lum) * 0.07 + (orange - img) * lum * 0.06
    return ((img - 0.5) * 1.06 + 0.5) * _vignette(h, w, 0.28)[..., None]


def _plain(img: np.ndarray, pal: _Palette, rng: np.random.Generator) -> np.ndarray:
    h, w = img.shape[:2]
    return img * _vignette(h, w, 0.2)[..., None]


_Finish = Callable[[np.ndarray, _Palette, np.random.Generator], np.ndarray]

# visual_style words → finish; the first entry with a word in the style wins.
_FINISHES: tuple[tuple[frozenset[str], _Finish], ...] = (
    (frozenset({"noir", "monochrome", "black and white", "b&w", "grayscale"}), _noir),
    (frozenset({"anime", "cel", "cel-shaded", "cartoon", "manga"}), _anime),
    (frozenset({"watercolor", "watercolour", "aquarelle"}), _watercolor),
    (frozenset({"pixel", "pixel art", "8-bit", "pixelated"}), _pixel_art),
    (frozenset({"sketch", "pencil", "charcoal", "graphite"}), _sketch),
    (frozenset({"oil", "painterly", "impressionist", "impasto"}), _oil),
    (frozenset({"vintage", "retro", "sepia"}), _vintage),
    (frozenset({"cyberpunk", "neon", "synthwave"}), _neon),
    (frozenset({"documentary", "naturalistic", "realistic", "photorealistic"}), _documentary),
    (frozenset({"minimalist", "minimal", "flat"}), _flat),
    (frozenset({"3d", "render", "cgi", "pixar"}), _render_3d),
    (frozenset({"cinematic", "film", "movie", "filmic"}), _cinematic),
)


def _finish_for(style: str) -> _Finish:
    text = " ".join(style.lower().split())
    words = set(tokens(text)) | set(text.replace(",", " ").split())
    for names, finish in _FINISHES:
        if any((n in text) if " " in n else (n in words) for n in names):
            return finish
    return _plain


def _finish(img: np.ndarray, style: str, pal: _Palette, rng: np.random.Generator) -> np.ndarray:
    """The look of the style guide's visual_style, applied to a freshly painted frame."""
    return _finish_for(style)(np.clip(img, 0.0, 1.0), pal, rng)


def _pixelate(img: np.ndarray, pal: _Palette) -> np.ndarray:
    h, w = img.shape[:2]
    factor = max(2, round(min(h, w) / 160))
    small = cv2.resize(
        img, (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_AREA
    )
    base = np.stack(pal.colors)
    colors = np.concatenate([base, base * 0.55, base * 0.8, base + (1 - base) * 0.45])
    dist = ((small[:, :, None, :] - colors[None, None, :, :]) ** 2).sum(axis=3)
    small = colors[dist.argmin(axis=2)] * 0.8 + small * 0.2
    return cv2.resize(small.astype(np.float32), (w, h), interpolation=cv2.INTER_NEAREST)


def _to_uint8(img: np.ndarray) -> np.ndarray:
    return (np.clip(img, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


# ------------------------------------------------------------------ caption band


def caption_words(prompt: str, limit: int = 6) -> list[str]:
    """A few words naming what is shown: those of the prompt's subject clause."""
    clauses = prompt.split(",")
    index = subject_clause(clauses)
    text = clauses[index] if index is not None else prompt
    return [w for w in content_words(text) if w not in _SHOT_WORDS][:limit]


def subject_clause(clauses: list[str]) -> int | None:
    """The clause that names the most things (at least two): the one about the subject."""
    counts = [len([w for w in content_words(c) if w not in _SHOT_WORDS]) for c in clauses]
    best = max(range(len(clauses)), key=lambda i: (counts[i], -i), default=None)
    return best if best is not None and counts[best] >= 2 else None


def _with_caption(scene: np.ndarray, prompt: str, pal: _Palette, band: int) -> np.ndarray:
    """Add the caption band under the picture: a few prompt words, small and quiet."""
    h, w = scene.shape[0] + band, scene.shape[1]
    out = np.empty((h, w, 3), dtype=np.uint8)
    out[: scene.shape[0]] = scene
    out[scene.shape[0] :] = _to_uint8(pal.darkest * 0.3)
    words = caption_words(prompt)
    if not words:
        return out
    strip = Image.fromarray(out[scene.shape[0] :])
    draw = ImageDraw.Draw(strip)
    font = ImageFont.load_default(size=max(9, round(band * 0.58)))
    margin = max(6, band // 2)
    text = ""
    for word in words:
        candidate = f"{text}  ·  {word}" if text else word
        if draw.textlength(candidate, font=font) > w - 2 * margin:
            break
        text = candidate
    color = tuple(int(c) for c in _to_uint8(p.mix(pal.lightest, _WHITE, 0.55)))
    draw.text((margin, band / 2), text, font=font, fill=color, anchor="lm")
    out[scene.shape[0] :] = np.asarray(strip)
    return out


# ------------------------------------------------------------------ end frames

_ZOOM = frozenset("closer close close-up push pushed pushes zoom zooms nearer approach".split())
_PAN = frozenset("pan panned pans slide slides track tracking reveal".split())
_TILT = frozenset("tilt tilts tilted rises crane upward".split())
_NIGHT = frozenset("night stars star moonlight moonlit darker deeper midnight".split())
_WARM = frozenset("golden sunset sinks sink warm warms warmer glow dusk burning twilight".split())
_DAWN = frozenset("dawn sunrise morning first daybreak".split())


def derive_end_frame(reference: np.ndarray, request: ImageRequest) -> np.ndarray:
    """An end frame from its start image: moved camera, changed light, new elements.

    Only the clauses of the prompt that say what changes drive the changes (the clause naming
    the subject is already in the picture), and light moves toward a level rather than by a
    fixed step, so a long chain of scenes neither fills with fog nor fades to black.
    """
    w, h = request.width, request.height
    if reference.shape[:2] != (h, w):
        reference = cv2.resize(reference, (w, h), interpolation=cv2.INTER_AREA)
    band = caption_height(h)
    guide = request.style_guide
    rng = np.random.default_rng(
        seed_of("end", request.prompt, guide.model_dump_json(), w, h, request.scene_index)
    )
    changes = change_words(request.prompt)
    plan = plan_of(" ".join(sorted(changes)))
    pal = _Palette.of(guide)
    scene = reference[: h - band].astype(np.float32) / 255.0
    scene = _camera_move(scene, changes, rng)
    scene = _relight(scene, changes, pal, rng)
    sh = scene.shape[0]
    if changes & _NIGHT:
        p.paint_stars(scene, rng, sh * 0.45, 0.8, p.mix(_WHITE, pal.lightest, 0.3))
    if plan.has("birds"):
        count = int(rng.integers(7, 13))
        p.paint_flock(scene, rng, count, sh * 0.1, sh * 0.35, pal.darkest * 0.4)
    if plan.has("rain"):
        p.paint_rain(scene, rng, p.mix(pal.lightest, _WHITE, 0.5), amount=0.4)
    if plan.has("snow"):
        p.paint_snow(scene, rng, p.mix(_WHITE, pal.lightest, 0.15), amount=0.3)
    if plan.has("fog"):
        p.paint_fog(scene, rng, sh * 0.62, sh * 0.08, p.mix(pal.lightest, _WHITE, 0.4))
    finish = _finish_for(guide.visual_style)
    if finish is _noir:  # keep black and white; other finishes are already in the picture
        scene = np.repeat(p.luminance(np.clip(scene, 0, 1))[..., None], 3, axis=2)
    elif finish is _pixel_art:  # the camera move broke the pixel grid: snap it back
        scene = _pixelate(np.clip(scene, 0, 1), pal)
    return _with_caption(_to_uint8(scene), request.prompt, pal, band)


def change_words(prompt: str) -> set[str]:
    """Words of the clauses that say what changes: all but the one naming the subject."""
    clauses = prompt.split(",")
    subject = subject_clause(clauses)
    if len(clauses) < 2 or subject is None:
        return keyword_set(prompt)
    return keyword_set(",".join(c for i, c in enumerate(clauses) if i != subject))


def _camera_move(scene: np.ndarray, words: set[str], rng: np.random.Generator) -> np.ndarray:
    """Push in, pan or tilt (inside the picture, so no borders are invented)."""
    h, w = scene.shape[:2]
    if words & _ZOOM:
        move = "zoom"
    elif words & _PAN:
        move = "pan"
    elif words & _TILT:
        move = "tilt"
    else:
        move = ("zoom", "pan", "tilt")[int(rng.integers(3))]
    if move == "zoom":
        z = rng.uniform(1.08, 1.12)
        fx, fy = w * rng.uniform(0.42, 0.58), h * rng.uniform(0.42, 0.58)
        ox = oy = 0.0
    else:
        z = rng.uniform(1.05, 1.07)
        fx, fy = w / 2, h / 2
        if move == "pan":
            sign = -1.0 if "left" in words else 1.0 if "right" in words else rng.choice([-1.0, 1.0])
            ox, oy = sign * 0.95 * (w / 2) * (1 - 1 / z), 0.0
        else:
            ox, oy = 0.0, -0.95 * (h / 2) * (1 - 1 / z)
    # destination → source: src = f + (dst − f)/z + offset, kept inside the picture
    ox = float(np.clip(ox, -fx * (1 - 1 / z), (w - fx) * (1 - 1 / z)))
    oy = float(np.clip(oy, -fy * (1 - 1 / z), (h - fy) * (1 - 1 / z)))
    m = np.array(
        [[1 / z, 0.0, fx * (1 - 1 / z) + ox], [0.0, 1 / z, fy * (1 - 1 / z) + oy]], dtype=np.float64
    )
    flags = cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP
    return cv2.warpAffine(scene, m, (w, h), flags=flags, borderMode=cv2.BORDER_REFLECT101)


def _relight(
    scene: np.ndarray, words: set[str], pal: _Palette, rng: np.random.Generator
) -> np.ndarray:
    """Shift the light toward the palette's accent, as the end prompt says."""
    h, w = scene.shape[:2]
    u = min(h, w)
    side = w * rng.choice([0.15, 0.85])
    level = float(p.luminance(scene).mean())
    room = float(np.clip((0.85 - level) / 0.4, 0.2, 1.0))  # less glow on a bright picture
    changed = False
    if words & _NIGHT:
        darker = float(np.clip(0.3 / max(level, 1e-3), 0.72, 1.0))  # toward a night level
        scene = scene * darker + p.mix(pal.darkest, pal.cool, 0.5) * (1.0 - darker) * 0.2
        changed = True
    if words & _WARM:
        y = h * rng.uniform(0.45, 0.6)
        p.paint_glow(scene, side, y, u * 0.7, pal.warm, 0.35 * room)
        scene = scene * (1.0 + (pal.warm - 0.5) * 0.12)
        changed = True
    if words & _DAWN:
        x = w * rng.uniform(0.3, 0.7)
        p.paint_glow(scene, x, h * 0.62, u * 0.8, p.mix(pal.warm, _WHITE, 0.4), 0.3 * room)
        changed = True
    if not changed:
        accent = pal.colors[int(rng.integers(len(pal.colors)))]
        ramp = np.linspace(0.0, 1.0, w, dtype=np.float32)
        if side < w / 2:
            ramp = ramp[::-1]
        scene = scene + (accent - scene) * (ramp[None, :, None] * 0.18)
    return scene
