"""The `fal` provider's settings: VIDPIPE_FAL_<FIELD>, or `[fal]` in vidpipe.toml."""

from __future__ import annotations

from typing import ClassVar

from pydantic import AliasChoices, Field, SecretStr

from vidpipe.config import ProviderSettings


class FalSettings(ProviderSettings):
    """fal.ai: one key, and the models of the image and video roles."""

    provider_id: ClassVar[str] = "fal"

    key: SecretStr | None = Field(
        default=None,
        # the environment names, VIDPIPE_FAL_KEY first; `key` itself in vidpipe.toml and code
        validation_alias=AliasChoices("VIDPIPE_FAL_KEY", "FAL_KEY"),
        description="fal.ai API key (`VIDPIPE_FAL_KEY`, or fal's own `FAL_KEY`).",
    )
    base_url: str | None = Field(
        default=None,
        description="One root for fal's queue, run, storage and pricing hosts (tests, proxies); "
        "default: fal's own hosts.",
    )
    video_model: str = Field(
        default="fal-ai/kling-video/v4/image-to-video",
        description="fal video model, a catalog id (docs/models.md).",
    )
    image_model: str = Field(
        default="fal-ai/flux/schnell", description="fal text-to-image model for start frames."
    )
    image_edit_model: str = Field(
        default="fal-ai/nano-banana/edit",
        description="fal image-edit model that draws end frames from the start image.",
    )
    video_audio: bool = Field(
        default=False,
        description="fal clips with a soundtrack, where the model has one (costs more).",
    )
