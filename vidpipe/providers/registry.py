"""Provider name → implementation. Built-ins load exactly like third-party plugins.

A plugin is a module (or object) with a `PROVIDERS` list of provider classes, registered under the
`vidpipe.providers` entry-point group. Set VIDPIPE_NO_PLUGINS=1 to skip entry points (tests do).
"""

from __future__ import annotations

import importlib
import os
from importlib.metadata import entry_points
from typing import TypeVar

from vidpipe.config import Settings
from vidpipe.errors import BadInputError
from vidpipe.providers.base import (
    ImageProvider,
    Provider,
    ProviderSet,
    Role,
    StoryboardProvider,
    VideoProvider,
)

P = TypeVar("P", bound=Provider)

ENTRY_POINT_GROUP = "vidpipe.providers"
DEFAULT_PROVIDER_MODULES: tuple[str, ...] = (
    "vidpipe.providers.local",
    "vidpipe.providers.sim",
    "vidpipe.providers.google",
    "vidpipe.providers.openai_compat",
    "vidpipe.providers.comfyui",
)


class ProviderRegistry:
    def __init__(self) -> None:
        self._by_role: dict[Role, dict[str, type[Provider]]] = {role: {} for role in Role}

    def register(self, provider_cls: type[Provider]) -> None:
        self._by_role[provider_cls.role][provider_cls.provider_id] = provider_cls

    def register_module(self, module: object) -> None:
        for provider_cls in getattr(module, "PROVIDERS", ()):
            self.register(provider_cls)

    def names(self, role: Role) -> list[str]:
        return sorted(self._by_role[role])

    def get(self, role: Role, name: str) -> type[Provider]:
        try:
            return self._by_role[role][name]
        except KeyError:
            known = ", ".join(self.names(role)) or "none"
            setting = f"VIDPIPE_{role.value.upper()}_PROVIDER"
            raise BadInputError(
                f"unknown {role.value} provider {name!r} (known: {known}); check {setting}"
            ) from None

    def build(self, settings: Settings, storyboard: str, image: str, video: str) -> ProviderSet:
        return ProviderSet(
            storyboard=_instance(
                self.get(Role.STORYBOARD, storyboard), settings, StoryboardProvider
            ),
            image=_instance(self.get(Role.IMAGE, image), settings, ImageProvider),
            video=_instance(self.get(Role.VIDEO, video), settings, VideoProvider),
        )


def _instance(cls: type[Provider], settings: Settings, expected: type[P]) -> P:
    provider = cls(settings)
    assert isinstance(provider, expected)
    return provider


def load_registry(*, plugins: bool | None = None) -> ProviderRegistry:
    registry = ProviderRegistry()
    for name in DEFAULT_PROVIDER_MODULES:
        registry.register_module(importlib.import_module(name))
    if plugins is None:
        plugins = not os.environ.get("VIDPIPE_NO_PLUGINS")
    if plugins:
        for entry_point in entry_points(group=ENTRY_POINT_GROUP):
            registry.register_module(entry_point.load())
    return registry
