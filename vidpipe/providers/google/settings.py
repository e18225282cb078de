"""The `google` provider's settings: VIDPIPE_GOOGLE_<FIELD>, or `[google]` in vidpipe.toml.

Kept apart from the provider's modules so reading them never imports the google-genai SDK.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field, SecretStr

from vidpipe.config import ProviderSettings


class GoogleSettings(ProviderSettings):
    """Gemini API or Vertex AI: endpoint, key or project, and the model of each role."""

    provider_id: ClassVar[str] = "google"

    base_url: str | None = Field(
        default=None, description="Replaces the Gemini API / Vertex AI endpoint; default: Google's."
    )
    api_key: SecretStr | None = Field(
        default=None, description="Gemini API key, or a Vertex AI express-mode key."
    )
    vertexai: bool = Field(
        default=False,
        description="Use Vertex AI (needed for Veo) instead of the Gemini API.",
    )
    project: str | None = Field(default=None, description="Vertex AI project id.")
    location: str = Field(default="us-central1", description="Vertex AI region.")
    credentials_file: Path | None = Field(
        default=None,
        description="Vertex AI credentials JSON (service-account key, authorized user); default: "
        "application default credentials.",
    )
    # Today's GA models (vidpipe models): see docs/models.md.
    storyboard_model: str = Field(
        default="gemini-3.8-flash", description="Gemini model that writes storyboards."
    )
    image_model: str = Field(
        default="gemini-3.1-flash-image",
        description="Gemini image model: start frames, and end frames from the start image.",
    )
    image_edit_model: str = Field(
        default="imagen-3.0-capability-001",
        description="End frames when the image model is an Imagen model (every Imagen model was "
        "shut down 2026-08-17).",
    )
    video_model: str = Field(
        default="veo-3.1-generate-001",
        description="Clips: Veo 3.1 (Vertex AI) or `gemini-omni-1.1-flash` (Gemini API or Vertex "
        "AI).",
    )
    video_audio: bool = Field(
        default=True,
        description="Clips with a soundtrack where the model has one (Veo 3.x; also picks "
        "the price); Gemini Omni always has one.",
    )
    speech_model: str = Field(
        default="gemini-3.8-flash-lite-tts", description="Gemini speech model for narration."
    )
    voice: str = Field(default="Kore", description="Gemini prebuilt voice for narration.")
