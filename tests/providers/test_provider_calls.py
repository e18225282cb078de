"""Retries with backoff and jitter, rate limits and operation polling shared by remote providers."""

from __future__ import annotations

import time

import pytest

from vidpipe.config import Settings
from vidpipe.errors import ProviderError, ProviderTimeoutError
from vidpipe.providers.calls import (
    ProviderAuthError,
    RetryPolicy,
    TransientError,
    poll_schedule,
    rate_limiter,
    wait_for_operation,
    with_retries,
)
from vidpipe.providers.polling import PollSchedule

QUICK = RetryPolicy(retries=3, backoff=0.01, backoff_max=0.02)


def test_backoff_is_exponential_with_full_jitter_and_honours_retry_after() -> None:
    policy = RetryPolicy(retries=5, backoff=1.0, backoff_max=30.0)
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (6, 30.0), (10, 30.0)]:
        delays = [policy.delay(attempt) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > 0.5 * ceiling  # spread over the range, not a fixed step
    assert policy.delay(1, retry_after=7.0) == 7.0


async def test_transient_faults_are_retried_then_given_up() -> None:
    calls: list[int] = []

    async def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise TransientError("HTTP 429", status=429)
        return "ok"

    assert await with_retries(flaky, QUICK, what="x") == "ok" and len(calls) == 3

    async def down() -> str:
        calls.append(1)
        raise TransientError("HTTP 503", status=503)

    calls.clear()
    with pytest.raises(TransientError, match="503"):
        await with_retries(down, QUICK, what="x")
    assert len(calls) == QUICK.retries + 1


async def test_auth_errors_are_never_retried() -> None:
    calls: list[int] = []

    async def refused() -> None:
        calls.append(1)
        raise ProviderAuthError("refused; check VIDPIPE_X")

    with pytest.raises(ProviderAuthError):
        await with_retries(refused, QUICK, what="x")
    assert calls == [1]


async def test_rate_limiters_are_shared_per_provider_role_and_configurable() -> None:
    settings = Settings(rate_limits={"google:video": 2})
    limiter = rate_limiter(settings, "google:video", 50)
    assert limiter is not None and limiter.max_rate == 2 and limiter.time_period == 60
    assert rate_limiter(settings, "google:video", 50) is limiter  # one per process and loop
    assert rate_limiter(settings, "openai:storyboard", None) is None
    assert rate_limiter(settings, "google:image", 60).max_rate == 60  # type: ignore[union-attr]
    await limiter.acquire()
    await limiter.acquire()
    assert not limiter.has_capacity()  # a third request this minute would wait


def schedule(**changes: float) -> PollSchedule:
    values = {"first_poll": 0.0, "interval": 0.02, "timeout": 5.0, "quota_window": 5.0}
    return PollSchedule(**{**values, **changes})


async def test_polling_waits_out_quota_errors_within_the_window() -> None:
    outcomes: list[object] = [None, TransientError("429", status=429), None, "done"]

    async def check() -> object:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    result = await wait_for_operation(
        check, schedule(), what="op", submitted_at=None, latency_key="t1"
    )
    assert result == "done" and outcomes == []

    async def exhausted() -> None:
        raise TransientError("RESOURCE_EXHAUSTED", status=429)

    with pytest.raises(ProviderError, match="op: still failing after 0.1s"):
        await wait_for_operation(
            exhausted, schedule(quota_window=0.1), what="op", submitted_at=None, latency_key="t2"
        )


async def test_polling_times_out() -> None:
    async def never() -> None:
        return None

    with pytest.raises(ProviderTimeoutError, match="op not finished after 0s"):
        await wait_for_operation(
            never, schedule(timeout=0.1), what="op", submitted_at=None, latency_key="t3"
        )


async def test_a_resumed_operation_is_polled_at_once_and_latency_is_learned() -> None:
    calls: list[float] = []

    async def check() -> str:
        calls.append(time.time())
        return "done"

    began = time.time()
    await wait_for_operation(
        check, schedule(first_poll=30), what="op", submitted_at=None, latency_key="t4"
    )
    assert calls[0] - began < 0.5  # submitted by an earlier process: polled at once

    settings = Settings(poll_first_seconds=None)
    await wait_for_operation(
        check, schedule(timeout=99), what="op", submitted_at=time.time() - 40, latency_key="veo-x"
    )
    assert poll_schedule(settings, "veo-x", typical=75).first_poll == pytest.approx(32, abs=0.5)
    assert poll_schedule(settings, "other", typical=75).first_poll == pytest.approx(60)
