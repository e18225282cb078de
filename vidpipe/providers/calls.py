"""What every remote provider shares: error kinds, retries, rate limits, polling, prices.

- Transient faults (429, 5xx, dropped connections, request time-outs) are retried with exponential
  backoff and full jitter (tenacity), honouring Retry-After.
- Authentication faults fail at once with one line naming the setting to fix; never retried.
- Requests per minute are capped per provider role (aiolimiter), shared by every project the
  process runs; concurrent operations are capped by `Capabilities.max_concurrency`. In queue
  mode both caps hold across every worker, through PostgreSQL (vidpipe.db.limits).
- Long-running operations are polled on the shared schedule (vidpipe.providers.polling):
  the first poll near the model's typical latency (learned from the operations this process has
  seen), later ones every `poll_interval_seconds`, so a finished clip is noticed within ~2 s;
  quota errors while polling wait (up to a window) instead of failing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from aiolimiter import AsyncLimiter
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from vidpipe.config import Settings
from vidpipe.errors import ProviderError
from vidpipe.providers.billing import OutcomeUnknownError, billed_attempt
from vidpipe.providers.polling import PollSchedule, poll_until_done

log = logging.getLogger(__name__)

T = TypeVar("T")


class ProviderAuthError(ProviderError):
    """The provider refused the credentials; check the provider's key setting."""


# Answers that say the request was not processed (so it is not billed and may be re-sent).
NOT_PROCESSED_STATUSES = frozenset({429, 503})


class TransientError(ProviderError):
    """A fault worth retrying: rate limit, quota, server error, dropped connection.

    `certainly_unsent`: the provider certainly did not act on the request (connection refused,
    429, 503), so re-sending a paid request cannot pay twice. Otherwise (a time-out or dropped
    connection after sending, another 5xx, a mangled answer) the outcome is unknown.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        certainly_unsent: bool | None = None,
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after
        if certainly_unsent is None:
            certainly_unsent = status in NOT_PROCESSED_STATUSES
        self.certainly_unsent = certainly_unsent


def auth_error(
    provider: str, status: int | None, detail: str, setting: str, *, code: str | None = None
) -> ProviderAuthError:
    """One line: who refused, why, and which setting to fix."""
    code = code or (f"HTTP {status}" if status else "no credentials")
    detail = " ".join(detail.split())[:200]
    return ProviderAuthError(
        f"{provider} refused the credentials ({code}: {detail}); check {setting}"
    )


def retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def is_transient_status(status: int | None) -> bool:
    return status is not None and (status == 429 or status == 408 or 500 <= status <= 599)


# ---------------------------------------------------------------- retries


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 5
    backoff: float = 1.0
    backoff_max: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            retries=settings.provider_retries,
            backoff=settings.provider_backoff_seconds,
            backoff_max=settings.provider_backoff_max_seconds,
        )

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Full jitter: uniform in [0, min(max, base·2^(attempt-1))], never below Retry-After."""
        ceiling = min(self.backoff_max, self.backoff * 2 ** max(0, attempt - 1))
        jittered = random.uniform(0, ceiling) if ceiling > 0 else 0.0
        if retry_after is not None:
            jittered = max(jittered, min(retry_after, max(self.backoff_max, ceiling)))
        return jittered


async def with_retries(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    what: str,
    limiter: Limiter | None = None,
    billable: bool = False,
    resend_unknown: bool = True,
) -> T:
    """Run `call`, retrying TransientError with backoff + jitter; anything else propagates.

    `billable`: each attempt is a ledger row of the current billing scope, written (and the
    budget checked) before it is sent. `resend_unknown=False` is for paid requests that start
    work which can be collected later (long-running operations): an attempt whose outcome is
    unknown is not re-sent but raised as OutcomeUnknownError, so the clip is never paid twice.
    """

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        retry_after = exc.retry_after if isinstance(exc, TransientError) else None
        return policy.delay(state.attempt_number, retry_after)

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.warning("%s; retry %d/%d", exc, state.attempt_number, policy.retries)

    async def once() -> T:
        if limiter is not None:
            await limiter.acquire()
        if not billable:
            return await call()
        try:
            async with billed_attempt(what):
                return await call()
        except TransientError as exc:
            if resend_unknown or exc.certainly_unsent:
                raise
            raise OutcomeUnknownError(
                f"{what}: {exc}; the request may have been accepted and billed, so it was not "
                "sent again"
            ) from exc

    retrying = AsyncRetrying(
        retry=retry_if_exception_type(TransientError),
        stop=stop_after_attempt(policy.retries + 1),
        wait=wait,
        before_sleep=before_sleep,
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            return await once()
    raise AssertionError("unreachable")  # pragma: no cover


# ---------------------------------------------------------------- rate limits


class Limiter(Protocol):
    async def acquire(self) -> None: ...


_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, float], Limiter]]
_limiters = weakref.WeakKeyDictionary()


def rate_limiter(settings: Settings, key: str, default_rpm: float | None) -> Limiter | None:
    """The requests-per-minute limiter for `key` ("provider:role"), if any: this process's, or
    in queue mode the one every worker shares through PostgreSQL."""
    rpm = settings.rate_limits.get(key, default_rpm)
    if not rpm or rpm <= 0:
        return None
    loop = asyncio.get_running_loop()
    per_loop = _limiters.setdefault(loop, {})
    limiter = per_loop.get((key, rpm))
    if limiter is None:
        if settings.execution == "queue":
            from vidpipe.db.limits import GlobalRateLimiter, shared_engine

            engine = shared_engine(settings.effective_database_url)
            limiter = GlobalRateLimiter(engine, key, rpm)
        else:
            limiter = AsyncLimiter(rpm, 60)
        per_loop[(key, rpm)] = limiter
    return limiter


# ---------------------------------------------------------------- prices


def price(settings: Settings, keys: tuple[str, ...], default: float) -> float:
    """The first override found among `keys` (model name, "provider:role"), else the table's."""
    for key in keys:
        if key in settings.prices:
            return float(settings.prices[key])
    return default


# ---------------------------------------------------------------- polling


class _Latency:
    """Typical submit→done time per key: an exponential moving average of what was observed."""

    def __init__(self) -> None:
        self._seconds: dict[str, float] = {}

    def typical(self, key: str, default: float) -> float:
        return self._seconds.get(key, default)

    def observe(self, key: str, seconds: float) -> None:
        previous = self._seconds.get(key)
        self._seconds[key] = seconds if previous is None else 0.7 * previous + 0.3 * seconds


LATENCY = _Latency()


def poll_schedule(settings: Settings, key: str, typical: float) -> PollSchedule:
    """The shared polling schedule: first poll a little before the typical latency (as configured,
    else learned from this process's operations), then every `poll_interval_seconds`."""
    first = settings.poll_first_seconds
    if first is None:
        first = 0.8 * LATENCY.typical(key, typical)
    return PollSchedule(
        first_poll=first,
        interval=settings.poll_interval_seconds,
        timeout=settings.operation_timeout_seconds,
        quota_window=settings.poll_quota_window_seconds,
    )


async def wait_for_operation(
    check: Callable[[], Awaitable[T | None]],
    schedule: PollSchedule,
    *,
    what: str,
    submitted_at: float | None,
    latency_key: str,
) -> T:
    """Poll `check` until it returns a result, on `schedule` (vidpipe.providers.polling).

    `submitted_at` (time.time()) is known when this process submitted the operation; for one
    submitted by an earlier process (a resume) it is not, and the first poll comes at once.
    Transient faults (quota, 5xx, malformed bodies) are waited out within the quota window.
    """
    if submitted_at is None:  # its typical latency has long passed: poll at once
        schedule = dataclasses.replace(schedule, first_poll=0.0)
    try:
        result = await poll_until_done(
            check,
            schedule,
            submitted_at=submitted_at,
            is_quota_error=lambda exc: isinstance(exc, TransientError),
            what=what,
        )
    except TransientError as exc:
        raise ProviderError(
            f"{what}: still failing after {schedule.quota_window:g}s of retries: {exc}"
        ) from exc
    if submitted_at is not None:
        LATENCY.observe(latency_key, time.time() - submitted_at)
    return result
