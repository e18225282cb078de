"""The `comfyui` provider's settings: VIDPIPE_COMFYUI_<FIELD>, or `[comfyui]` in vidpipe.toml."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field, SecretStr

from vidpipe.config import ProviderSettings


class ComfyUISettings(ProviderSettings):
    """The ComfyUI server and the workflow templates it runs."""

    provider_id: ClassVar[str] = "comfyui"

    url: str | None = Field(
        default=None, description="ComfyUI server, e.g. `http://127.0.0.1:8188`."
    )
    api_key: SecretStr | None = Field(
        default=None, description="Bearer token for a ComfyUI behind an authenticating proxy."
    )
    text_to_image_workflow: Path | None = Field(
        default=None,
        description="Your own start-frame (text-to-image) workflow template; default: the shipped "
        "`text_to_image.json`.",
    )
    image_to_image_workflow: Path | None = Field(
        default=None,
        description="Your own end-frame (image-to-image) workflow template; default: the shipped "
        "`image_to_image.json`.",
    )
    video_workflow: Path | None = Field(
        default=None,
        description="Your own clip workflow template; default: the shipped "
        "`first_last_frame_to_video.json`.",
    )
