"""Providers known only by their catalog entry: priced and checked, never run.

An estimate of a model that cannot be built here (its key is not set, say) must still say what
it would cost: a user choosing a paid model is never told it is free. These stand-ins carry the
catalog's capabilities and price (with the `prices` overrides) and refuse to make anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from vidpipe.config import Settings
from vidpipe.providers.base import (
    ASPECT_RATIOS,
    RESOLUTIONS,
    Capabilities,
    ImageProvider,
    ImageRequest,
    ProgressFn,
    Provider,
    Role,
    Storyboard,
    StoryboardProvider,
    StoryboardRequest,
    VideoProvider,
    VideoRequest,
    VideoResult,
)
from vidpipe.providers.catalog import ModelEntry, catalog_price


def capabilities_of(entry: ModelEntry, *, concurrency: int = 4) -> Capabilities:
    """What the catalog says a model takes, as the checks before a call read it."""
    durations = tuple(float(d) for d in entry.durations) or None
    low = entry.min_duration or (min(durations) if durations else 1.0)
    high = entry.max_duration or (max(durations) if durations else 10.0)
    aspect = tuple(a for a in entry.aspect_ratios if a in ASPECT_RATIOS) or ASPECT_RATIOS
    resolutions = tuple(r for r in entry.resolutions if r in RESOLUTIONS) or tuple(RESOLUTIONS)
    return Capabilities(
        min_duration=low,
        max_duration=high,
        durations=durations,
        aspect_ratios=aspect,
        resolutions=resolutions,
        supports_audio=entry.native_audio,
        max_concurrency=concurrency,
    )


class _FromCatalog(Provider):
    provider_id: ClassVar[str] = "catalog"

    def __init__(self, settings: Settings, entry: ModelEntry) -> None:
        super().__init__(settings)
        self.entry = entry
        self.provider_id = entry.provider  # type: ignore[misc]  # per instance: the model's
        # an upper estimate: the dearer price of a model that may make its own sound
        unit = catalog_price(settings, entry.provider, entry.role, entry.id, with_audio=True)
        if entry.price_unit == "second":
            self.price_per_second = unit
        else:
            self.price_per_call = unit


class StoryboardStandIn(_FromCatalog, StoryboardProvider):
    async def write_storyboard(self, request: StoryboardRequest) -> Storyboard:
        raise NotImplementedError(f"{self.entry.key} is a stand-in for an estimate")


class ImageStandIn(_FromCatalog, ImageProvider):
    def __init__(self, settings: Settings, entry: ModelEntry) -> None:
        super().__init__(settings, entry)
        self.capabilities = Capabilities(supports_references=entry.references > 0)

    async def generate_image(self, request: ImageRequest) -> bytes:
        raise NotImplementedError(f"{self.entry.key} is a stand-in for an estimate")


class VideoStandIn(_FromCatalog, VideoProvider):
    def __init__(self, settings: Settings, entry: ModelEntry) -> None:
        super().__init__(settings, entry)
        self.capabilities = capabilities_of(entry)
        self.takes_end_frame = entry.end_frame

    async def submit(self, request: VideoRequest) -> str:
        raise NotImplementedError(f"{self.entry.key} is a stand-in for an estimate")

    async def wait(
        self,
        operation_id: str,
        request: VideoRequest,
        dest: Path,
        on_progress: ProgressFn | None = None,
    ) -> VideoResult:
        raise NotImplementedError(f"{self.entry.key} is a stand-in for an estimate")


STAND_INS: dict[Role, type[_FromCatalog]] = {
    Role.STORYBOARD: StoryboardStandIn,
    Role.IMAGE: ImageStandIn,
    Role.VIDEO: VideoStandIn,
}


def stand_in(settings: Settings, entry: ModelEntry) -> Provider:
    """The stand-in of `entry` in its role."""
    return STAND_INS[Role(entry.role)](settings, entry)
