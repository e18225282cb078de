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

    data_dir: Path = Field(
        default_factory=_default_data_dir, description="Projects and the SQLite database."
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL, e.g. `postgresql+asyncpg://user@host/db`; default: "
        "SQLite in the data directory.",
    )
    ffmpeg: str | None = Field(
        default=None,
        description="The ffmpeg used to stitch; default: `ffmpeg` on PATH, else imageio-ffmpeg's.",
    )
    storyboard_provider: str = Field(default="local", description="Storyboard (LLM) provider.")
    image_provider: str = Field(default="local", description="Keyframe provider.")
    video_provider: str = Field(default="local", description="Clip provider.")
    narration_provider: str = Field(
        default="local",
        description="Who speaks narration and dialogue lines (`local`: eSpeak NG, offline; `sim`).",
    )
    narration_voice: str = Field(
        default="",
        description="Voice name; empty: the provider's default; `local` takes eSpeak NG voices "
        "such as `en`, `en-us`, `de`.",
    )
    narration_speed: float = Field(
        default=1.0,
        ge=0.5,
        le=2.0,
        description="Speaking speed, 0.5–2.0; 1.0 is the voice's normal.",
    )

    google_base_url: str | None = Field(
        default=None, description="Replaces the Gemini API / Vertex AI endpoint; default: Google's."
    )
    google_api_key: SecretStr | None = Field(
        default=None, description="Gemini API key, or a Vertex AI express-mode key."
    )
    openai_base_url: str | None = Field(
        default=None,
        description="Any OpenAI-compatible endpoint (Ollama, vLLM, ...); default: "
        "`https://api.openai.com/v1`.",
    )
    openai_api_key: SecretStr | None = Field(
        default=None, description="Key for the OpenAI-compatible endpoint."
    )
    comfyui_url: str | None = Field(
        default=None, description="ComfyUI server, e.g. `http://127.0.0.1:8188`."
    )
    api_token: SecretStr | None = Field(
        default=None,
        description="Bearer token for the HTTP API; required to listen beyond loopback.",
    )

    local_audio: bool = Field(
        default=False, description="Local clips carry a synthesized ambient track."
    )
    sim_latency: dict[str, float] = Field(
        default_factory=lambda: {"storyboard": 0.5, "image": 0.2, "video": 2.0},
        description="Seconds per call of the `sim` benchmark provider, by role (JSON).",
    )
    sim_jitter: float = Field(
        default=0.2, ge=0, lt=1, description="± fraction of the sim video latency."
    )
    sim_poll_interval: float = Field(
        default=0.5,
        gt=0,
        description="How often `wait` polls a sim operation after its first poll.",
    )
    video_concurrency: int | None = Field(
        default=None,
        ge=1,
        le=256,
        description="Most clips in flight at once, across providers' own caps; default: the "
        "provider's cap.",
    )
    fps: int = Field(default=24, ge=1, le=120, description="Frames per second.")
    lease_seconds: float = Field(
        default=30.0, gt=0, description="How long a runner's lease lasts without a heartbeat."
    )
    heartbeat_seconds: float = Field(
        default=10.0, gt=0, description="How often a runner renews its lease."
    )
    host: str = Field(default="127.0.0.1", description="HTTP API address (`vidpipe serve --host`).")
    port: int = Field(default=8000, description="HTTP API port (`vidpipe serve --port`).")

    # providers
    google_vertexai: bool = Field(
        default=False,
        description="Use Vertex AI (needed for Veo) instead of the Gemini API.",
    )
    google_project: str | None = Field(default=None, description="Vertex AI project id.")
    google_location: str = Field(default="us-central1", description="Vertex AI region.")
    google_credentials_file: Path | None = Field(
        default=None,
        description="Vertex AI credentials JSON (service-account key, authorized user); default: "
        "application default credentials.",
    )
    # Today's GA models (vidpipe models): see docs/models.md.
    google_storyboard_model: str = Field(
        default="gemini-3.8-flash", description="Gemini model that writes storyboards."
    )
    google_image_model: str = Field(
        default="gemini-3.1-flash-image",
        description="Gemini image model: start frames, and end frames from the start image.",
    )
    google_image_edit_model: str = Field(
        default="imagen-3.0-capability-001",
        description="End frames when the image model is an Imagen model (every Imagen model was "
        "shut down 2026-08-17).",
    )
    google_video_model: str = Field(
        default="veo-3.1-generate-001",
        description="Clips: Veo 3.1 (Vertex AI) or `gemini-omni-1.1-flash` (Gemini API or Vertex "
        "AI).",
    )
    google_video_audio: bool = Field(
        default=True,
        description="Clips with a soundtrack where the model has one (Veo 3.x; also picks "
        "the price); Gemini Omni always has one.",
    )
    google_speech_model: str = Field(
        default="gemini-3.8-flash-lite-tts", description="Gemini speech model for narration."
    )
    google_voice: str = Field(default="Kore", description="Gemini prebuilt voice for narration.")
    openai_model: str = Field(
        default="gpt-4o-mini", description="Chat model that writes storyboards."
    )
    openai_json_mode: Literal["auto", "json_schema", "json_object"] = Field(
        default="auto",
        description="`json_schema`, `json_object`, or `auto` (schema, JSON mode if the server "
        "refuses schemas).",
    )
    openai_speech_model: str = Field(
        default="gpt-4o-mini-tts", description="Speech model (`/v1/audio/speech`) for narration."
    )
    openai_voice: str = Field(default="alloy", description="Voice for narration.")
    openai_vision: bool | None = Field(
        default=None,
        description="The model sees images: it describes reference images given without a "
        "description; unset: yes on api.openai.com, no elsewhere.",
    )
    comfyui_api_key: SecretStr | None = Field(
        default=None, description="Bearer token for a ComfyUI behind an authenticating proxy."
    )
    comfyui_text_to_image_workflow: Path | None = Field(
        default=None,
        description="Your own start-frame (text-to-image) workflow template; default: the shipped "
        "`text_to_image.json`.",
    )
    comfyui_image_to_image_workflow: Path | None = Field(
        default=None,
        description="Your own end-frame (image-to-image) workflow template; default: the shipped "
        "`image_to_image.json`.",
    )
    comfyui_video_workflow: Path | None = Field(
        default=None,
        description="Your own clip workflow template; default: the shipped "
        "`first_last_frame_to_video.json`.",
    )
    fal_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("fal_key", "VIDPIPE_FAL_KEY", "FAL_KEY"),
        description="fal.ai API key (`VIDPIPE_FAL_KEY`, or fal's own `FAL_KEY`).",
    )
    fal_base_url: str | None = Field(
        default=None,
        description="One root for fal's queue, run, storage and pricing hosts (tests, proxies); "
        "default: fal's own hosts.",
    )
    fal_video_model: str = Field(
        default="fal-ai/kling-video/v4/image-to-video",
        description="fal video model, a catalog id (docs/models.md).",
    )
    fal_image_model: str = Field(
        default="fal-ai/flux/schnell", description="fal text-to-image model for start frames."
    )
    fal_image_edit_model: str = Field(
        default="fal-ai/nano-banana/edit",
        description="fal image-edit model that draws end frames from the start image.",
    )
    fal_video_audio: bool = Field(
        default=False,
        description="fal clips with a soundtrack, where the model has one (costs more).",
    )
    prices: dict[str, float] = Field(
        default_factory=dict,
        description="USD price overrides (JSON), by model or `provider:role`, e.g. "
        '`{"google:video": 0.4}`; the model catalog (`vidpipe models`) otherwise.',
    )
    rate_limits: dict[str, float] = Field(
        default_factory=dict,
        description='Requests per minute (JSON) per provider role, e.g. `{"google:video": 10}`; '
        "default: per provider.",
    )
    provider_retries: int = Field(
        default=5, ge=0, le=20, description="Retries of 429 / 5xx / dropped connections."
    )
    provider_backoff_seconds: float = Field(
        default=1.0, ge=0, description="First retry delay of the exponential backoff (full jitter)."
    )
    provider_backoff_max_seconds: float = Field(
        default=30.0, ge=0, description="Longest retry delay."
    )
    provider_timeout_seconds: float = Field(
        default=120.0, gt=0, description="One HTTP request to a provider."
    )
    provider_submit_timeout_seconds: float = Field(
        default=120.0,
        gt=0,
        description="A request that starts paid work (a clip submission); its lost answer is "
        "never re-sent automatically.",
    )
    poll_first_seconds: float | None = Field(
        default=None,
        ge=0,
        description="First poll of a long-running operation; default: the model's typical latency.",
    )
    poll_interval_seconds: float = Field(default=1.5, gt=0, description="Later polls.")
    poll_quota_window_seconds: float = Field(
        default=300.0, ge=0, description="How long polling waits out quota errors."
    )
    operation_timeout_seconds: float = Field(
        default=1800.0, gt=0, description="A clip still running after this is marked `timed_out`."
    )

    # HTTP API
    api_max_runs: int = Field(
        default=2,
        ge=1,
        le=32,
        description="Projects the API server runs at once; more wait as `pending`.",
    )
    # HTTP server limits (docs/security.md)
    allowed_hosts: str = Field(
        default="",
        description="More `Host` names the server answers to, comma-separated (a proxy's name, "
        "`*.example.org`; `*`: any); loopback names and the bound address always; others get 400 "
        "(docs/security.md).",
    )
    trusted_proxies: str = Field(
        default="",
        description="Proxy addresses (IPs or networks, comma-separated) whose "
        "`X-Forwarded-Proto`/`X-Forwarded-For` are believed; empty: none.",
    )
    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        le=1 << 30,
        description="Largest JSON or form body (1 MiB); larger is 413, refused while reading.",
    )
    max_upload_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=1024,
        le=1 << 34,
        description="Largest multipart body (64 MiB): an upload, the New video form with its "
        "images.",
    )
    max_upload_parts: int = Field(
        default=80,
        ge=1,
        le=10_000,
        description="Most parts (files and fields) of one multipart body.",
    )
    session_hours: float = Field(
        default=12.0,
        gt=0,
        le=24 * 365,
        description="How long a web page login lasts (ended sooner by **Lock** or a restart).",
    )
    login_attempts: int = Field(
        default=10,
        ge=1,
        le=10_000,
        description="Wrong tokens one client may try per minute, at the login form and as the "
        "API's bearer header together; then 429 until the minute is over.",
    )
    header_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=3600,
        description="A connection must send a complete request head by then, or is closed.",
    )
    keep_alive_seconds: float = Field(
        default=5.0, gt=0, le=3600, description="An idle kept-alive connection is closed after it."
    )
    cpu_workers: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Threads that check uploaded images (decode, hash) and run ffprobe off the "
        "event loop.",
    )

    # Scale-out: projects run by `vidpipe worker` processes from a PostgreSQL queue
    execution: Literal["inline", "queue"] = Field(
        default="inline",
        description="`inline`: projects run in the CLI or API process; `queue`: in `vidpipe "
        "worker`s from a PostgreSQL queue (refused on SQLite).",
    )
    worker_concurrency: int = Field(
        default=4,
        ge=1,
        le=64,
        description="Projects one `vidpipe worker` runs at once (`--concurrency`).",
    )
    worker_heartbeat_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How often a worker beats and looks for jobs of dead workers.",
    )
    worker_stalled_seconds: float = Field(
        default=30.0,
        gt=0,
        description="A worker silent this long is dead; its jobs go to another worker.",
    )
    slot_lease_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Lease of a global provider slot (queue mode); a dead holder's slot frees "
        "after it.",
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
