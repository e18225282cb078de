"""Provider name → implementation, importing a provider's module only when it is used.

Built-ins are known by a static table (name → module, roles), so naming `local` never imports the
Google or OpenAI SDKs, and re-stitching a local project never imports the painter. A plugin is a
module (or object) with a `PROVIDERS` list of provider classes, registered under the
`vidpipe.providers` entry-point group; entry points are loaded only when a name is not a built-in
or when the known names are listed. A plugin cannot take a built-in's name. Set
VIDPIPE_NO_PLUGINS=1 to skip entry points (tests do).
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from vidpipe.config import Settings
from vidpipe.errors import BadInputError
from vidpipe.providers.base import (
    ImageProvider,
    NarrationProvider,
    Provider,
    ProviderSet,
    Role,
    StoryboardProvider,
    VideoProvider,
)

P = TypeVar("P", bound=Provider)

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "vidpipe.providers"
ALL_ROLES = (Role.STORYBOARD, Role.IMAGE, Role.VIDEO)


@dataclass(frozen=True)
class BuiltIn:
    """Where a built-in provider lives and which roles it fills (checked against the module by
    tests/unit/test_registry.py, so the table cannot drift)."""

    module: str
    roles: tuple[Role, ...]


BUILTIN_PROVIDERS: Mapping[str, BuiltIn] = {
    "local": BuiltIn("vidpipe.providers.local", (*ALL_ROLES, Role.NARRATION)),
    "sim": BuiltIn("vidpipe.providers.sim", (*ALL_ROLES, Role.NARRATION)),
    "google": BuiltIn("vidpipe.providers.google", (*ALL_ROLES, Role.NARRATION)),
    "openai": BuiltIn("vidpipe.providers.openai_compat", (Role.STORYBOARD, Role.NARRATION)),
    "comfyui": BuiltIn("vidpipe.providers.comfyui", (Role.IMAGE, Role.VIDEO)),
    "fal": BuiltIn("vidpipe.providers.fal", (Role.IMAGE, Role.VIDEO)),
}
DEFAULT_PROVIDER_MODULES: tuple[str, ...] = tuple(b.module for b in BUILTIN_PROVIDERS.values())


class ProviderRegistry:
    """Classes registered explicitly win; then built-ins (imported on first use); then plugins."""

    def __init__(
        self, builtins: Mapping[str, BuiltIn] | None = None, *, plugins: bool = False
    ) -> None:
        self._by_role: dict[Role, dict[str, type[Provider]]] = {role: {} for role in Role}
        self._builtins = dict(BUILTIN_PROVIDERS if builtins is None else builtins)
        self._imported: set[str] = set()
        self._plugins_pending = plugins
        self._lock = threading.RLock()  # the API server may build providers from threads

    def register(self, provider_cls: type[Provider]) -> None:
        self._by_role[provider_cls.role][provider_cls.provider_id] = provider_cls

    def register_module(self, module: object) -> None:
        for provider_cls in getattr(module, "PROVIDERS", ()):
            self.register(provider_cls)

    def names(self, role: Role) -> list[str]:
        """Every name that fills `role`: registered, built-in (not imported) and plugins."""
        self._load_plugins()
        builtin = {name for name, b in self._builtins.items() if role in b.roles}
        return sorted(set(self._by_role[role]) | builtin)

    def get(self, role: Role, name: str) -> type[Provider]:
        found = self._by_role[role].get(name)
        if found is None and name in self._builtins:
            self._import_builtin(name)
            found = self._by_role[role].get(name)
        if found is None and name not in self._builtins:
            self._load_plugins()
            found = self._by_role[role].get(name)
        if found is not None:
            return found
        known = ", ".join(self.names(role)) or "none"
        setting = f"VIDPIPE_{role.value.upper()}_PROVIDER"
        raise BadInputError(
            f"unknown {role.value} provider {name!r} (known: {known}); check {setting}"
        )

    def build(
        self,
        settings: Settings,
        storyboard: str,
        image: str,
        video: str,
        narration: str | None = None,
    ) -> ProviderSet:
        return ProviderSet(
            storyboard=_instance(
                self.get(Role.STORYBOARD, storyboard), settings, StoryboardProvider
            ),
            image=_instance(self.get(Role.IMAGE, image), settings, ImageProvider),
            video=_instance(self.get(Role.VIDEO, video), settings, VideoProvider),
            narration=self.narrator(settings, narration) if narration else None,
        )

    def narrator(self, settings: Settings, name: str) -> NarrationProvider:
        """The narration (speech) provider called `name`."""
        return _instance(self.get(Role.NARRATION, name), settings, NarrationProvider)

    def _import_builtin(self, name: str) -> None:
        with self._lock:
            if name in self._imported:
                return
            module = importlib.import_module(self._builtins[name].module)
            for provider_cls in getattr(module, "PROVIDERS", ()):
                # an explicitly registered class (a test's fake, say) keeps its place
                self._by_role[provider_cls.role].setdefault(provider_cls.provider_id, provider_cls)
            self._imported.add(name)

    def _load_plugins(self) -> None:
        with self._lock:
            if not self._plugins_pending:
                return
            self._plugins_pending = False
            from importlib.metadata import entry_points

            for entry_point in entry_points(group=ENTRY_POINT_GROUP):
                for provider_cls in getattr(entry_point.load(), "PROVIDERS", ()):
                    if provider_cls.provider_id in self._builtins:
                        log.warning(
                            "plugin %s: provider name %r is a built-in's; ignored",
                            entry_point.name,
                            provider_cls.provider_id,
                        )
                        continue
                    self.register(provider_cls)


def _instance(cls: type[Provider], settings: Settings, expected: type[P]) -> P:
    provider = cls(settings)
    assert isinstance(provider, expected)
    return provider


def load_registry(*, plugins: bool | None = None) -> ProviderRegistry:
    """The registry of built-ins and (unless VIDPIPE_NO_PLUGINS is set) plugins; cheap: nothing
    is imported until a provider is asked for by name."""
    if plugins is None:
        plugins = not os.environ.get("VIDPIPE_NO_PLUGINS")
    return ProviderRegistry(plugins=plugins)
