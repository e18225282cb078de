"""fal.ai: first/last-frame video models and image models through one key (fal's queue API).

The provider classes (and with them httpx) load when first named, so reading `SETTINGS` is cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from vidpipe.providers.fal.settings import FalSettings

if TYPE_CHECKING:
    from vidpipe.providers.base import Provider
    from vidpipe.providers.fal.providers import FalImageProvider, FalVideoProvider

    PROVIDERS: list[type[Provider]]

SETTINGS = FalSettings
_CLASSES = ("FalImageProvider", "FalVideoProvider")  # in PROVIDERS order


def __getattr__(name: str) -> Any:
    if name == "PROVIDERS":
        return [__getattr__(cls) for cls in _CLASSES]
    if name in _CLASSES:
        return getattr(importlib.import_module(f"{__name__}.providers"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["PROVIDERS", "SETTINGS", "FalImageProvider", "FalSettings", "FalVideoProvider"]
