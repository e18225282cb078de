"""Keyframes and clips from a ComfyUI server, through workflow templates (see workflows.py)."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from vidpipe.config import Settings
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
from vidpipe.providers.calls import poll_schedule, price
from vidpipe.providers.comfyui.client import ComfyUI, new_prompt_id
from vidpipe.providers.comfyui.objectinfo import check_against
from vidpipe.providers.comfyui.outputs import write_clip
from vidpipe.providers.comfyui.settings import ComfyUISettings
from vidpipe.providers.comfyui.workflows import REFERENCE_SLOT, Template, load_template
from vidpipe.providers.imaging import fit_png, styled, with_references

NEGATIVE = "blurry, low quality, distorted, deformed, watermark, text, caption, logo"


def seed_of(*parts: object) -> int:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:6], "big")


class ComfyUIImageProvider(ImageProvider):
    """Start frames by the text-to-image template; end frames by image-to-image from the start."""

    provider_id = "comfyui"
    typical_seconds: ClassVar[float] = 10.0

    class Options(BaseModel):
        model_config = ConfigDict(extra="forbid")

        url: str | None
        text_to_image_workflow: Path | None
        image_to_image_workflow: Path | None

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        comfyui = settings.provider(ComfyUISettings)
        self.options = self.Options(
            url=comfyui.url,
            text_to_image_workflow=comfyui.text_to_image_workflow,
            image_to_image_workflow=comfyui.image_to_image_workflow,
        )
        self.server = ComfyUI(settings, role="image", default_rpm=None)
        self.text_to_image = load_template("text_to_image", self.options.text_to_image_workflow)
        self.image_to_image = load_template("image_to_image", self.options.image_to_image_workflow)
        self.price_per_call = price(settings, ("comfyui:image",), 0.0)
        # Scene references go in through the templates' `reference_image` slot (e.g. the image
        # of an IP-Adapter or reference-latent node); both templates need it to take them.
        takes = all(REFERENCE_SLOT in t.inputs for t in (self.text_to_image, self.image_to_image))
        self.capabilities = Capabilities(supports_references=takes)

    async def health(self) -> str:
        return await self.server.health()

    async def check_templates(self) -> list[str]:
        """Problems of both keyframe templates against the server's /object_info (free)."""
        info = await self.server.object_info()
        return check_against(info, [self.text_to_image, self.image_to_image])

    def new_operation_id(self) -> str | None:
        """A prompt id for the next keyframe, to commit before `generate_image(…, id)`."""
        return new_prompt_id()

    async def generate_image(self, request: ImageRequest, operation_id: str | None = None) -> bytes:
        """The keyframe as PNG. With `operation_id` (committed by the caller) a prompt the
        server already has under that id — queued, running or finished, e.g. by a run that was
        killed — is collected instead of queued again; otherwise it is queued under that id.
        A prompt that failed on the server raises OperationFailedError: use a new id."""
        reference = request.reference_image
        template = self.image_to_image if reference is not None else self.text_to_image
        width, height = template.size(request.width, request.height)
        prompt = styled(request.prompt, request.style_guide)
        if request.references:
            prompt = with_references(prompt, request.references[:1], 1, label="reference {n}")
        values: dict[str, object] = {
            "prompt": prompt,
            "negative_prompt": NEGATIVE,
            "width": width,
            "height": height,
            "seed": seed_of(prompt, request.scene_index, reference is not None),
            "filename_prefix": f"vidpipe/scene_{request.scene_index:02d}",
        }
        what = f"comfyui keyframe (scene {request.scene_index + 1})"
        prompt_id = operation_id or new_prompt_id()  # a lost answer is looked up, not re-queued
        async with self.server.session() as client:
            submitted_at: float | None = None
            known = operation_id is not None and (
                await self.server.prompt_state(client, prompt_id) != "unknown"
            )
            if not known:
                if reference is not None:
                    values["image"] = await self.server.upload_image(client, reference)
                if request.references and REFERENCE_SLOT in template.inputs:
                    path = request.references[0].path  # the slot takes one image: the first
                    values[REFERENCE_SLOT] = await self.server.upload_image(client, path)
                submitted_at = time.time()
                await self.server.queue(
                    client,
                    template.fill(values),
                    what,
                    prompt_id=prompt_id,
                    reads=(template.output,),
                )
            file = await self.server.wait(
                client,
                prompt_id,
                output_node=template.output,
                schedule=poll_schedule(self.settings, "comfyui:image", self.typical_seconds),
                what=f"{what}, prompt {prompt_id}",
                submitted_at=submitted_at,
                latency_key="comfyui:image",
            )
            data = await self.server.download(client, file, what)
        return fit_png(data, request.width, request.height, source="comfyui")


class ComfyUIVideoProvider(VideoProvider):
    """First + last frame to video with the video template (Wan 2.1 FLF2V by default).

    ComfyUI runs one prompt at a time; two in flight keep its queue busy without letting queued
    clips wait out their time-out.
    """

    provider_id = "comfyui"
    capabilities = Capabilities(min_duration=1, max_duration=10, max_concurrency=2)
    typical_seconds: ClassVar[float] = 240.0

    class Options(BaseModel):
        model_config = ConfigDict(extra="forbid")

        url: str | None
        video_workflow: Path | None

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        comfyui = settings.provider(ComfyUISettings)
        self.options = self.Options(
            url=comfyui.url,
            video_workflow=comfyui.video_workflow,
        )
        self.server = ComfyUI(settings, role="video", default_rpm=None)
        self.template: Template = load_template("video", self.options.video_workflow)
        self.price_per_second = price(settings, ("comfyui:video",), 0.0)
        self._submitted: dict[str, float] = {}

    async def health(self) -> str:
        return await self.server.health()

    def new_operation_id(self) -> str | None:
        return new_prompt_id()

    async def operation_state(self, operation_id: str) -> str | None:
        async with self.server.session() as client:
            state = await self.server.prompt_state(client, operation_id)
        return {"queued": "pending", "running": "pending"}.get(state, state)

    async def check_templates(self) -> list[str]:
        """Problems of the video template against the server's /object_info (free)."""
        return check_against(await self.server.object_info(), [self.template])

    async def submit(self, request: VideoRequest, operation_id: str | None = None) -> str:
        """Queue the clip under `operation_id` (vidpipe's, committed before this call) or a
        fresh id; returns the id. A lost answer is looked up by id, never queued twice."""
        prompt_id = operation_id or new_prompt_id()
        template = self.template
        width, height = template.size(request.width, request.height)
        prompt = request.motion_prompt
        if request.style_guide is not None:
            prompt += f". {request.style_guide.visual_style}. {request.style_guide.camera_style}"
        what = f"comfyui clip (scene {request.scene_index + 1})"
        async with self.server.session() as client:
            start = await self.server.upload_image(client, request.start_image)
            end = await self.server.upload_image(client, request.end_image)
            graph = template.fill(
                {
                    "prompt": prompt,
                    "negative_prompt": NEGATIVE,
                    "start_image": start,
                    "end_image": end,
                    "width": width,
                    "height": height,
                    "length": template.frames.length(request.duration),
                    "fps": template.frames.fps,
                    "seed": seed_of(prompt, request.scene_index),
                    "filename_prefix": f"vidpipe/scene_{request.scene_index:02d}",
                }
            )
            self._submitted[prompt_id] = time.time()
            await self.server.queue(
                client, graph, what, prompt_id=prompt_id, reads=(template.output,)
            )
        return prompt_id

    async def wait(
        self,
        operation_id: str,
        request: VideoRequest,
        dest: Path,
        on_progress: ProgressFn | None = None,
    ) -> VideoResult:
        """Wait for the prompt, download its output and write it to `dest` as H.264 MP4,
        checked (OperationFailedError with the reason when the output cannot be a clip)."""
        what = f"comfyui clip (scene {request.scene_index + 1}, prompt {operation_id})"
        async with self.server.session() as client:
            file = await self.server.wait(
                client,
                operation_id,
                output_node=self.template.output,
                schedule=poll_schedule(self.settings, "comfyui:video", self.typical_seconds),
                what=what,
                submitted_at=self._submitted.pop(operation_id, None),
                latency_key="comfyui:video",
                on_progress=on_progress,
            )
            data = await self.server.download(client, file, what)
        await write_clip(
            data,
            str(file["filename"]),
            dest,
            duration=request.duration,
            fps=self.template.frames.fps,
            ffmpeg=self.settings.ffmpeg,
            what=what,
        )
        return VideoResult(ClipOutcome.COMPLETE)
