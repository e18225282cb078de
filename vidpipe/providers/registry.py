"""Provider name → implementation, importing a provider's module only when it is used.

Built-ins are known by a static table (name → module, roles), so naming `local` never imports the
Google or OpenAI SDKs, and re-stitching a local project never imports the painter. A plugin is a
module (or object) with a `PROVIDERS` list of provider classes, registered under the
`vidpipe.providers` entry-point group; entry points are loaded only when a name is not a built-in
or when the known names are listed. A plugin cannot take a built-in's name. Set
VIDPIPE_NO_PLUGINS=1 to skip entry points (tests do).

Each provider's own settings class (a `vidpipe.config.ProviderSettings`) is listed the same way:
built-ins in the table (a light module, so reading settings imports no SDK), a plugin as the
`SETTINGS` attribute of its module.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from vidpipe.config import ProviderSettings, Settings
from vidpipe.errors import UnknownProviderError
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
    settings: str | None = None  # "module:Class" of its ProviderSettings

    def settings_class(self) -> type[ProviderSettings] | None:
        if self.settings is None:
            return None
        module, _, name = self.settings.partition(":")
        found: type[ProviderSettings] = getattr(importlib.import_module(module), name)
        return found


BUILTIN_PROVIDERS: Mapping[str, BuiltIn] = {
    "local": BuiltIn(
        "vidpipe.providers.local",
        (*ALL_ROLES, Role.NARRATION),
        "vidpipe.providers.local.settings:LocalSettings",
    ),
    "sim": BuiltIn(
        "vidpipe.providers.sim",
        (*ALL_ROLES, Role.NARRATION),
        "vidpipe.providers.sim_settings:SimSettings",
    ),
    "google": BuiltIn(
        "vidpipe.providers.google",
        (*ALL_ROLES, Role.NARRATION),
        "vidpipe.providers.google.settings:GoogleSettings",
    ),
    "openai": BuiltIn(
        "vidpipe.providers.openai_compat",
        (Role.STORYBOARD, Role.NARRATION),
        "vidpipe.providers.openai_settings:OpenAISettings",
    ),
    "comfyui": BuiltIn(
        "vidpipe.providers.comfyui",
        (Role.IMAGE, Role.VIDEO),
        "vidpipe.providers.comfyui.settings:ComfyUISettings",
    ),
    "fal": BuiltIn(
        "vidpipe.providers.fal",
        (Role.IMAGE, Role.VIDEO),
        "vidpipe.providers.fal.settings:FalSettings",
    ),
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
        raise self._unknown(role, name, f"check VIDPIPE_{role.value.upper()}_PROVIDER")

    def check_known(self, role: Role, name: str, *, field: str | None = None) -> None:
        """A name that fills `role` (nothing is imported); refused as `field` otherwise, without
        the setting `get` names (a name a user chose is that choice's problem)."""
        if name not in self.names(role):
            raise self._unknown(role, name, None, field=field)

    def _unknown(
        self, role: Role, name: str, hint: str | None, *, field: str | None = None
    ) -> UnknownProviderError:
        known = ", ".join(self.names(role)) or "none"
        return UnknownProviderError(role.value, name, known, hint, field=field)

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


def plugins_enabled() -> bool:
    return not os.environ.get("VIDPIPE_NO_PLUGINS")


def provider_settings_class(name: str) -> type[ProviderSettings] | None:
    """The settings class of provider `name`: a built-in's from the table, else a plugin's
    `SETTINGS` (entry points are read only for a name that is not a built-in)."""
    builtin = BUILTIN_PROVIDERS.get(name)
    if builtin is not None:
        return builtin.settings_class()
    return _plugin_settings().get(name)


def provider_settings_classes() -> list[type[ProviderSettings]]:
    """Every provider's settings class: the built-ins in table order, then plugins'."""
    found = [cls for b in BUILTIN_PROVIDERS.values() if (cls := b.settings_class()) is not None]
    return found + list(_plugin_settings().values())


def _plugin_settings() -> dict[str, type[ProviderSettings]]:
    if not plugins_enabled():
        return {}
    from importlib.metadata import entry_points

    found: dict[str, type[ProviderSettings]] = {}
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        declared = getattr(entry_point.load(), "SETTINGS", None)
        for cls in declared if isinstance(declared, list | tuple) else [declared]:
            if isinstance(cls, type) and issubclass(cls, ProviderSettings):
                if cls.provider_id in BUILTIN_PROVIDERS:
                    continue  # a plugin cannot take a built-in's name (nor its settings)
                found[cls.provider_id] = cls
    return found


def load_registry(*, plugins: bool | None = None) -> ProviderRegistry:
    """The registry of built-ins and (unless VIDPIPE_NO_PLUGINS is set) plugins; cheap: nothing
    is imported until a provider is asked for by name."""
    if plugins is None:
        plugins = plugins_enabled()
    return ProviderRegistry(plugins=plugins)
