"""One Settings object, built once at the edge (CLI, server) and passed down.

Precedence: explicit values (CLI flags) > VIDPIPE_* environment > vidpipe.toml > defaults.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
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

    google_base_url: str | None = None
    google_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_api_key: SecretStr | None = None
    comfyui_url: str | None = None
    api_token: SecretStr | None = None

    local_audio: bool = Field(default=False, description="Local clips carry an ambient track.")
    video_concurrency: int | None = Field(
        default=None, ge=1, le=256, description="Clips at once; default: the provider's own cap."
    )
    fps: int = Field(default=24, ge=1, le=120)
    lease_seconds: float = Field(default=30.0, gt=0, description="Runner lease length.")
    heartbeat_seconds: float = Field(default=10.0, gt=0, description="Lease renewal interval.")
    host: str = "127.0.0.1"
    port: int = 8000

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
