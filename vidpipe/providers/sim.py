"""`sim`: a latency-simulating provider for all four roles, for benchmarks and scheduling tests.

Each call takes a configurable time (`VIDPIPE_SIM_LATENCY`, seconds per role) and returns tiny
real artifacts: the local screenwriter's storyboard, flat-colour PNGs, and short real MP4 clips at
an eighth of the frame size. Video operations behave like a remote service: `submit` returns at
once, the operation finishes after the video latency (± `VIDPIPE_SIM_JITTER`), and `wait` polls
it on the same schedule real providers use (polling.py), so the delay between an operation finishing
and the pipeline noticing it can be measured (`SimVideoProvider.notice_delays`).

In queue mode (many workers on one PostgreSQL) each operation is also counted in the database
from submit to collected, with the highest count ever seen (`sim_concurrency.peak`), so a test or
benchmark can check that the global concurrency cap was never exceeded by all workers together.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import random
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import ClassVar

import numpy as np
from PIL import Image

from vidpipe.config import Settings
from vidpipe.errors import ProviderError
from vidpipe.media.encode import ClipWriter
from vidpipe.providers.base import (
    Capabilities,
    ClipOutcome,
    ImageProvider,
    ImageRequest,
    NarrationProvider,
    ProgressFn,
    SpeechRequest,
    SpeechResult,
    Storyboard,
    StoryboardProvider,
    StoryboardRequest,
    VideoProvider,
    VideoRequest,
    VideoResult,
)
from vidpipe.providers.local.screenwriter import write_storyboard
from vidpipe.providers.polling import PollSchedule, poll_until_done
from vidpipe.providers.sim_settings import SimSettings

OP_PREFIX = "sim-"


class SimStoryboardProvider(StoryboardProvider):
    provider_id = "sim"

    async def write_storyboard(self, request: StoryboardRequest) -> Storyboard:
        await asyncio.sleep(self.settings.provider(SimSettings).latency.get("storyboard", 0.0))
        return write_storyboard(request)


class SimImageProvider(ImageProvider):
    provider_id = "sim"

    async def generate_image(self, request: ImageRequest) -> bytes:
        await asyncio.sleep(self.settings.provider(SimSettings).latency.get("image", 0.0))
        shade = hashlib.sha256(request.prompt.encode()).digest()[:3]
        buffer = io.BytesIO()
        Image.new("RGB", (request.width, request.height), tuple(shade)).save(buffer, "PNG")
        return buffer.getvalue()


class SimVideoProvider(VideoProvider):
    provider_id = "sim"
    capabilities = Capabilities(min_duration=1, max_duration=60, max_concurrency=256)
    notice_delays: ClassVar[list[float]] = []  # seconds from "finished" to noticed, per clip
    _templates: ClassVar[dict[tuple[int, int, int, int], Path]] = {}
    _template_lock = threading.Lock()

    async def submit(self, request: VideoRequest) -> str:
        latency = self.settings.provider(SimSettings).latency.get("video", 0.0)
        jitter = self.settings.provider(SimSettings).jitter
        actual = latency * (1 + random.uniform(-jitter, jitter))
        await _count_operations(self.settings, +1)
        now = time.time()
        return f"{OP_PREFIX}{request.scene_index}-{now:.6f}-{now + actual:.6f}"

    async def wait(
        self,
        operation_id: str,
        request: VideoRequest,
        dest: Path,
        on_progress: ProgressFn | None = None,
    ) -> VideoResult:
        submitted_at, done_at = _parse(operation_id)
        latency = self.settings.provider(SimSettings).latency.get("video", 0.0)
        schedule = PollSchedule(
            first_poll=latency * (1 - self.settings.provider(SimSettings).jitter),
            interval=self.settings.provider(SimSettings).poll_interval,
            timeout=max(60.0, latency * 4),
        )

        async def check() -> float | None:
            now = time.time()
            if on_progress is not None and latency > 0:
                on_progress(min(0.99, (now - submitted_at) / latency))
            return now if now >= done_at else None

        try:
            noticed = await poll_until_done(
                check, schedule, submitted_at=submitted_at, what=f"sim operation {operation_id}"
            )
        finally:
            await asyncio.shield(_count_operations(self.settings, -1))
        type(self).notice_delays.append(noticed - done_at)
        template = await asyncio.to_thread(self._template, request)
        await asyncio.to_thread(shutil.copyfile, template, dest)
        return VideoResult(ClipOutcome.COMPLETE)

    @classmethod
    def _template(cls, request: VideoRequest) -> Path:
        """One tiny real clip per shape, rendered once per process and copied for each scene."""
        width, height = max(2, request.width // 16 * 2), max(2, request.height // 16 * 2)
        frames = max(2, round(request.duration * request.fps))
        key = (width, height, request.fps, frames)
        with cls._template_lock:
            if key not in cls._templates or not cls._templates[key].exists():
                path = Path(tempfile.mkdtemp(prefix="vidpipe-sim-")) / "clip.mp4"
                with ClipWriter(path, width, height, request.fps) as writer:
                    for index in range(frames):
                        shade = int(255 * index / (frames - 1))
                        writer.write_frame(np.full((height, width, 3), shade, np.uint8))
                cls._templates[key] = path
            return cls._templates[key]


COUNT_KEY = "sim:video"
_COUNT = """
INSERT INTO sim_concurrency (key, running, peak)
VALUES (:key, GREATEST(:delta, 0), GREATEST(:delta, 0))
ON CONFLICT (key) DO UPDATE
    SET running = sim_concurrency.running + :delta,
        peak = GREATEST(sim_concurrency.peak, sim_concurrency.running + :delta)
"""


async def _count_operations(settings: Settings, delta: int) -> None:
    """Operations running across all workers, and the peak (queue mode only)."""
    if settings.execution != "queue":
        return
    from sqlalchemy import text

    from vidpipe.db.limits import shared_engine

    async with shared_engine(settings.effective_database_url).begin() as connection:
        await connection.execute(text(_COUNT), {"key": COUNT_KEY, "delta": delta})


def _parse(operation_id: str) -> tuple[float, float]:
    try:
        _, submitted, done = operation_id.removeprefix(OP_PREFIX).split("-")
        return float(submitted), float(done)
    except ValueError:
        raise ProviderError(f"not a sim video operation: {operation_id!r}") from None


class SimNarrationProvider(NarrationProvider):
    """A line as a tone of a plausible length (0.3 s per word at speed 1), after the narration
    latency (`VIDPIPE_SIM_LATENCY` key `narration`, default 0.1 s)."""

    provider_id = "sim"
    sample_rate: ClassVar[int] = 22050

    async def speak(self, request: SpeechRequest, dest: Path) -> SpeechResult:
        await asyncio.sleep(self.settings.provider(SimSettings).latency.get("narration", 0.1))
        words = max(1, len(request.text.split()))
        seconds = round(0.3 * words / request.speed, 3)
        await asyncio.to_thread(_write_tone, dest, seconds, self.sample_rate)
        return SpeechResult(duration_seconds=seconds, sample_rate=self.sample_rate)


def _write_tone(dest: Path, seconds: float, rate: int) -> None:
    import wave

    t = np.arange(int(seconds * rate)) / rate
    samples = (0.3 * np.sin(2 * np.pi * 220 * t) * 32767).astype("<i2")
    with wave.open(str(dest), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())


PROVIDERS = [SimStoryboardProvider, SimImageProvider, SimVideoProvider, SimNarrationProvider]
