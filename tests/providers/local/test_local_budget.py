"""The local render budget: 720p renders side by side, 1080p renders one at a time."""

import asyncio

from vidpipe.providers.local.budget import PixelBudget

P720, P1080 = 1280 * 720, 1920 * 1080


async def peak_in_flight(budget: PixelBudget, sizes: list[int]) -> int:
    running = peak = 0

    async def render(pixels: int) -> None:
        nonlocal running, peak
        async with budget.hold(pixels):
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.02)
            running -= 1

    await asyncio.gather(*(render(size) for size in sizes))
    return peak


async def test_two_720p_renders_share_the_budget() -> None:
    assert await peak_in_flight(PixelBudget(3 * P720), [P720] * 5) == 3


async def test_1080p_renders_run_alone_and_never_deadlock() -> None:
    budget = PixelBudget(3 * P720)
    assert await peak_in_flight(budget, [P1080, P720, P1080]) == 1
    assert budget.used == 0
