"""The `comfyui` provider: keyframes and clips from a ComfyUI server (VIDPIPE_COMFYUI_URL).

Shipped API-format workflow templates (text to image, image to image, Wan 2.1 first-last-frame
to video) live in `workflows/`; point the VIDPIPE_COMFYUI_*_WORKFLOW settings at your own.
The provider classes (and with them httpx and websockets) load when first named, so reading
`SETTINGS` is cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from vidpipe.providers.comfyui.settings import ComfyUISettings

if TYPE_CHECKING:
    from vidpipe.providers.base import Provider
    from vidpipe.providers.comfyui.providers import ComfyUIImageProvider, ComfyUIVideoProvider

    PROVIDERS: list[type[Provider]]

SETTINGS = ComfyUISettings
_CLASSES = ("ComfyUIImageProvider", "ComfyUIVideoProvider")  # in PROVIDERS order


def __getattr__(name: str) -> Any:
    if name == "PROVIDERS":
        return [__getattr__(cls) for cls in _CLASSES]
    if name in _CLASSES:
        return getattr(importlib.import_module(f"{__name__}.providers"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "PROVIDERS",
    "SETTINGS",
    "ComfyUIImageProvider",
    "ComfyUISettings",
    "ComfyUIVideoProvider",
]
