"""The `local` provider's settings: VIDPIPE_LOCAL_<FIELD>, or `[local]` in vidpipe.toml."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from vidpipe.config import ProviderSettings


class LocalSettings(ProviderSettings):
    """The offline provider has one choice: an ambient track under its clips."""

    provider_id: ClassVar[str] = "local"

    audio: bool = Field(default=False, description="Local clips carry a synthesized ambient track.")
