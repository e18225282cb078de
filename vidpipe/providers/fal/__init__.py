"""fal.ai: first/last-frame video models and image models through one key (fal's queue API)."""

from vidpipe.providers.fal.providers import FalImageProvider, FalVideoProvider

PROVIDERS = [FalImageProvider, FalVideoProvider]
