"""Keyframes and clips from fal.ai's models, through fal's queue (see client.py).

Clips: submit() uploads the frames (once per content hash), queues the request and returns
`<model id>|<request id>`; the pipeline commits that before wait() polls it, so a resume polls the
same request and never submits again (never pay twice). A submit whose answer is lost raises
OutcomeUnknownError (fal has no idempotency key): the clip waits for the user's consent. A stop
(cancel) while the request is still IN_QUEUE asks fal to drop it (nothing is billed for it) and,
once fal no longer has it, says so (`was_dropped`: its ledger row is settled as cancelled); the
next run finds it gone and submits afresh. A request fal failed with its own server error (a 5xx
request error such as runner_disconnected, after fal's own retries) raises FalServerError, an
UnbilledFailureError: fal does not bill it, so the pipeline settles its ledger row as not billed,
and resume sends it again. Any other failure is counted as billed.

Keyframes: one queued request each, polled to the end in the same call (an image is cheap; a
crash mid-poll loses at most that one image).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from vidpipe.config import Settings
from vidpipe.errors import (
    BadInputError,
    ContentFilteredError,
    OperationFailedError,
    ProviderError,
)
from vidpipe.providers.audio_prompt import clip_prompt
from vidpipe.providers.base import (
    ClipOutcome,
    ImageProvider,
    ImageRequest,
    ProgressFn,
    VideoProvider,
    VideoRequest,
    VideoResult,
)
from vidpipe.providers.calls import (
    LATENCY,
    TransientError,
    poll_schedule,
    price,
    wait_for_operation,
)
from vidpipe.providers.catalog import ModelEntry
from vidpipe.providers.fal.client import FalQueue, QueueStatus
from vidpipe.providers.fal.models import fal_model, image_arguments, video_arguments
from vidpipe.providers.fal.settings import FalSettings
from vidpipe.providers.imaging import fit_png, styled
from vidpipe.providers.stand_in import capabilities_of

SAFETY_WORDS = ("content_policy", "content policy", "nsfw", "safety", "moderation")


class FalMixin:
    settings: Settings
    provider_id: ClassVar[str] = "fal"
    needs_key: ClassVar[bool] = True
    key_env_var: ClassVar[str | None] = "FAL_KEY"
    records_attempts: ClassVar[bool] = True  # each submit attempt is a ledger row (client.py)

    queue: FalQueue
    _dropped: set[str]  # requests cancelled while queued and gone from fal (never made)

    async def health(self) -> str:
        """A free call: fal's pricing endpoint answers for the configured models."""
        found = await self.queue.prices([m.id for m in self._models()])
        where = self.settings.provider(FalSettings).base_url or "fal.ai"
        return f"fal ({where}): credentials accepted; prices for {len(found)} model(s)"

    def _models(self) -> list[ModelEntry]:
        raise NotImplementedError

    async def _collect(
        self,
        model: ModelEntry,
        request_id: str,
        *,
        what: str,
        submitted_at: float | None,
        typical: float,
        on_progress: ProgressFn | None = None,
    ) -> dict[str, Any]:
        """Poll a request to its end and return fal's output; a request still IN_QUEUE when
        the wait is cancelled (a stop) is cancelled at fal too."""
        latency_key = f"fal:{model.id}"
        schedule = poll_schedule(self.settings, latency_key, typical)
        expected = LATENCY.typical(latency_key, typical)
        started = time.time()
        last: list[str] = []

        async def check() -> dict[str, Any] | None:
            status = await self.queue.status(model.id, request_id, what=what)
            last[:] = [status.state]
            if status.state != "COMPLETED":
                if on_progress is not None:
                    since = submitted_at if submitted_at is not None else started
                    on_progress(min(0.95, (time.time() - since) / max(expected, 1.0)))
                return None
            return await self._result(model, request_id, what, status)

        try:
            return await wait_for_operation(
                check, schedule, what=what, submitted_at=submitted_at, latency_key=latency_key
            )
        except asyncio.CancelledError:
            if last == ["IN_QUEUE"]:
                with contextlib.suppress(Exception):
                    await asyncio.shield(self._cancel_queued(model, request_id))
            raise

    async def _cancel_queued(self, model: ModelEntry, request_id: str) -> None:
        """Ask fal to drop a queued request; when fal then no longer has it, it was never made
        (and is not billed): remembered for `was_dropped`."""
        if not await self.queue.cancel(model.id, request_id):
            return
        try:
            await self.queue.status(model.id, request_id, what=f"fal {model.id} status")
        except ProviderError as exc:
            if exc.status == 404:
                self._dropped.add(f"{model.id}|{request_id}")

    def was_dropped(self, operation_id: str) -> bool:
        return operation_id in self._dropped

    async def _result(
        self, model: ModelEntry, request_id: str, what: str, status: QueueStatus
    ) -> dict[str, Any]:
        """The output of a COMPLETED request. One that ended in an error (`status.error`) is
        fetched too, as fal's own client does: the result answers with the failure's HTTP
        status, which says whether fal bills it (a 5xx request error, FalServerError: not
        billed; a 4xx such as a validation or content-policy error: counted as billed)."""
        try:
            return await self.queue.result(model.id, request_id, what=what)
        except TransientError:
            raise  # waited out by the poller
        except ProviderError as exc:
            if exc.status is not None and 400 <= exc.status < 500 and exc.status not in (401, 403):
                raise _failure(what, status.error or str(exc), status.error_type) from exc
            raise


def _failure(what: str, message: str, error_type: str | None) -> ProviderError:
    text = f"{error_type or ''} {message}".lower()
    if any(word in text for word in SAFETY_WORDS):
        return ContentFilteredError(f"{what} was rejected for content safety: {message}")
    return OperationFailedError(f"{what} failed at fal: {message}")


def _file_url(output: dict[str, Any], key: str, what: str) -> str:
    item = output.get(key)
    if isinstance(item, list):
        item = item[0] if item else None
    url = item.get("url") if isinstance(item, dict) else None
    if not url:
        raise OperationFailedError(f"{what}: fal's output has no {key} URL")
    return str(url)


class FalVideoProvider(FalMixin, VideoProvider):
    """A fal video model from the catalog (VIDPIPE_FAL_VIDEO_MODEL)."""

    typical_seconds: ClassVar[float] = 90.0

    class Options(BaseModel):
        model_config = ConfigDict(extra="forbid")

        model: str
        audio: bool

    def __init__(self, settings: Settings, model: str | None = None) -> None:
        super().__init__(settings)
        self.model = fal_model(
            model or settings.provider(FalSettings).video_model, "video", "VIDPIPE_FAL_VIDEO_MODEL"
        )
        audio = settings.provider(FalSettings).video_audio and self.model.native_audio
        self.options = self.Options(model=self.model.id, audio=audio)
        self.queue = FalQueue(settings, role="video")
        self._dropped = set()
        self.capabilities = capabilities_of(self.model)
        # A start-frame-only model: the pipeline chains each scene from the last clip's end.
        self.takes_end_frame = self.model.end_frame
        unit = self.model.unit_price(with_audio=audio)
        keys = (self.model.id, "fal:video")
        if self.model.price_unit == "second":
            self.price_per_second = price(settings, keys, unit)
        else:
            self.price_per_call = price(settings, keys, unit)
        self._submitted: dict[str, float] = {}

    def _models(self) -> list[ModelEntry]:
        return [self.model]

    async def submit(self, request: VideoRequest, operation_id: str | None = None) -> str:
        """Queue the clip; `operation_id` (a request fal dropped) is not reused: fal picks ids."""
        model = self.model
        what = f"fal {model.id} submit (scene {request.scene_index + 1})"
        start = await self.queue.upload(
            request.start_image.read_bytes(), "image/png", f"scene{request.scene_index}_start.png"
        )
        end = None
        if model.end_frame:
            end = await self.queue.upload(
                request.end_image.read_bytes(), "image/png", f"scene{request.scene_index}_end.png"
            )
        arguments = video_arguments(
            model,
            prompt=clip_prompt(request),
            start_url=start,
            end_url=end,
            duration=request.duration,
            aspect_ratio=request.aspect_ratio,
            resolution=f"{min(request.width, request.height)}p",
            audio=self.options.audio,
        )
        request_id = await self.queue.submit(model.id, arguments, what=what)
        operation = f"{model.id}|{request_id}"
        self._submitted[operation] = time.time()
        return operation

    async def operation_state(self, operation_id: str) -> str | None:
        """After a crash or stop: "pending" or "done" when fal still has the request,
        "unknown" when fal has no such request (cancelled while queued) — it is sent again."""
        model_id, request_id = _split(operation_id)
        try:
            status = await self.queue.status(model_id, request_id, what=f"fal {model_id} status")
        except ProviderError as exc:
            return "unknown" if exc.status == 404 else None
        return "done" if status.state == "COMPLETED" else "pending"

    async def wait(
        self,
        operation_id: str,
        request: VideoRequest,
        dest: Path,
        on_progress: ProgressFn | None = None,
    ) -> VideoResult:
        model_id, request_id = _split(operation_id)
        model = self.model if model_id == self.model.id else fal_model(model_id, "video", "")
        what = f"fal {model.id} request {request_id} (scene {request.scene_index + 1})"
        output = await self._collect(
            model,
            request_id,
            what=what,
            submitted_at=self._submitted.get(operation_id),
            typical=self.typical_seconds,
            on_progress=on_progress,
        )
        self._submitted.pop(operation_id, None)
        data = await self.queue.download(_file_url(output, "video", what), what=what)
        dest.write_bytes(data)
        return VideoResult(ClipOutcome.COMPLETE, has_audio=self.options.audio)


class FalImageProvider(FalMixin, ImageProvider):
    """Start frames from a text-to-image model; end frames from an image-edit model given the
    start frame (VIDPIPE_FAL_IMAGE_MODEL, VIDPIPE_FAL_IMAGE_EDIT_MODEL)."""

    typical_seconds: ClassVar[float] = 8.0

    class Options(BaseModel):
        model_config = ConfigDict(extra="forbid")

        model: str
        edit_model: str

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.text_model = fal_model(
            settings.provider(FalSettings).image_model, "image", "VIDPIPE_FAL_IMAGE_MODEL"
        )
        self.edit_model = fal_model(
            settings.provider(FalSettings).image_edit_model, "image", "VIDPIPE_FAL_IMAGE_EDIT_MODEL"
        )
        if not self.edit_model.start_frame:
            raise BadInputError(
                f"fal model {self.edit_model.id} takes no input image; check "
                "VIDPIPE_FAL_IMAGE_EDIT_MODEL"
            )
        self.options = self.Options(model=self.text_model.id, edit_model=self.edit_model.id)
        self.queue = FalQueue(settings, role="image")
        self._dropped = set()
        # An estimate per keyframe: the dearer of the two models.
        dearer = max(self.text_model.price, self.edit_model.price)
        self.price_per_call = price(settings, (self.text_model.id, "fal:image"), dearer)

    def _models(self) -> list[ModelEntry]:
        return [self.text_model, self.edit_model]

    async def generate_image(self, request: ImageRequest) -> bytes:
        edit = request.reference_image is not None
        model = self.edit_model if edit else self.text_model
        what = f"fal {model.id} keyframe (scene {request.scene_index + 1})"
        image_url = None
        if request.reference_image is not None:
            image_url = await self.queue.upload(
                request.reference_image.read_bytes(), "image/png", "start.png"
            )
        arguments = image_arguments(
            model,
            prompt=styled(request.prompt, request.style_guide),
            width=request.width,
            height=request.height,
            aspect_ratio=request.aspect_ratio,
            image_url=image_url,
        )
        submitted_at = time.time()
        request_id = await self.queue.submit(model.id, arguments, what=what)
        output = await self._collect(
            model,
            request_id,
            what=f"{what}, request {request_id}",
            submitted_at=submitted_at,
            typical=self.typical_seconds,
        )
        data = await self.queue.download(_file_url(output, "images", what), what=what)
        return fit_png(data, request.width, request.height, source=f"fal {model.id}")


def _split(operation_id: str) -> tuple[str, str]:
    model_id, _, request_id = operation_id.rpartition("|")
    if not model_id or not request_id:
        raise ProviderError(f"not a fal operation id: {operation_id!r}")
    return model_id, request_id
