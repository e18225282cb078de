"""The `local` provider: offline, free and deterministic, for all four roles.

A preview / animatic mode, not generative AI: a rule-based screenwriter, a procedural keyframe
painter, an optical-flow clip renderer and an eSpeak NG voice, so the whole pipeline runs end to
end on any machine. Importing this package is cheap: the painter and the clip renderer (NumPy,
OpenCV, PyAV) load when the first keyframe or clip is drawn (see `providers.py`), the voice when
the first line is spoken (`voice.py`).
"""

from vidpipe.providers.local.providers import LocalImageProvider, LocalVideoProvider
from vidpipe.providers.local.screenwriter import LocalStoryboardProvider
from vidpipe.providers.local.settings import LocalSettings
from vidpipe.providers.local.voice import LocalNarrationProvider

PROVIDERS = [
    LocalStoryboardProvider,
    LocalImageProvider,
    LocalVideoProvider,
    LocalNarrationProvider,
]
SETTINGS = LocalSettings

__all__ = [
    "PROVIDERS",
    "SETTINGS",
    "LocalImageProvider",
    "LocalNarrationProvider",
    "LocalSettings",
    "LocalStoryboardProvider",
    "LocalVideoProvider",
]
