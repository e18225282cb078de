"""The `google` provider: Gemini storyboards, Gemini image / Imagen keyframes, Veo clips, Gemini
speech (narration).

Through the google-genai SDK, in Gemini API key mode or Vertex AI mode; see docs/providers.md.
The provider classes (and with them the SDK) load when first named, so reading `SETTINGS` is
cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from vidpipe.providers.google.settings import GoogleSettings

if TYPE_CHECKING:
    from vidpipe.providers.base import Provider
    from vidpipe.providers.google.images import GoogleImageProvider
    from vidpipe.providers.google.speech import GoogleSpeechProvider
    from vidpipe.providers.google.storyboard import GoogleStoryboardProvider
    from vidpipe.providers.google.video import GoogleVideoProvider

    PROVIDERS: list[type[Provider]]

SETTINGS = GoogleSettings

# class name → the submodule that defines it, in PROVIDERS order
_CLASSES = {
    "GoogleStoryboardProvider": "storyboard",
    "GoogleImageProvider": "images",
    "GoogleVideoProvider": "video",
    "GoogleSpeechProvider": "speech",
}


def __getattr__(name: str) -> Any:
    if name == "PROVIDERS":
        return [__getattr__(cls) for cls in _CLASSES]
    if name in _CLASSES:
        return getattr(importlib.import_module(f"{__name__}.{_CLASSES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "PROVIDERS",
    "SETTINGS",
    "GoogleImageProvider",
    "GoogleSettings",
    "GoogleSpeechProvider",
    "GoogleStoryboardProvider",
    "GoogleVideoProvider",
]
