"""The `local` image and video provider classes, light to import.

The classes carry only capabilities and the calls' shape; the renderers (`images.py`, `video.py`:
NumPy, OpenCV, PyAV) are imported when a keyframe or clip is drawn, so a command that only builds
the providers (re-stitching a local project, `doctor`) does not pay for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

from vidpipe.errors import ProviderError
from vidpipe.providers.base import (
    Capabilities,
    ClipOutcome,
    ImageProvider,
    ImageRequest,
    ProgressFn,
    VideoProvider,
    VideoRequest,
    VideoResult,
)
from vidpipe.providers.local.budget import render_budget
from vidpipe.providers.local.settings import LocalSettings

OPERATION_PREFIX = "local-"


class LocalImageProvider(ImageProvider):
    """Procedural keyframes: free, offline, deterministic; a 720p frame in well under 1 s."""

    provider_id = "local"
    # References are pasted in as cut-outs with their palette (providers/local/cutout.py).
    capabilities = Capabilities(supports_references=True)

    async def generate_image(self, request: ImageRequest) -> bytes:
        async with render_budget().hold(request.width * request.height):
            return await asyncio.to_thread(_render_png, request)


class LocalVideoProvider(VideoProvider):
    """First/last-frame interpolation on the CPU. Free, offline; any duration from 1 to 10 s."""

    provider_id = "local"
    capabilities = Capabilities(
        min_duration=1,
        max_duration=10,
        supports_audio=True,
        max_concurrency=max(1, min(4, os.cpu_count() or 1)),
        # one 1080p encoder holds ~260 MB; two 720p clips fit where one 1080p clip does
        max_concurrent_pixels=2 * 1280 * 720,
    )

    def makes_audio(self) -> bool:
        """Its soundtrack is a synthesized ambient bed, not sound from words: a scene's dialogue
        and sound are not put into its clips (the scene's sound is ignored, with a warning)."""
        return False

    async def submit(self, request: VideoRequest) -> str:
        return operation_id(request)

    async def wait(
        self,
        operation_id: str,
        request: VideoRequest,
        dest: Path,
        on_progress: ProgressFn | None = None,
    ) -> VideoResult:
        """Render the clip in a worker thread and write the MP4 to `dest`.

        `on_progress(fraction)` is called from the worker thread, not the event loop; a caller
        that touches loop state from it must hop back with `loop.call_soon_threadsafe`. It
        should be quick and not raise (an exception from it fails the render).
        Cancelling the awaiting task stops the render at the next frame (the partial file is
        removed) before the CancelledError propagates.
        """
        if not operation_id.startswith(OPERATION_PREFIX):
            raise ProviderError(f"not a local video operation: {operation_id!r}")
        audio = self.settings.provider(LocalSettings).audio
        async with render_budget().hold(request.width * request.height):
            cancel = threading.Event()
            job = asyncio.ensure_future(
                asyncio.to_thread(
                    _render_clip, request, dest, audio=audio, on_progress=on_progress, cancel=cancel
                )
            )
            try:
                await asyncio.shield(job)
            except asyncio.CancelledError:
                cancel.set()
                with contextlib.suppress(BaseException):
                    await job  # the worker stops within a frame; leave no thread behind
                raise
        return VideoResult(outcome=ClipOutcome.COMPLETE, has_audio=audio)


def _render_png(request: ImageRequest) -> bytes:
    """The painter, imported in the worker thread: its first import (~0.3 s of NumPy and
    OpenCV) must not block the event loop of an API server."""
    from vidpipe.providers.local.images import render_png

    return render_png(request)


def _render_clip(request: VideoRequest, dest: Path, **options: Any) -> None:
    from vidpipe.providers.local.video import render_clip  # in the worker thread, as above

    render_clip(request, dest, **options)


def operation_id(request: VideoRequest) -> str:
    """A deterministic id for a request: the same request gives the same id (cheap, no I/O)."""
    fields = {
        "motion_prompt": request.motion_prompt,
        "start_image": str(request.start_image),
        "end_image": str(request.end_image),
        "duration": request.duration,
        "size": [request.width, request.height],
        "aspect_ratio": request.aspect_ratio,
        "fps": request.fps,
        "scene_index": request.scene_index,
        "style": request.style_guide.model_dump() if request.style_guide else None,
    }
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()
    return f"{OPERATION_PREFIX}{digest[:32]}"
