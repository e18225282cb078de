"""The `comfyui` provider: keyframes and clips from a ComfyUI server (VIDPIPE_COMFYUI_URL).

Shipped API-format workflow templates (text to image, image to image, Wan 2.1 first-last-frame
to video) live in `workflows/`; point the VIDPIPE_COMFYUI_*_WORKFLOW settings at your own.
The provider classes (and with them httpx and websockets) load when first named, so reading
`SETTINGS` is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vidpipe.providers.comfyui.settings import ComfyUISettings
from vidpipe.providers.lazy import lazy_classes

if TYPE_CHECKING:
    from vidpipe.providers.base import Provider
    from vidpipe.providers.comfyui.providers import ComfyUIImageProvider, ComfyUIVideoProvider

    PROVIDERS: list[type[Provider]]

SETTINGS = ComfyUISettings
# class name → the submodule that defines it, in PROVIDERS order
__getattr__ = lazy_classes(
    __name__, {"ComfyUIImageProvider": "providers", "ComfyUIVideoProvider": "providers"}
)


__all__ = [
    "PROVIDERS",
    "SETTINGS",
    "ComfyUIImageProvider",
    "ComfyUISettings",
    "ComfyUIVideoProvider",
]
