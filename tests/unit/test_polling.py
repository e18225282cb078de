"""The polling schedule of long-running operations."""

import time

import pytest

from vidpipe.errors import ProviderTimeoutError
from vidpipe.providers.polling import PollSchedule, poll_until_done


class QuotaError(Exception):
    pass


@pytest.mark.alone  # measures time: no other test beside it
async def test_first_poll_near_typical_latency_then_short_intervals() -> None:
    calls: list[float] = []
    start = time.time()
    done_at = start + 0.35

    async def check() -> str | None:
        calls.append(time.time() - start)
        return "done" if time.time() >= done_at else None

    result = await poll_until_done(check, PollSchedule(first_poll=0.2, interval=0.05))
    assert result == "done"
    assert calls[0] == pytest.approx(0.2, abs=0.05)  # nothing spent polling before that
    assert calls[-1] - 0.35 < 0.1  # noticed within about one interval of finishing
    assert all(b - a < 0.1 for a, b in zip(calls[1:], calls[2:], strict=False))


async def test_a_resumed_wait_polls_at_once_when_the_latency_has_passed() -> None:
    calls: list[float] = []

    async def check() -> str:
        calls.append(time.time())
        return "done"

    began = time.time()
    await poll_until_done(check, PollSchedule(first_poll=30), submitted_at=began - 60)
    assert calls[0] - began < 0.05


async def test_quota_errors_wait_instead_of_failing_others_raise() -> None:
    outcomes = iter([QuotaError(), QuotaError(), "done"])

    async def check() -> str | None:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    schedule = PollSchedule(first_poll=0, interval=0.01, quota_window=5)
    assert (
        await poll_until_done(check, schedule, is_quota_error=lambda e: isinstance(e, QuotaError))
        == "done"
    )

    async def broken() -> None:
        raise ValueError("bad response")

    with pytest.raises(ValueError):
        await poll_until_done(broken, schedule, is_quota_error=lambda e: isinstance(e, QuotaError))


async def test_time_out_raises_provider_timeout() -> None:
    async def never() -> None:
        return None

    with pytest.raises(ProviderTimeoutError, match="not finished after"):
        await poll_until_done(never, PollSchedule(first_poll=0, interval=0.02, timeout=0.1))
