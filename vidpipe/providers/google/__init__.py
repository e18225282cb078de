"""The `google` provider: Gemini storyboards, Gemini image / Imagen keyframes, Veo clips, Gemini
speech (narration).

Through the google-genai SDK, in Gemini API key mode or Vertex AI mode; see docs/providers.md.
The provider classes (and with them the SDK) load when first named, so reading `SETTINGS` is
cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vidpipe.providers.google.settings import GoogleSettings
from vidpipe.providers.lazy import lazy_classes

if TYPE_CHECKING:
    from vidpipe.providers.base import Provider
    from vidpipe.providers.google.images import GoogleImageProvider
    from vidpipe.providers.google.speech import GoogleSpeechProvider
    from vidpipe.providers.google.storyboard import GoogleStoryboardProvider
    from vidpipe.providers.google.video import GoogleVideoProvider

    PROVIDERS: list[type[Provider]]

SETTINGS = GoogleSettings

# class name → the submodule that defines it, in PROVIDERS order
__getattr__ = lazy_classes(
    __name__,
    {
        "GoogleStoryboardProvider": "storyboard",
        "GoogleImageProvider": "images",
        "GoogleVideoProvider": "video",
        "GoogleSpeechProvider": "speech",
    },
)


__all__ = [
    "PROVIDERS",
    "SETTINGS",
    "GoogleImageProvider",
    "GoogleSettings",
    "GoogleSpeechProvider",
    "GoogleStoryboardProvider",
    "GoogleVideoProvider",
]
