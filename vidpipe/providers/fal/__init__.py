"""fal.ai: first/last-frame video models and image models through one key (fal's queue API).

The provider classes (and with them httpx) load when first named, so reading `SETTINGS` is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vidpipe.providers.fal.settings import FalSettings
from vidpipe.providers.lazy import lazy_classes

if TYPE_CHECKING:
    from vidpipe.providers.base import Provider
    from vidpipe.providers.fal.providers import FalImageProvider, FalVideoProvider

    PROVIDERS: list[type[Provider]]

SETTINGS = FalSettings
# class name → the submodule that defines it, in PROVIDERS order
__getattr__ = lazy_classes(
    __name__, {"FalImageProvider": "providers", "FalVideoProvider": "providers"}
)


__all__ = ["PROVIDERS", "SETTINGS", "FalImageProvider", "FalSettings", "FalVideoProvider"]
