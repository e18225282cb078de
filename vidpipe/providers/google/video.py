"""Clips from Veo on Vertex AI: first frame + last frame → one clip, as a long-running operation.

submit() starts `generate_videos` (POST …:predictLongRunning) and returns the operation *name*;
the pipeline commits it before wait() polls it (POST …:fetchPredictOperation) — after a crash,
wait() polls the same name and never submits again (never pay twice). The finished video comes back
inline (no output storage URI is set) and is written to `dest`.

Gemini Omni goes through the Interactions API instead: submit() creates a background interaction
and returns its id; wait() polls `interactions.get` and writes the video the SDK exposes as
`output_video` (taken from the model_output step of the answer), also inline.
"""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

from google.genai import types
from pydantic import BaseModel, ConfigDict

from vidpipe.config import Settings
from vidpipe.errors import BadInputError, ContentFilteredError, OperationFailedError, ProviderError
from vidpipe.providers.audio_prompt import clip_prompt
from vidpipe.providers.base import (
    ClipOutcome,
    ProgressFn,
    VideoProvider,
    VideoRequest,
    VideoResult,
)
from vidpipe.providers.calls import (
    LATENCY,
    poll_schedule,
    price,
    wait_for_operation,
)
from vidpipe.providers.google.client import GoogleClientMixin
from vidpipe.providers.google.models import VideoModel, video_model
from vidpipe.providers.google.settings import GoogleSettings

SAFETY_WORDS = ("responsible ai", "safety", "usage guidelines", "sensitive", "policy", "harmful")
# An interaction in these states is still being made; every other state (completed, failed,
# cancelled, incomplete, budget_exceeded, requires_action, one added later) will not change
# on its own, so polling stops there.
PENDING = ("in_progress", "queued")


class GoogleVideoProvider(GoogleClientMixin, VideoProvider):
    """Veo: durations, aspect ratios and resolutions are the configured model's (catalog)."""

    capabilities = video_model("veo-3.1-generate-001").capabilities()
    requests_per_minute: float | None = 10

    class Options(BaseModel):
        model_config = ConfigDict(extra="forbid")

        model: str
        audio: bool

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        google = settings.provider(GoogleSettings)
        self.options = self.Options(
            model=google.video_model,
            audio=google.video_audio,
        )
        self.veo: VideoModel = video_model(self.options.model)
        if self.veo.vertex_only and not google.vertexai:
            raise BadInputError(
                f"{self.veo.name}: Veo runs on Vertex AI only (google-genai 3.x): set "
                "VIDPIPE_GOOGLE_VERTEXAI=1 and VIDPIPE_GOOGLE_PROJECT, or a Vertex AI "
                "express-mode VIDPIPE_GOOGLE_API_KEY; or use gemini-omni-1.1-flash on the "
                "Gemini API"
            )
        self._init_client()
        self.capabilities = self.veo.capabilities()
        self.requests_per_minute = self.veo.requests_per_minute
        self.price_per_second = price(
            settings,
            (self.veo.name, "google:video"),
            self.veo.price(with_audio=self.options.audio),
        )
        self._submitted: dict[str, float] = {}  # operation name → time.time() of its submission

    def makes_audio(self) -> bool:
        """Veo 3.x with VIDPIPE_GOOGLE_VIDEO_AUDIO on: dialogue and sound go into the prompt."""
        return self.veo.audio and self.options.audio

    def refusal(self, duration: float, aspect_ratio: str, resolution: str) -> BadInputError | None:
        """Why the model cannot make such clips (combinations too), or None."""
        return self.veo.refusal(duration, aspect_ratio, resolution)

    # ------------------------------------------------------------ submit

    async def submit(self, request: VideoRequest) -> str:
        resolution = _resolution_of(request)
        problem = self.refusal(request.duration, request.aspect_ratio, resolution)
        if problem:  # past the doors' checks: a failure of the run, its field in words
            raise BadInputError(problem.worded())
        if self.veo.api == "interactions":
            return await self._submit_interaction(request, resolution)
        veo = self.veo
        config = types.GenerateVideosConfig(
            number_of_videos=1,
            duration_seconds=int(request.duration),
            aspect_ratio=request.aspect_ratio,
            resolution=resolution if veo.sends_resolution else None,
            last_frame=_png(request.end_image),
            generate_audio=self.options.audio if veo.audio else None,
        )
        source = types.GenerateVideosSource(
            prompt=clip_prompt(request),
            image=_png(request.start_image),
        )
        async with self._aio(timeout=self.settings.provider_submit_timeout_seconds) as aio:
            operation = await self._call(
                f"{veo.name} submit (scene {request.scene_index + 1})",
                lambda: aio.models.generate_videos(model=veo.name, source=source, config=config),
                rpm=self.requests_per_minute,
                resend_unknown=False,  # Veo has no idempotency key: a lost answer is not re-sent
            )
        if not operation.name:
            raise ProviderError(f"{veo.name} returned an operation without a name")
        self._submitted[operation.name] = time.time()
        return operation.name

    # ------------------------------------------------------------ wait

    async def wait(
        self,
        operation_id: str,
        request: VideoRequest,
        dest: Path,
        on_progress: ProgressFn | None = None,
    ) -> VideoResult:
        if self.veo.api == "interactions":
            return await self._wait_interaction(operation_id, request, dest, on_progress)
        veo = self.veo
        what = f"{veo.name} operation for scene {request.scene_index + 1}"
        submitted_at = self._submitted.get(operation_id)
        latency_key = f"google:{veo.name}"
        schedule = poll_schedule(self.settings, latency_key, veo.typical_seconds)
        started = time.time()
        expected = LATENCY.typical(latency_key, veo.typical_seconds)
        # `name` is a field of the SDK's Operation base, which its typing does not show
        handle = types.GenerateVideosOperation(name=operation_id)  # type: ignore[call-arg]

        async with self._aio() as aio:

            async def check() -> types.GenerateVideosOperation | None:
                operation = await self._check_once(what, lambda: aio.operations.get(handle))
                if operation.done:
                    return operation
                if on_progress is not None:
                    since = submitted_at if submitted_at is not None else started
                    on_progress(min(0.95, (time.time() - since) / max(expected, 1.0)))
                return None

            operation = await wait_for_operation(
                check, schedule, what=what, submitted_at=submitted_at, latency_key=latency_key
            )
        self._submitted.pop(operation_id, None)
        video = _video_of(operation, what)
        dest.write_bytes(video)
        return VideoResult(ClipOutcome.COMPLETE, has_audio=veo.audio and self.options.audio)

    # ------------------------------------------------------------ Gemini Omni (Interactions API)

    async def _submit_interaction(self, request: VideoRequest, resolution: str) -> str:
        """One background interaction: the motion prompt, then the first and the last frame
        (with task image_to_video, Omni takes the first image as the opening frame and the second
        as the closing one); its id is the operation id. Vertex AI names the model and serves it
        in its own way (catalog: vertex_id, vertex_location)."""
        model = self._interaction_model()
        parts: list[dict[str, Any]] = [
            {"type": "text", "text": clip_prompt(request)},
            _image_part(request.start_image),
            _image_part(request.end_image),
        ]
        video_format = {
            "type": "video",
            "aspect_ratio": request.aspect_ratio,
            "resolution": resolution,
            "duration": f"{int(request.duration)}s",
            "delivery": "inline",
        }
        async with self._aio(
            timeout=self.settings.provider_submit_timeout_seconds, location=self._location()
        ) as aio:
            interaction = await self._call(
                f"{model} submit (scene {request.scene_index + 1})",
                lambda: aio.interactions.create(
                    model=model,
                    input=parts,
                    background=True,
                    response_format=video_format,
                    generation_config={"video_config": {"task": "image_to_video"}},
                ),
                rpm=self.requests_per_minute,
                resend_unknown=False,  # no idempotency key: a lost answer is not re-sent
            )
        # without stream=True the SDK returns an Interaction; its stubs also allow a stream
        interaction_id = interaction.id  # type: ignore[union-attr]
        if not interaction_id:
            raise ProviderError(f"{model} returned an interaction without an id")
        self._submitted[interaction_id] = time.time()
        return str(interaction_id)

    async def _wait_interaction(
        self,
        interaction_id: str,
        request: VideoRequest,
        dest: Path,
        on_progress: ProgressFn | None,
    ) -> VideoResult:
        model = self.veo
        what = f"{model.name} interaction for scene {request.scene_index + 1}"
        submitted_at = self._submitted.get(interaction_id)
        latency_key = f"google:{model.name}"
        schedule = poll_schedule(self.settings, latency_key, model.typical_seconds)
        started = time.time()
        expected = LATENCY.typical(latency_key, model.typical_seconds)

        async with self._aio(location=self._location()) as aio:

            async def check() -> Any:
                found = await self._check_once(what, lambda: aio.interactions.get(interaction_id))
                if str(getattr(found, "status", "") or "") not in PENDING:
                    return found
                if on_progress is not None:
                    since = submitted_at if submitted_at is not None else started
                    on_progress(min(0.95, (time.time() - since) / max(expected, 1.0)))
                return None

            finished = await wait_for_operation(
                check, schedule, what=what, submitted_at=submitted_at, latency_key=latency_key
            )
        self._submitted.pop(interaction_id, None)
        dest.write_bytes(_interaction_video(finished, what))
        return VideoResult(ClipOutcome.COMPLETE, has_audio=True)

    def _interaction_model(self) -> str:
        """The id Google knows the model by in this mode (Vertex AI has its own for Omni)."""
        if self.settings.provider(GoogleSettings).vertexai and self.veo.vertex_id:
            return self.veo.vertex_id
        return self.veo.name

    def _location(self) -> str | None:
        """The Vertex AI region serving the model, when it is not the configured one."""
        if self.settings.provider(GoogleSettings).vertexai:
            return self.veo.vertex_location
        return None


def _image_part(path: Path) -> dict[str, Any]:
    return {
        "type": "image",
        "data": base64.b64encode(path.read_bytes()).decode(),
        "mime_type": "image/png",
    }


def _interaction_video(interaction: Any, what: str) -> bytes:
    """The MP4 of a finished interaction; ContentFilteredError for safety rejections."""
    status = str(getattr(interaction, "status", ""))
    if status != "completed":
        errors = getattr(interaction, "errors", None) or []
        message = "; ".join(str(getattr(e, "message", e)) for e in errors) or status
        if any(word in message.lower() for word in SAFETY_WORDS):
            raise ContentFilteredError(f"{what} was rejected for content safety: {message}")
        raise OperationFailedError(f"{what} ended {status}: {message}")
    video = getattr(interaction, "output_video", None)
    data = getattr(video, "data", None) if video is not None else None
    if not data:
        uri = getattr(video, "uri", None) if video is not None else None
        if uri:
            raise ProviderError(
                f"{what}: the video was delivered at {uri} instead of inline; vidpipe asks "
                "for it inline"
            )
        raise ProviderError(f"{what}: finished without a video")
    if isinstance(data, bytes):
        return data
    return base64.b64decode(str(data))


def _png(path: Path) -> types.Image:
    return types.Image(image_bytes=path.read_bytes(), mime_type="image/png")


def _resolution_of(request: VideoRequest) -> str:
    short = min(request.width, request.height)
    return f"{short}p"


def _video_of(operation: types.GenerateVideosOperation, what: str) -> bytes:
    """The MP4 bytes of a finished operation; ContentFilteredError for safety rejections."""
    if operation.error:
        message = str(operation.error.get("message") or operation.error)
        code = operation.error.get("code")
        if any(word in message.lower() for word in SAFETY_WORDS):
            raise ContentFilteredError(f"{what} was rejected for content safety: {message}")
        raise OperationFailedError(f"{what} failed (code {code}): {message}")
    response = operation.response or operation.result
    videos = (response.generated_videos if response else None) or []
    for generated in videos:
        if generated.video is not None and generated.video.video_bytes:
            return generated.video.video_bytes
    filtered = response.rai_media_filtered_count if response else None
    if filtered or (response and response.rai_media_filtered_reasons):
        reasons = "; ".join(response.rai_media_filtered_reasons or []) if response else ""
        raise ContentFilteredError(
            f"{what}: Veo filtered the clip for content safety"
            + (f": {reasons}" if reasons else "")
        )
    uris = [g.video.uri for g in videos if g.video is not None and g.video.uri]
    if uris:
        raise ProviderError(
            f"{what}: the video was written to {uris[0]} instead of returned; vidpipe expects "
            "it inline (do not set an output storage URI)"
        )
    raise ProviderError(f"{what}: finished without a video")
