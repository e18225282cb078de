"""One Settings object, built once at the edge (CLI, server) and passed down.

Precedence: explicit values (CLI flags) > VIDPIPE_* environment > vidpipe.toml > defaults.

The core settings are fields of `Settings`. Each provider declares its own part, a
`ProviderSettings` subclass beside its code (`vidpipe/providers/google/settings.py`), listed in
the provider registry (a plugin lists it as `SETTINGS` beside `PROVIDERS`). A part's field
`api_key` of provider `google` is the setting `google_api_key`: read from VIDPIPE_GOOGLE_API_KEY
and from `api_key` in the `[google]` table of vidpipe.toml (the flat key `google_api_key` is
accepted too), and shown under that name by `config show`, `doctor` and the generated docs. Code
reads it as `settings.provider(GoogleSettings).api_key`. A key vidpipe.toml has that no setting
has is refused, naming the closest one.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, NoReturn, Self, TypeVar, overload

from pydantic import (
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from vidpipe.errors import BadInputError

QUEUE_NEEDS_POSTGRES = (
    "VIDPIPE_EXECUTION=queue needs PostgreSQL: set VIDPIPE_DATABASE_URL to a "
    "postgresql+asyncpg:// URL (SQLite runs projects in-process: VIDPIPE_EXECUTION=inline)"
)
TOML_FILE = "vidpipe.toml"  # in the working directory
ENV_PREFIX = "VIDPIPE_"
# VIDPIPE_* variables that are not settings: read by the registry, or by the test suite
NOT_SETTINGS = ("no_plugins",)
NOT_SETTINGS_PREFIXES = ("test_",)


class UnknownSettingError(BadInputError):
    """vidpipe.toml names a setting vidpipe does not have; nothing was written."""


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "vidpipe"


# ---------------------------------------------------------------- vidpipe.toml


@dataclass(frozen=True)
class SettingsFile:
    """vidpipe.toml as read once by the Settings being built (empty when there is none)."""

    path: Path
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> SettingsFile:
        try:
            text = path.read_text(encoding="utf-8") if path.is_file() else ""
            return cls(path, tomllib.loads(text))
        except tomllib.TOMLDecodeError as exc:
            raise BadInputError(f"{path}: not valid TOML: {exc}") from None
        except OSError as exc:
            raise BadInputError(f"{path}: cannot be read: {exc.strerror}") from None

    def core_values(self) -> dict[str, Any]:
        return {k: v for k, v in self.data.items() if k in Settings.model_fields}

    def values_for(self, part: type[ProviderSettings]) -> dict[str, Any]:
        """A provider's values: its flat keys (`google_api_key`), then its table (`[google]`)."""
        prefix = part.flat_prefix()
        values = {
            k.removeprefix(prefix): v
            for k, v in self.data.items()
            if k.startswith(prefix) and k.removeprefix(prefix) in part.model_fields
        }
        table = self.data.get(part.provider_id)
        if isinstance(table, dict):
            values.update(table)
        return values

    def mentions(self, name: str) -> bool:
        """Whether the file sets the setting `name` (flat, or in its provider's table)."""
        if name in self.data:
            return True
        found = _resolve(name)
        if found is None:
            return False
        table = self.data.get(found[0].provider_id)
        return isinstance(table, dict) and found[1] in table

    def check(self) -> None:
        """Refuse (UnknownSettingError, one line) the first key no setting has."""
        for key, value in self.data.items():
            if key in Settings.model_fields or _resolve(key) is not None:
                continue
            part = _part_class(key)
            if part is None:
                self._refuse(key, known_setting_names(tables=True))
            elif not isinstance(value, dict):
                raise UnknownSettingError(
                    f"{self.path}: {key} is the {key} provider's table: write [{key}]"
                )
            else:
                for sub in value:
                    if sub not in part.model_fields:
                        self._refuse(f"{key}.{sub}", [f"{key}.{f}" for f in part.model_fields])

    def _refuse(self, key: str, known: Iterable[str]) -> NoReturn:
        close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else " (vidpipe config show lists them)"
        raise UnknownSettingError(f"{self.path}: unknown setting {key!r}{hint}")


# The file the Settings under construction read: its provider parts take their values from the
# same reading (not from whatever the working directory holds when a part is first built).
_READING: ContextVar[SettingsFile | None] = ContextVar("vidpipe_settings_file", default=None)


def _current_file() -> SettingsFile:
    return _READING.get() or SettingsFile.read(Path(TOML_FILE))


# ---------------------------------------------------------------- a provider's own settings


class ProviderSettings(BaseSettings):
    """Base of a provider's own settings. Subclass it beside the provider, set `provider_id`,
    declare fields; field `x` of provider `acme` is the setting `acme_x` (VIDPIPE_ACME_X, `x`
    in the `[acme]` table of vidpipe.toml). Built-ins are listed in the registry's table; a
    plugin module lists its class as `SETTINGS`. The provider reads it with
    `settings.provider(AcmeSettings)`."""

    provider_id: ClassVar[str] = ""

    model_config = SettingsConfigDict(
        extra="forbid", validate_default=True, validate_by_name=True, validate_by_alias=True
    )

    @classmethod
    def flat_prefix(cls) -> str:
        """`google_`: the prefix of this provider's setting names."""
        return cls.provider_id.replace("-", "_") + "_"

    @classmethod
    def env_prefix(cls) -> str:
        """`VIDPIPE_GOOGLE_`: the prefix of this provider's environment variables."""
        return ENV_PREFIX + cls.flat_prefix().upper()

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
            EnvSettingsSource(settings_cls, env_prefix=cls.env_prefix()),
            InitSettingsSource(settings_cls, init_kwargs=_current_file().values_for(cls)),
        )

    def shown(self) -> dict[str, Any]:
        """The values by setting name (`google_api_key`), secrets masked, paths as strings."""
        prefix = self.flat_prefix()
        return {prefix + name: _shown(getattr(self, name)) for name in type(self).model_fields}


PS = TypeVar("PS", bound=ProviderSettings)


def _part_class(name: str) -> type[ProviderSettings] | None:
    """The settings class of provider `name` (built-ins, then plugins), from the registry."""
    # the registry is the one list of providers; imported here, not above, because it imports
    # this module (it builds providers from Settings)
    from vidpipe.providers.registry import provider_settings_class

    return provider_settings_class(name)


def _part_classes() -> list[type[ProviderSettings]]:
    from vidpipe.providers.registry import provider_settings_classes

    return provider_settings_classes()


def _resolve(name: str) -> tuple[type[ProviderSettings], str] | None:
    """`google_api_key` → (GoogleSettings, "api_key"); None when no provider has it."""
    if name in Settings.model_fields or "_" not in name:
        return None
    head = name.split("_", 1)[0]
    candidates = [head]  # the usual case, without listing every provider
    part = _part_class(head)
    if part is None or name.removeprefix(part.flat_prefix()) not in part.model_fields:
        candidates = [p.provider_id for p in _part_classes()]
    for provider in candidates:
        part = _part_class(provider)
        if part is not None and name.startswith(part.flat_prefix()):
            rest = name.removeprefix(part.flat_prefix())
            if rest in part.model_fields:
                return part, rest
    return None


def known_setting_names(*, tables: bool = False) -> list[str]:
    """Every setting name (core and providers'); with `tables`, the provider tables too."""
    names = list(Settings.model_fields)
    for part in _part_classes():
        names += [part.flat_prefix() + f for f in part.model_fields]
        if tables:
            names.append(part.provider_id)
    return names


def unknown_environment(environ: Mapping[str, str] | None = None) -> list[str]:
    """One warning line per VIDPIPE_* variable that no setting reads, naming the closest."""
    lines = []
    for variable in sorted(os.environ if environ is None else environ):
        if not variable.upper().startswith(ENV_PREFIX):
            continue
        name = variable[len(ENV_PREFIX) :].lower()
        if (
            name in Settings.model_fields
            or name in NOT_SETTINGS
            or name.startswith(NOT_SETTINGS_PREFIXES)
            or _resolve(name) is not None
        ):
            continue
        close = difflib.get_close_matches(name, known_setting_names(), n=1, cutoff=0.6)
        hint = f"; did you mean {ENV_PREFIX}{close[0].upper()}?" if close else ""
        lines.append(f"{variable} is not a vidpipe setting{hint}")
    return lines


def _shown(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return "********" if value.get_secret_value() else ""
    if isinstance(value, Path):
        return str(value)
    return value


def _one_line(error: ValidationError, part: type[ProviderSettings]) -> str:
    first = error.errors()[0]
    loc = str(first["loc"][0]) if first["loc"] else ""
    name = loc.upper() if loc.upper().startswith(ENV_PREFIX) else part.env_prefix() + loc.upper()
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"invalid {name}: {message}"


# ---------------------------------------------------------------- the one Settings object


class Settings(BaseSettings):
    """Effective configuration. Field names map to VIDPIPE_<NAME> variables; each provider's
    part is `provider(ItsSettings)`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="forbid",
        validate_default=True,
    )

    # provider id → its part, built on first use (reading a project needs none of them)
    _parts: dict[str, ProviderSettings] = PrivateAttr(default_factory=dict)
    # provider id → values given explicitly for it (keyword arguments, model_copy updates)
    _explicit: dict[str, dict[str, Any]] = PrivateAttr(default_factory=dict)
    _file: SettingsFile = PrivateAttr(default_factory=lambda: SettingsFile(Path(TOML_FILE)))

    def __init__(self, **values: Any) -> None:
        """Core fields by name; a provider's part as `google={...}` (or a GoogleSettings), or by
        setting name (`google_api_key=...`)."""
        file = SettingsFile.read(Path(TOML_FILE))
        file.check()
        core, parts = _split(values)
        token = _READING.set(file)
        try:
            super().__init__(**core)
        finally:
            _READING.reset(token)
        self._file = file
        for name, given in parts.items():
            if isinstance(given, ProviderSettings):
                self._parts[name] = given
            else:
                self._explicit[name] = given

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

    api_token: SecretStr | None = Field(
        default=None,
        description="Bearer token for the HTTP API; required to listen beyond loopback.",
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
        description="How long a web page login lasts (ended sooner by **Lock** or a new token).",
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

    @field_validator("data_dir")
    @classmethod
    def _data_dir_is_a_folder(cls, value: Path) -> Path:
        """A file named as the data directory is refused at once (it read as "no projects
        yet", and `generate` crashed making the database's folder)."""
        if value.exists() and not value.is_dir():
            raise ValueError(f"{value} is a file, not a folder")
        return value

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
            InitSettingsSource(settings_cls, init_kwargs=_current_file().core_values()),
        )

    @overload
    def provider(self, which: type[PS]) -> PS: ...

    @overload
    def provider(self, which: str) -> ProviderSettings: ...

    def provider(self, which: type[PS] | str) -> PS | ProviderSettings:
        """A provider's own settings, by class (typed) or by provider id; BadInputError when a
        value in the environment or vidpipe.toml is invalid for it."""
        name = which if isinstance(which, str) else which.provider_id
        part = self._parts.get(name)
        if part is None:
            cls = _part_class(name) if isinstance(which, str) else which
            if cls is None:
                raise BadInputError(f"no provider {name!r} has settings")
            token = _READING.set(self._file)
            try:
                part = cls(**self._explicit.get(name, {}))
            except ValidationError as exc:
                raise BadInputError(_one_line(exc, cls)) from None
            finally:
                _READING.reset(token)
            self._parts[name] = part
        return part

    def get(self, name: str, default: Any = None) -> Any:
        """A setting by its name (`fps`, `google_api_key`); `default` when there is none."""
        if name in type(self).model_fields:
            return getattr(self, name)
        found = _resolve(name)
        if found is None:
            return default
        return getattr(self.provider(found[0]), found[1])

    @classmethod
    def has_setting(cls, name: str) -> bool:
        """Whether `name` is a setting (core, or a provider's: `google_video_model`)."""
        return name in cls.model_fields or _resolve(name) is not None

    def is_set(self, name: str) -> bool:
        """Whether the setting `name` was given (flag, environment, file) or is its default."""
        if name in type(self).model_fields:
            return name in self.model_fields_set
        found = _resolve(name)
        return found is not None and found[1] in self.provider(found[0]).model_fields_set

    @property
    def file(self) -> SettingsFile:
        """The vidpipe.toml these settings read."""
        return self._file

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy with `update`, whose keys may also name provider settings (`google_api_key`,
        or `google={...}`); like pydantic's, the new values are not validated."""
        core, parts = _split(update or {})
        unknown = [k for k in core if k not in type(self).model_fields]
        if unknown:
            raise ValueError(f"unknown setting {unknown[0]!r}")
        copied = super().model_copy(update=core, deep=deep)
        copied._parts = dict(self._parts)
        copied._explicit = {name: dict(values) for name, values in self._explicit.items()}
        for name, given in parts.items():
            if isinstance(given, ProviderSettings):
                copied._parts[name] = given
            else:
                copied._parts[name] = self.provider(name).model_copy(update=given)
        return copied

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'vidpipe.db'}"

    @property
    def projects_dir(self) -> Path:
        return self.data_dir / "projects"

    def masked(self) -> dict[str, Any]:
        """Settings for display, by setting name: secrets masked, paths as strings; the core
        settings, then each provider's (built-ins, then plugins)."""
        shown = {name: _shown(getattr(self, name)) for name in type(self).model_fields}
        shown["database_url"] = _mask_url_password(self.effective_database_url)
        for part in _part_classes():
            shown |= self.provider(part).shown()
        return shown


def _split(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Explicit values → (core fields and unknown names, provider id → its values or part)."""
    core: dict[str, Any] = {}
    parts: dict[str, Any] = {}
    for key, value in values.items():
        if key in Settings.model_fields:
            core[key] = value
        elif (found := _resolve(key)) is not None:
            given = parts.setdefault(found[0].provider_id, {})
            if isinstance(given, dict):
                given[found[1]] = value
        elif _part_class(key) is not None:
            if isinstance(value, ProviderSettings):
                parts[key] = value
            else:
                parts[key] = {**parts.get(key, {}), **dict(value)}
        else:
            core[key] = value  # refused by validation, naming it
    return core, parts


def _mask_url_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url
