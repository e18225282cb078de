"""Clips from two keyframes: an optical-flow morph with a gentle camera move, streamed to H.264.

Dense flow (OpenCV DIS) is computed once, in both directions, at reduced resolution. Each frame at
time t warps the start image forward and the end image backward along the flow (the Super SloMo
approximation of the intermediate flows), blends them, and adds a small camera move whose envelope
is sin(πt): zero at both ends, so the first and last frames are exactly the keyframes. Frames are
written one at a time; memory stays at a few frames whatever the clip length.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from vidpipe.media.encode import ClipWriter
from vidpipe.providers.base import VideoRequest
from vidpipe.providers.local.ambient import ambient_audio
from vidpipe.providers.local.providers import (  # the class lives there; kept importable here
    LocalVideoProvider as LocalVideoProvider,
)
from vidpipe.providers.local.words import keyword_set, seed_of

_FLOW_SIDE = 400  # long side of the image the flow is computed on


class RenderCancelled(Exception):
    """The clip render was cancelled between frames."""


def frame_count(duration: float, fps: int) -> int:
    """Frames in a clip: round(duration·fps), and at least the two keyframes."""
    return max(2, round(duration * fps))


def render_clip(
    request: VideoRequest,
    dest: Path,
    *,
    audio: bool = False,
    on_progress: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
) -> None:
    """Render a clip to `dest` (blocking). Raises RenderCancelled when `cancel` gets set."""
    w, h = request.width, request.height
    start = load_keyframe(request.start_image, w, h)
    end = load_keyframe(request.end_image, w, h)
    n = frame_count(request.duration, request.fps)
    take = max(1, request.take)
    # take 1 as it always was; later takes move the camera another way and add a grain of their
    # own, so takes of the same inputs differ (by bytes and by how well they keep the keyframes)
    seed = seed_of(
        "clip", request.motion_prompt, request.scene_index, *([take] if take > 1 else [])
    )
    morph = FlowMorph(start, end, request.motion_prompt, seed, grain=_grain(take))
    step = max(1, n // 20)
    try:
        with ClipWriter(dest, w, h, request.fps, audio=audio) as writer:
            if audio:
                writer.write_audio(ambient_audio(n / request.fps, request.motion_prompt, seed))
            for i in range(n):
                if cancel is not None and cancel.is_set():
                    raise RenderCancelled()
                writer.write_frame(morph.frame(i / (n - 1)), keyframe=i == n - 1)
                if on_progress is not None and (i + 1) % step == 0 and i + 1 < n:
                    on_progress((i + 1) / n)
    except BaseException:
        Path(dest).unlink(missing_ok=True)
        raise
    if on_progress is not None:
        on_progress(1.0)


def _grain(take: int) -> float:
    """The noise a take adds (standard deviation in 8-bit levels): none for take 1."""
    return 0.0 if take <= 1 else 1.0 + 1.5 * ((take - 2) % 3)


def load_keyframe(path: Path, width: int, height: int) -> np.ndarray:
    """A keyframe as uint8 RGB at exactly width×height."""
    with Image.open(path) as im:
        rgb = np.asarray(im.convert("RGB"))
    if rgb.shape[:2] != (height, width):
        shrink = rgb.shape[0] * rgb.shape[1] > width * height
        interp = cv2.INTER_AREA if shrink else cv2.INTER_CUBIC
        rgb = cv2.resize(rgb, (width, height), interpolation=interp)
    return np.ascontiguousarray(rgb)


# ------------------------------------------------------------------ the morph

_PUSH = frozenset("push push-in zoom dolly closer approach forward".split())
_PULL = frozenset("pull back retreat away zoom-out".split())
_PAN_LEFT = frozenset({"left"})
_PAN_RIGHT = frozenset({"right"})
_TILT = frozenset("tilt tilts tilting crane rise rises upward skyward".split())
_CALM = frozenset("gentle calm slow slowly still stillness settles slowing quiet".split())
_ENERGY = frozenset("dramatic fast faster energy quickens builds peak rush".split())


@dataclass
class _Buffers:
    map: np.ndarray  # (h, w, 2) float32 sample positions
    a: np.ndarray  # start image warped
    b: np.ndarray  # end image warped
    out: np.ndarray  # the frame, caption band included


class FlowMorph:
    """Frames between two keyframes: flow warp both ways, blend, plus a sin(πt) camera move.

    A caption band at the bottom that both keyframes share (same background, text only) is kept
    still and cross-faded instead of being warped with the picture.
    """

    def __init__(
        self,
        start: np.ndarray,
        end: np.ndarray,
        motion_prompt: str,
        seed: int,
        grain: float = 0.0,
    ) -> None:
        self.start, self.end = start, end
        self.noise = (
            np.random.default_rng(seed ^ 0x5EED).normal(0.0, grain, start.shape).astype(np.int16)
            if grain > 0
            else None
        )
        self.band = static_band(start, end)
        scene_h = start.shape[0] - self.band
        self.scene_start = start[:scene_h]
        self.scene_end = end[:scene_h]
        h, w = scene_h, start.shape[1]
        self.size = (w, h)
        scale = min(1.0, _FLOW_SIDE / max(w, h))
        sw, sh = max(8, round(w * scale)), max(8, round(h * scale))
        f01, f10 = _bidirectional_flow(self.scene_start, self.scene_end, sw, sh)
        units = np.array([w / sw, h / sh], dtype=np.float32)
        self.f01 = f01 * units  # low resolution, in full-resolution pixels
        self.f10 = f10 * units
        # full-resolution identity map, and the low-resolution sample positions of the flow
        gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
        self.identity = np.dstack([gx, gy])
        lx = (np.arange(sw, dtype=np.float32) + 0.5) * (w / sw) - 0.5
        ly = (np.arange(sh, dtype=np.float32) + 0.5) * (h / sh) - 0.5
        self.low_grid = np.dstack(np.meshgrid(lx, ly))
        self._camera(motion_prompt, seed)
        self._buf: _Buffers | None = None

    def _camera(self, motion_prompt: str, seed: int) -> None:
        """Zoom and pan amplitudes at mid-clip, from the motion prompt's words.

        The zoom is always a push-in at least as large as the pan needs, so the moved view
        stays inside the picture and no border is invented.
        """
        w, h = self.size
        words = keyword_set(motion_prompt)
        rng = np.random.default_rng(seed)
        energy = 1.4 if words & _ENERGY else 0.7 if words & _CALM else 1.0
        pan_x = -1.0 if words & _PAN_LEFT else 1.0 if words & _PAN_RIGHT else 0.0
        pan_y = -1.0 if words & _TILT else 0.0
        if not (pan_x or pan_y):
            pan_x = float(rng.choice([-1.0, 1.0])) * 0.5
        pan = 0.015 * energy
        zoom = 0.04 * energy if words & _PUSH else 0.02 * energy if words & _PULL else 0.03
        self.zoom = max(zoom, 2.2 * pan * max(abs(pan_x), abs(pan_y)))
        self.pan = np.array([pan_x * pan * w, pan_y * pan * h], dtype=np.float32)
        self.focus = np.array(
            [w * rng.uniform(0.4, 0.6), h * rng.uniform(0.4, 0.6)], dtype=np.float32
        )

    def frame(self, t: float) -> np.ndarray:
        """The frame at t in [0, 1]; t = 0 and t = 1 are the keyframes themselves.

        In-between frames are rendered into buffers that the next call reuses (no per-frame
        allocation at 1080p): consume or copy the result before asking for another.
        """
        if self.noise is not None:
            return self._grainy(self._clean(t))
        return self._clean(t)

    def _grainy(self, frame: np.ndarray) -> np.ndarray:
        assert self.noise is not None
        return np.clip(frame.astype(np.int16) + self.noise, 0, 255).astype(np.uint8)

    def _clean(self, t: float) -> np.ndarray:
        if t <= 0.0:
            return self.start
        if t >= 1.0:
            return self.end
        s = t * t * (3.0 - 2.0 * t)  # ease in and out
        ft0 = self.f01 * (-(1.0 - s) * s) + self.f10 * (s * s)
        ft1 = self.f01 * ((1.0 - s) ** 2) + self.f10 * (-s * (1.0 - s))
        camera = self._camera_displacement(math.sin(math.pi * t))
        buf = self._buffers()
        w, h = self.size
        border = cv2.BORDER_REFLECT101
        for flow, image, warped in ((ft0, self.scene_start, buf.a), (ft1, self.scene_end, buf.b)):
            cv2.resize(flow + camera, (w, h), dst=buf.map, interpolation=cv2.INTER_LINEAR)
            np.add(buf.map, self.identity, out=buf.map)
            cv2.remap(image, buf.map, None, cv2.INTER_LINEAR, dst=warped, borderMode=border)
        scene = buf.out[:h]
        cv2.addWeighted(buf.a, 1.0 - s, buf.b, s, 0.0, dst=scene)
        if self.band:
            cv2.addWeighted(self.start[h:], 1.0 - s, self.end[h:], s, 0.0, dst=buf.out[h:])
        return buf.out

    def _buffers(self) -> _Buffers:
        if self._buf is None:
            w, h = self.size
            self._buf = _Buffers(
                map=np.empty((h, w, 2), np.float32),
                a=np.empty((h, w, 3), np.uint8),
                b=np.empty((h, w, 3), np.uint8),
                out=np.empty(self.start.shape, np.uint8),
            )
        return self._buf

    def _camera_displacement(self, envelope: float) -> np.ndarray:
        """Where each output pixel samples from, minus where it is: zoom about the focus, pan."""
        z = 1.0 + self.zoom * envelope
        shrink = 1.0 / z - 1.0
        return (self.low_grid - self.focus) * shrink + self.pan * envelope


def static_band(start: np.ndarray, end: np.ndarray) -> int:
    """Rows of a caption band both keyframes share at the bottom (0 when there is none).

    A band is a strip of 6 rows to 8 % of the height whose background colour (that of its
    bottom row) is the same in both frames, fills most of each of its rows, and gives way to
    the picture in the row above it.
    """
    h = start.shape[0]
    limit = max(1, int(h * 0.08))
    background = np.median(start[-1], axis=0)
    if np.abs(np.median(end[-1], axis=0) - background).max() > 2:
        return 0

    def plain(row: np.ndarray) -> float:
        return float(np.mean(np.abs(row.astype(np.int16) - background).max(axis=1) <= 2))

    rows = 0
    while rows < limit and plain(start[h - 1 - rows]) >= 0.55 and plain(end[h - 1 - rows]) >= 0.55:
        rows += 1
    if rows < 6 or rows >= limit:
        return 0
    return rows if plain(start[h - 1 - rows]) < 0.5 else 0


def _global_motion(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """The similarity transform (2×3) that takes a onto b, from ORB matches; None if unsure."""
    orb = cv2.ORB_create(nfeatures=1500, fastThreshold=10)
    ka, da = orb.detectAndCompute(a, None)
    kb, db = orb.detectAndCompute(b, None)
    if da is None or db is None or len(ka) < 12 or len(kb) < 12:
        return None
    matches = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True).match(da, db)
    if len(matches) < 12:
        return None
    src = np.float32([ka[m.queryIdx].pt for m in matches])
    dst = np.float32([kb[m.trainIdx].pt for m in matches])
    m, inliers = cv2.estimateAffinePartial2D(
        src, dst, method=cv2.RANSAC, ransacReprojThreshold=2.0, confidence=0.995
    )
    if m is None or inliers is None or int(inliers.sum()) < 12:
        return None
    return m


def _affine_flow(m: np.ndarray, w: int, h: int) -> np.ndarray:
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    fx = m[0, 0] * gx + m[0, 1] * gy + m[0, 2] - gx
    fy = m[1, 0] * gx + m[1, 1] * gy + m[1, 2] - gy
    return np.dstack([fx, fy]).astype(np.float32)


def _bidirectional_flow(
    start: np.ndarray, end: np.ndarray, sw: int, sh: int
) -> tuple[np.ndarray, np.ndarray]:
    """Dense flow start→end and end→start at sw×sh, seeded with the global camera motion."""

    def gray(img: np.ndarray) -> np.ndarray:
        small = cv2.resize(img, (sw, sh), interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)

    a, b = gray(start), gray(end)
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    m = _global_motion(a, b)
    if m is None:
        return dis.calc(a, b, None), dis.calc(b, a, None)
    m_inv = cv2.invertAffineTransform(m)
    return _flow_via(dis, a, b, m), _flow_via(dis, b, a, m_inv)


def _flow_via(dis: cv2.DISOpticalFlow, a: np.ndarray, b: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Flow a→b as the global transform m plus DIS's residual after aligning a onto b."""
    h, w = a.shape[:2]
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    m_inv = cv2.invertAffineTransform(m)
    aligned = cv2.warpAffine(a, m_inv, (w, h), flags=flags, borderMode=cv2.BORDER_REFLECT101)
    residual = dis.calc(aligned, b, None)  # aligned(x) ≈ b(x + residual(x)), aligned(m·p) = a(p)
    at_mp = cv2.warpAffine(residual, m, (w, h), flags=flags, borderMode=cv2.BORDER_REPLICATE)
    return _affine_flow(m, w, h) + at_mp
