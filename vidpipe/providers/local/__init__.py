"""The `local` provider: offline, free and deterministic, for all three roles.

A preview / animatic mode, not generative AI: a rule-based screenwriter, a procedural keyframe
painter and an optical-flow clip renderer, so the whole pipeline runs end to end on any machine.
"""

from vidpipe.providers.local.images import LocalImageProvider
from vidpipe.providers.local.screenwriter import LocalStoryboardProvider
from vidpipe.providers.local.video import LocalVideoProvider

PROVIDERS = [LocalStoryboardProvider, LocalImageProvider, LocalVideoProvider]

__all__ = ["PROVIDERS", "LocalImageProvider", "LocalStoryboardProvider", "LocalVideoProvider"]
