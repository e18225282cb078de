"""Waiting on long-running operations: first poll near the typical latency, then backing off.

The first poll comes near the provider's typical latency (polling earlier only spends quota),
later polls at short intervals so a finished operation is noticed within about one interval,
not on a fixed 15–20 s grid. Quota and rate-limit errors while polling back off and wait, up to
a window, instead of failing the project.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from vidpipe.errors import ProviderTimeoutError

T = TypeVar("T")


@dataclass(frozen=True)
class PollSchedule:
    first_poll: float  # seconds after submission of the first poll: near the typical latency
    interval: float = 1.0  # seconds between later polls
    timeout: float = 600.0  # seconds after submission before giving up
    quota_window: float = 300.0  # how long quota errors may keep us waiting, in total

    def delay_before(self, poll_number: int, elapsed: float) -> float:
        """Seconds to sleep before poll `poll_number` (0-based), `elapsed` after submission."""
        if poll_number == 0:
            return max(0.0, self.first_poll - elapsed)
        return self.interval


async def poll_until_done(
    check: Callable[[], Awaitable[T | None]],
    schedule: PollSchedule,
    *,
    submitted_at: float | None = None,
    is_quota_error: Callable[[BaseException], bool] = lambda _: False,
    what: str = "operation",
) -> T:
    """Call `check` on the schedule until it returns a result (not None).

    `submitted_at` is a wall-clock time (time.time()); after a crash the resumed wait counts
    from the original submission, so its first poll comes at once when that time is past.
    """
    start = submitted_at if submitted_at is not None else time.time()
    quota_waited = 0.0
    backoff = schedule.interval
    poll = 0
    while True:
        elapsed = time.time() - start
        if elapsed > schedule.timeout:
            raise ProviderTimeoutError(
                f"{what} not finished after {schedule.timeout:.0f}s; it may still finish "
                "on the provider's side"
            )
        await asyncio.sleep(min(schedule.delay_before(poll, elapsed), schedule.timeout))
        poll += 1
        try:
            result = await check()
        except Exception as exc:
            if not is_quota_error(exc):
                raise
            pause = min(backoff * (1 + random.random()), schedule.quota_window - quota_waited)
            if pause <= 0:
                raise
            quota_waited += pause
            backoff = min(backoff * 2, 60.0)
            await asyncio.sleep(pause)
            continue
        backoff = schedule.interval
        if result is not None:
            return result
