"""The model catalog: every model vidpipe can drive, as data.

One TOML file per provider sits beside this module (`google.toml`, `fal.toml`, …); each holds
`[[model]]` tables. Provider code reads capabilities, prices and request field names from here
instead of keeping its own tables, so `vidpipe models`, `GET /api/models`, the docs page and the
estimates all say the same thing.
"""

from __future__ import annotations

import difflib
import tomllib
from datetime import date
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from vidpipe.errors import BadInputError

CatalogRole = Literal["storyboard", "image", "video", "narration"]
ModelStatus = Literal["ga", "preview", "deprecated"]
PriceUnit = Literal["second", "image", "call", "million_characters", "million_tokens"]


class ModelEntry(BaseModel):
    """One model of one provider in one role."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    provider: str
    role: CatalogRole
    name: str = ""  # a human name, e.g. "Veo 3.1"
    status: ModelStatus = "ga"
    released: date | None = None
    shutdown: date | None = None  # deprecated models: the day the service stopped (or stops)
    replacement: str | None = None  # the id to use instead, same provider
    # Capabilities (video and image roles).
    start_frame: bool = False
    end_frame: bool = False
    references: int = 0  # how many reference images a request may carry
    native_audio: bool = False
    durations: tuple[float, ...] = ()  # seconds accepted; empty: any within min/max
    min_duration: float | None = None
    max_duration: float | None = None
    resolutions: tuple[str, ...] = ()
    aspect_ratios: tuple[str, ...] = ()
    # Price in USD per unit, with when and where it was read.
    price: float = 0.0
    price_with_audio: float | None = None  # video models that charge more for a soundtrack
    price_unit: PriceUnit = "call"
    price_date: date | None = None
    price_source: str = ""
    # Provider-specific request shape: field names and fixed values, read by the provider's code.
    request: dict[str, object] = Field(default_factory=dict)
    notes: str = ""

    @property
    def key(self) -> str:
        """`provider:id`, the form users type on the command line."""
        return f"{self.provider}:{self.id}"

    @property
    def deprecated(self) -> bool:
        return self.status == "deprecated"

    def is_shut_down(self, today: date | None = None) -> bool:
        """Deprecated and past its shutdown day (or with none given): requests fail."""
        if not self.deprecated:
            return False
        return self.shutdown is None or self.shutdown <= (today or date.today())

    def unit_price(self, *, with_audio: bool = False) -> float:
        if with_audio and self.native_audio and self.price_with_audio is not None:
            return self.price_with_audio
        return self.price


class Catalog:
    """All entries, looked up by provider and id; ids are unique within a provider."""

    def __init__(self, entries: list[ModelEntry]) -> None:
        self._entries = entries
        self._by_key: dict[tuple[str, str], ModelEntry] = {}
        for entry in entries:
            if (entry.provider, entry.id) in self._by_key:
                raise ValueError(f"model {entry.key} is in the catalog twice")
            self._by_key[(entry.provider, entry.id)] = entry

    def entries(self, *, role: str | None = None, provider: str | None = None) -> list[ModelEntry]:
        return [
            e
            for e in self._entries
            if (role is None or e.role == role) and (provider is None or e.provider == provider)
        ]

    def find(self, provider: str, model_id: str) -> ModelEntry | None:
        return self._by_key.get((provider, model_id))

    def providers(self) -> list[str]:
        return sorted({e.provider for e in self._entries})

    def get(self, provider: str, model_id: str) -> ModelEntry:
        entry = self.find(provider, model_id)
        if entry is None:
            hint = self.closest(model_id, provider=provider)
            also = f"; closest: {', '.join(hint)}" if hint else ""
            raise KeyError(f"no model {provider}:{model_id} in the catalog{also}")
        return entry

    def closest(
        self,
        model_id: str,
        *,
        provider: str | None = None,
        role: str | None = None,
        n: int = 3,
        live: bool = False,
    ) -> list[str]:
        """The known `provider:id` keys nearest to what the user typed (`live`: only models
        that are not shut down)."""
        pool = {
            e.key: e
            for e in self.entries(role=role, provider=provider)
            if not (live and e.is_shut_down())
        }
        typed = model_id if ":" in model_id or provider is None else f"{provider}:{model_id}"
        return difflib.get_close_matches(typed, list(pool), n=n, cutoff=0.4)


def _read_package_files() -> list[ModelEntry]:
    entries: list[ModelEntry] = []
    folder = resources.files(__name__)
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if not item.name.endswith(".toml"):
            continue
        data = tomllib.loads(item.read_text(encoding="utf-8"))
        for raw in data.get("model", []):
            entries.append(ModelEntry.model_validate(raw))
    return entries


@cache
def load_catalog() -> Catalog:
    """The catalog shipped in the package, read once per process."""
    return Catalog(_read_package_files())


# ---------------------------------------------------------------- the model a project uses

# Providers that take any model name their server serves (a local OpenAI-compatible server, the
# user's own ComfyUI workflows): an id missing from the catalog is not refused for them.
OPEN_PROVIDERS = frozenset({"openai", "comfyui"})

# The setting that names a provider's model in a role, where it is not `<provider>_<role>_model`.
_MODEL_SETTINGS: dict[tuple[str, str], str] = {("openai", "storyboard"): "openai_model"}


def model_setting(provider: str, role: str) -> str | None:
    """The setting holding the provider's model for `role`, by its name (`google_video_model`,
    the provider's own settings' `video_model`; None: the provider has no model to choose, e.g.
    `local`). Convention: `<provider>_<role>_model`."""
    from vidpipe.config import Settings

    name = _MODEL_SETTINGS.get((provider, role), f"{provider}_{role}_model")
    return name if Settings.has_setting(name) else None


def configured_model(settings: object, provider: str, role: str) -> str | None:
    """The model the settings choose for `provider` in `role`: its setting, else the catalog's
    only entry for that provider and role (providers without a model setting)."""
    from vidpipe.config import Settings

    name = model_setting(provider, role)
    if name is not None:
        return str(settings.get(name)) if isinstance(settings, Settings) else None
    entries = load_catalog().entries(role=role, provider=provider)
    return entries[0].id if len(entries) == 1 else None


class ModelChoice(BaseModel):
    """`PROVIDER:MODEL` as typed on the command line, the API or the page."""

    model_config = ConfigDict(frozen=True)

    provider: str
    model: str | None = None  # None: the provider's configured model

    @property
    def key(self) -> str:
        return f"{self.provider}:{self.model}" if self.model else self.provider


def parse_choice(text: str) -> ModelChoice:
    """`google:veo-3.1-generate-001` or just `local` (the provider's own model)."""
    text = text.strip()
    provider, _, model = text.partition(":")
    if not provider or (":" in text and not model.strip()):
        raise BadInputError(f"invalid model {text!r}: write PROVIDER:MODEL, e.g. google:{'…'}")
    return ModelChoice(provider=provider.strip(), model=model.strip() or None)


def check_model(
    provider: str, model: str | None, role: str, *, option: str | None = None
) -> ModelEntry | None:
    """Refuse (BadInputError, one line) a model that was shut down, that is not in the catalog,
    or that fills another role; return its entry (None for an open provider's own model name,
    or a plugin provider the catalog does not know)."""
    catalog = load_catalog()
    where = f"invalid {option}: " if option else ""
    listing = f"(vidpipe models --role {role})"
    if model is None or provider not in catalog.providers():
        return None
    entry = catalog.find(provider, model)
    if entry is None:
        if provider in OPEN_PROVIDERS:
            return None
        close = catalog.closest(model, provider=provider, role=role, live=True)
        close = close or catalog.closest(model, role=role, live=True)
        hint = f"; closest: {', '.join(close)}" if close else ""
        raise BadInputError(f"{where}unknown {role} model {provider}:{model}{hint} {listing}")
    if entry.role != role:
        close = catalog.closest(model, provider=provider, role=role, live=True)
        hint = f"; {role} models: {', '.join(close)}" if close else ""
        raise BadInputError(
            f"{where}{entry.key} is a{'n' if entry.role[0] in 'aeiou' else ''} {entry.role} "
            f"model, not a{'n' if role[0] in 'aeiou' else ''} {role} model{hint} {listing}"
        )
    if entry.is_shut_down():
        raise BadInputError(where + shutdown_line(entry))
    return entry


def shutdown_line(entry: ModelEntry) -> str:
    """One line: which model is (or will be) shut down, when, and what to use instead."""
    when = f" on {entry.shutdown.isoformat()}" if entry.shutdown else ""
    verb = "shuts down" if entry.shutdown and entry.shutdown > date.today() else "was shut down"
    instead = f"; use {entry.provider}:{entry.replacement}" if entry.replacement else ""
    return f"{entry.key} {verb}{when}{instead} (vidpipe models --role {entry.role})"


def catalog_price(
    settings: object,
    provider: str,
    role: str,
    model: str | None,
    default: float = 0.0,
    *,
    with_audio: bool = False,
) -> float:
    """USD per unit: a `prices` override (model id, then "provider:role"), else the catalog's
    price, else `default`."""
    overrides: dict[str, float] = getattr(settings, "prices", {}) or {}
    for key in (model, f"{provider}:{role}"):
        if key and key in overrides:
            return float(overrides[key])
    entry = load_catalog().find(provider, model) if model else None
    if entry is None:
        return default
    return entry.unit_price(with_audio=with_audio)


def model_key_of(provider: object) -> str:
    """`provider:model` of the provider that made a take (as `takes` shows it)."""
    provider_id = str(getattr(provider, "provider_id", "?"))
    options = getattr(provider, "options", None)
    model = getattr(options, "model", None) if options is not None else None
    if not (isinstance(model, str) and model):
        role = getattr(getattr(provider, "role", None), "value", "video")
        model = configured_model(getattr(provider, "settings", None), provider_id, role)
    return f"{provider_id}:{model}" if model else provider_id


# ---------------------------------------------------------------- listing (CLI, API, docs)


def price_text(entry: ModelEntry) -> str:
    """`$0.40/s with audio, $0.20/s without`, `$0.067/image`, `free`."""
    unit = {"second": "s", "image": "image", "call": "call"}.get(entry.price_unit, entry.price_unit)
    if entry.price == 0 and not entry.price_with_audio:
        return "free"
    text = f"${entry.price:g}/{unit}"
    if entry.price_with_audio is not None and entry.price_with_audio != entry.price:
        text = f"${entry.price_with_audio:g}/{unit} with audio, {text} without"
    return text


def status_text(entry: ModelEntry) -> str:
    if entry.deprecated:  # no "today" in it: the docs page must not change by itself
        when = f", shutdown {entry.shutdown.isoformat()}" if entry.shutdown else ""
        instead = f" → {entry.replacement}" if entry.replacement else ""
        return f"deprecated{when}{instead}"
    return entry.status


def capabilities_text(entry: ModelEntry) -> str:
    """Frames, references, audio, durations, resolutions, aspect ratios, in a few words."""
    parts: list[str] = []
    frames = [name for name, on in (("first", entry.start_frame), ("last", entry.end_frame)) if on]
    if frames and entry.role == "video":
        parts.append(" + ".join(frames) + " frame")
    if entry.references:
        parts.append(f"{entry.references} references")
    if entry.native_audio:
        parts.append("audio")
    if entry.durations:
        parts.append(",".join(f"{d:g}" for d in entry.durations) + " s")
    elif entry.min_duration is not None and entry.max_duration is not None:
        parts.append(f"{entry.min_duration:g}–{entry.max_duration:g} s")
    if entry.resolutions:
        parts.append("/".join(entry.resolutions))
    if entry.aspect_ratios and entry.role == "video":
        parts.append(" ".join(entry.aspect_ratios))
    return "; ".join(parts)


DOCS_HEADER = """# Models

Every model vidpipe can drive, from the catalog shipped in the package
(`vidpipe/providers/catalog/*.toml`). Generated by `python -m vidpipe.providers.catalog` — do
not edit by hand; `tests/unit/test_docs.py` checks that it matches the catalog.

Choose a model per video with `vidpipe generate --storyboard-model/--image-model/--video-model
PROVIDER:MODEL` (or the settings below for every video), per take with `vidpipe redo --scene N
--clip --model PROVIDER:MODEL`. `vidpipe models [--role video] [--provider google] [--json]` and
`GET /api/models` list the same entries. Prices are list prices in USD on the date shown; the
`prices` setting (`VIDPIPE_PRICES`) overrides any of them. A shut-down model is refused by
`generate` with the one to use instead; `vidpipe doctor` asks each provider which models your
key can use.
"""


def markdown(catalog: Catalog | None = None) -> str:
    """docs/models.md: one table per role, then each model's sources."""
    catalog = catalog or load_catalog()
    lines = [DOCS_HEADER]
    for role in ("storyboard", "image", "video", "narration"):
        entries = catalog.entries(role=role)
        if not entries:
            continue
        lines += [
            f"## {role.capitalize()}",
            "",
            "| model | name | status | price | capabilities |",
            "|---|---|---|---|---|",
        ]
        for e in sorted(entries, key=lambda e: (e.provider, e.deprecated, e.id)):
            cells = [f"`{e.key}`", e.name, status_text(e), price_text(e), capabilities_text(e)]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        lines.append("")
    lines += ["## Sources", ""]
    for e in catalog.entries():
        if e.price_source or e.notes:
            when = f" ({e.price_date.isoformat()})" if e.price_date else ""
            note = f" {e.notes}" if e.notes else ""
            lines.append(f"- `{e.key}`: {e.price_source}{when}.{note}".replace(".. ", ". "))
    return "\n".join(lines).rstrip() + "\n"
