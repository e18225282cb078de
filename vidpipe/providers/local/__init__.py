"""The `local` provider: offline, free and deterministic, for all three roles.

A preview / animatic mode, not generative AI: a rule-based screenwriter, a procedural keyframe
painter and an optical-flow clip renderer, so the whole pipeline runs end to end on any machine.
Importing this package is cheap: the painter and the clip renderer (NumPy, OpenCV, PyAV) load
when the first keyframe or clip is drawn (see `providers.py`).
"""

from vidpipe.providers.local.providers import LocalImageProvider, LocalVideoProvider
from vidpipe.providers.local.screenwriter import LocalStoryboardProvider

PROVIDERS = [LocalStoryboardProvider, LocalImageProvider, LocalVideoProvider]

__all__ = ["PROVIDERS", "LocalImageProvider", "LocalStoryboardProvider", "LocalVideoProvider"]
