"""One Settings object, built once at the edge (CLI, server) and passed down.

Precedence: explicit values (CLI flags) > VIDPIPE_* environment > vidpipe.toml > defaults.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

QUEUE_NEEDS_POSTGRES = (
    "VIDPIPE_EXECUTION=queue needs PostgreSQL: set VIDPIPE_DATABASE_URL to a "
    "postgresql+asyncpg:// URL (SQLite runs projects in-process: VIDPIPE_EXECUTION=inline)"
)


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "vidpipe"


class Settings(BaseSettings):
    """Effective configuration. Field names map to VIDPIPE_<NAME> variables."""

    model_config = SettingsConfigDict(
        env_prefix="VIDPIPE_",
        toml_file="vidpipe.toml",
        extra="ignore",
        validate_default=True,
    )

    data_dir: Path = Field(default_factory=_default_data_dir, description="Projects and database.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy async URL; default: SQLite in the data directory."
    )
    ffmpeg: str | None = Field(
        default=None, description="Path to ffmpeg; default: on PATH, else imageio-ffmpeg's binary."
    )
    storyboard_provider: str = "local"
    image_provider: str = "local"
    video_provider: str = "local"
    narration_provider: str = Field(
        default="local", description="Who speaks narration and dialogue lines (text to speech)."
    )
    narration_voice: str = Field(
        default="", description="The narration provider's voice name; empty: its default."
    )
    narration_speed: float = Field(
        default=1.0, ge=0.5, le=2.0, description="Speaking speed; 1.0 is the voice's normal."
    )

    google_base_url: str | None = None
    google_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_api_key: SecretStr | None = None
    comfyui_url: str | None = None
    api_token: SecretStr | None = None

    local_audio: bool = Field(default=False, description="Local clips carry an ambient track.")
    sim_latency: dict[str, float] = Field(
        default_factory=lambda: {"storyboard": 0.5, "image": 0.2, "video": 2.0},
        description="Seconds per call of the `sim` provider, by role.",
    )
    sim_jitter: float = Field(default=0.2, ge=0, lt=1, description="± fraction of sim latency.")
    sim_poll_interval: float = Field(default=0.5, gt=0, description="Sim operation poll interval.")
    video_concurrency: int | None = Field(
        default=None, ge=1, le=256, description="Clips at once; default: the provider's own cap."
    )
    fps: int = Field(default=24, ge=1, le=120)
    lease_seconds: float = Field(default=30.0, gt=0, description="Runner lease length.")
    heartbeat_seconds: float = Field(default=10.0, gt=0, description="Lease renewal interval.")
    host: str = "127.0.0.1"
    port: int = 8000

    # providers
    google_vertexai: bool = Field(
        default=False,
        description="Use Vertex AI (needed for Veo) instead of the Gemini API.",
    )
    google_project: str | None = Field(default=None, description="Vertex AI project id.")
    google_location: str = Field(default="us-central1", description="Vertex AI region.")
    google_credentials_file: Path | None = Field(
        default=None,
        description="Vertex AI credentials JSON (service account, authorized user); default ADC.",
    )
    # Today's GA models (vidpipe models): see docs/models.md.
    google_storyboard_model: str = "gemini-3.8-flash"
    google_image_model: str = Field(
        default="gemini-3.1-flash-image",
        description="Draws start frames, and end frames from the start image.",
    )
    google_image_edit_model: str = Field(
        default="imagen-3.0-capability-001",
        description="End frames when the image model is an Imagen model (all shut down).",
    )
    google_video_model: str = Field(
        default="veo-3.1-generate-001",
        description="Veo (Vertex AI) or gemini-omni-1.1-flash (both modes).",
    )
    google_video_audio: bool = Field(
        default=True, description="Veo clips with audio, where the model can."
    )
    google_speech_model: str = Field(
        default="gemini-3.8-flash-lite-tts", description="Gemini speech (narration) model."
    )
    google_voice: str = Field(default="Kore", description="Gemini prebuilt voice for narration.")
    openai_model: str = "gpt-4o-mini"
    openai_json_mode: Literal["auto", "json_schema", "json_object"] = Field(
        default="auto",
        description="auto: JSON schema, falling back to JSON mode when the server refuses schemas.",
    )
    openai_speech_model: str = Field(
        default="gpt-4o-mini-tts", description="Speech (narration) model at /v1/audio/speech."
    )
    openai_voice: str = Field(default="alloy", description="Voice for narration.")
    openai_vision: bool | None = Field(
        default=None,
        description="The model sees images (describes reference images given without a "
        "description); unset: yes on api.openai.com, no elsewhere.",
    )
    comfyui_api_key: SecretStr | None = Field(
        default=None, description="Bearer token, for a ComfyUI behind an authenticating proxy."
    )
    comfyui_text_to_image_workflow: Path | None = None
    comfyui_image_to_image_workflow: Path | None = None
    comfyui_video_workflow: Path | None = None
    fal_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("fal_key", "VIDPIPE_FAL_KEY", "FAL_KEY"),
        description="fal.ai API key (VIDPIPE_FAL_KEY, or fal's own FAL_KEY).",
    )
    fal_base_url: str | None = Field(
        default=None,
        description="One root for fal's queue, run and storage hosts (tests, proxies); "
        "default: fal's own hosts.",
    )
    fal_video_model: str = Field(
        default="fal-ai/kling-video/v4/image-to-video", description="fal video model (catalog id)."
    )
    fal_image_model: str = Field(
        default="fal-ai/flux/schnell", description="fal text-to-image model for start frames."
    )
    fal_image_edit_model: str = Field(
        default="fal-ai/nano-banana/edit",
        description="fal image-edit model that draws end frames from the start image.",
    )
    fal_video_audio: bool = Field(
        default=False, description="fal clips with audio, where the model can (costs more)."
    )
    prices: dict[str, float] = Field(
        default_factory=dict,
        description='USD overrides by model or "provider:role", e.g. {"google:video": 0.4}.',
    )
    rate_limits: dict[str, float] = Field(
        default_factory=dict,
        description='Requests per minute per provider role, e.g. {"google:video": 10}.',
    )
    provider_retries: int = Field(default=5, ge=0, le=20, description="Retries on 429 and 5xx.")
    provider_backoff_seconds: float = Field(default=1.0, ge=0, description="First retry delay.")
    provider_backoff_max_seconds: float = Field(default=30.0, ge=0, description="Longest delay.")
    provider_timeout_seconds: float = Field(default=120.0, gt=0, description="One HTTP request.")
    provider_submit_timeout_seconds: float = Field(
        default=120.0, gt=0, description="A request that starts paid work (a clip)."
    )
    poll_first_seconds: float | None = Field(
        default=None, ge=0, description="First poll of an operation; default: the model's latency."
    )
    poll_interval_seconds: float = Field(default=1.5, gt=0, description="Later polls.")
    poll_quota_window_seconds: float = Field(
        default=300.0, ge=0, description="How long polling waits out quota errors."
    )
    operation_timeout_seconds: float = Field(
        default=1800.0, gt=0, description="A clip still running after this is marked timed_out."
    )

    # HTTP API
    api_max_runs: int = Field(
        default=2, ge=1, le=32, description="Projects the API server runs at once; others queue."
    )
    # HTTP server limits (docs/security.md)
    allowed_hosts: str = Field(
        default="",
        description="Extra Host names the server answers to, comma-separated (a proxy's name; "
        "`*.example.org`; `*` for any); loopback names and the bound address always.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Proxy addresses (IPs or networks, comma-separated) whose X-Forwarded-Proto "
        "and X-Forwarded-For are believed.",
    )
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, le=1 << 30, description="Largest JSON or form body."
    )
    max_upload_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=1024,
        le=1 << 34,
        description="Largest multipart body (uploads; the New video form with its images).",
    )
    max_upload_parts: int = Field(
        default=80, ge=1, le=10_000, description="Most parts (files and fields) of one form."
    )
    session_hours: float = Field(
        default=12.0, gt=0, le=24 * 365, description="A page login lasts this long."
    )
    login_attempts: int = Field(
        default=10, ge=1, le=10_000, description="Wrong tokens a client may try per minute."
    )
    header_timeout_seconds: float = Field(
        default=10.0, gt=0, le=3600, description="A connection's request head must arrive by then."
    )
    keep_alive_seconds: float = Field(
        default=5.0, gt=0, le=3600, description="An idle kept-alive connection is closed after it."
    )
    cpu_workers: int = Field(
        default=2, ge=1, le=64, description="Threads for image checks, hashing and ffprobe."
    )

    # Scale-out: projects run by `vidpipe worker` processes from a PostgreSQL queue
    execution: Literal["inline", "queue"] = Field(
        default="inline",
        description="inline: runs in the CLI or API process; queue: in `vidpipe worker`s.",
    )
    worker_concurrency: int = Field(
        default=4, ge=1, le=64, description="Projects one `vidpipe worker` runs at once."
    )
    worker_heartbeat_seconds: float = Field(
        default=5.0, gt=0, description="How often a worker beats and looks for stalled jobs."
    )
    worker_stalled_seconds: float = Field(
        default=30.0,
        gt=0,
        description="A worker silent this long is dead: its jobs are retried by another worker.",
    )
    slot_lease_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Lease of a global provider slot; a dead holder's slot frees after it.",
    )

    @model_validator(mode="after")
    def _queue_needs_postgres(self) -> Settings:
        if self.execution == "queue" and not self.uses_postgres:
            raise ValueError(QUEUE_NEEDS_POSTGRES)
        return self

    @property
    def uses_postgres(self) -> bool:
        return self.effective_database_url.startswith("postgresql")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls),
        )

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'vidpipe.db'}"

    @property
    def projects_dir(self) -> Path:
        return self.data_dir / "projects"

    def masked(self) -> dict[str, Any]:
        """Settings for display: secrets masked, paths as strings."""
        shown: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "********" if value.get_secret_value() else ""
            elif isinstance(value, Path):
                value = str(value)
            shown[name] = value
        shown["database_url"] = _mask_url_password(self.effective_database_url)
        return shown


def _mask_url_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url
