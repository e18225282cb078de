"""One memory budget for everything the local provider renders in this process (peak memory).

Keyframe images and clips are drawn on this machine; a 1080p image render holds ~150 MB of
working arrays and a 1080p clip encoder ~260 MB. They share a budget of frame pixels: at 720p
two clips (the video provider's own cap) and the next keyframe run side by side, so the keyframe
chain — the critical path — never waits for a clip; at 1080p one render at a time, keeping the
process under 500 MB.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator

CAPACITY = 3 * 1280 * 720  # frame pixels in flight at once


class PixelBudget:
    """A weighted semaphore: a render of `pixels` waits until they fit (alone always fits)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.used = 0
        self._changed = asyncio.Condition()

    @contextlib.asynccontextmanager
    async def hold(self, pixels: int) -> AsyncIterator[None]:
        async with self._changed:
            await self._changed.wait_for(
                lambda: self.used == 0 or self.used + pixels <= self.capacity
            )
            self.used += pixels
        try:
            yield
        finally:
            async with self._changed:
                self.used -= pixels
                self._changed.notify_all()


_budgets: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, PixelBudget] = (
    weakref.WeakKeyDictionary()
)


def render_budget() -> PixelBudget:
    """The budget of the running event loop (asyncio primitives belong to one loop)."""
    loop = asyncio.get_running_loop()
    budget = _budgets.get(loop)
    if budget is None:
        budget = _budgets[loop] = PixelBudget(CAPACITY)
    return budget
