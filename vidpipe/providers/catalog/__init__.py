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

    def get(self, provider: str, model_id: str) -> ModelEntry:
        entry = self.find(provider, model_id)
        if entry is None:
            hint = self.closest(model_id, provider=provider)
            also = f"; closest: {', '.join(hint)}" if hint else ""
            raise KeyError(f"no model {provider}:{model_id} in the catalog{also}")
        return entry

    def closest(
        self, model_id: str, *, provider: str | None = None, role: str | None = None, n: int = 3
    ) -> list[str]:
        """The known `provider:id` keys nearest to what the user typed."""
        pool = {e.key: e for e in self.entries(role=role, provider=provider)}
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
