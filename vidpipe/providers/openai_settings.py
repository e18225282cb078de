"""The `openai` provider's settings: VIDPIPE_OPENAI_<FIELD>, or `[openai]` in vidpipe.toml.

A module of its own (the provider is two modules, openai_compat.py and openai_speech.py) so
reading the settings never imports the openai SDK.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, SecretStr

from vidpipe.config import ProviderSettings


class OpenAISettings(ProviderSettings):
    """Any OpenAI-compatible endpoint: storyboards (chat) and narration (speech)."""

    provider_id: ClassVar[str] = "openai"

    base_url: str | None = Field(
        default=None,
        description="Any OpenAI-compatible endpoint (Ollama, vLLM, ...); default: "
        "`https://api.openai.com/v1`.",
    )
    api_key: SecretStr | None = Field(
        default=None, description="Key for the OpenAI-compatible endpoint."
    )
    model: str = Field(default="gpt-4o-mini", description="Chat model that writes storyboards.")
    json_mode: Literal["auto", "json_schema", "json_object"] = Field(
        default="auto",
        description="`json_schema`, `json_object`, or `auto` (schema, JSON mode if the server "
        "refuses schemas).",
    )
    speech_model: str = Field(
        default="gpt-4o-mini-tts", description="Speech model (`/v1/audio/speech`) for narration."
    )
    voice: str = Field(default="alloy", description="Voice for narration.")
    vision: bool | None = Field(
        default=None,
        description="The model sees images: it describes reference images given without a "
        "description; unset: yes on api.openai.com, no elsewhere.",
    )
