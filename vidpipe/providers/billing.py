"""Every request that may be billed is written down before it is sent (the ledger).

The pipeline opens a *billing scope* around each provider call (`billing_scope(ledger)`); a
provider's request helpers (`vidpipe.providers.calls.with_retries(..., billable=True)`) record each
attempt in it: `Ledger.open` checks the budget and commits a `sent` row, and `Ledger.close`
settles it as `ok`, `failed`, `refused` (not billed) or `unknown` (sent, no answer); a request the
service later dropped unmade (cancelled while queued) becomes `cancelled`, and one the service
failed with its own server error, which it does not bill, `server_error` (neither billed). Retries
and re-asks are attempts of their own. A scope is a context variable, so concurrent clips each have
their own and the provider interfaces stay small; outside any scope nothing is recorded (doctor,
direct provider tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator
from enum import StrEnum
from typing import Any

from vidpipe.errors import BadInputError, ProviderError


class Outcome(StrEnum):
    SENT = "sent"  # written before sending; still so after a crash: the outcome is unknown
    OK = "ok"
    FAILED = "failed"  # answered, but the answer is an error or unusable (billed)
    REFUSED = "refused"  # certainly not processed (429, 503, 4xx, not sent): not billed
    UNKNOWN = "unknown"  # sent, and the answer was lost (time-out, dropped connection, 5xx)
    # accepted, then dropped by the service before it made anything (a request cancelled while
    # still queued, found gone by the next run): not billed
    CANCELLED = "cancelled"
    # accepted, then failed at the service with its own (server) error, which it does not bill
    # (fal: a request that ends in a 5xx request error): not billed
    SERVER_ERROR = "server_error"


# Outcomes that may have cost money: what the budget counts.
BILLED_OUTCOMES: frozenset[str] = frozenset(
    {Outcome.SENT, Outcome.OK, Outcome.FAILED, Outcome.UNKNOWN}
)


class OutcomeUnknownError(ProviderError):
    """The request was sent and its answer lost: the provider may have accepted and billed it."""


def outcome_of(exc: BaseException) -> Outcome:
    """How an attempt that raised `exc` ends in the ledger."""
    certainly_unsent = getattr(exc, "certainly_unsent", None)
    if certainly_unsent is not None:  # a TransientError: transport or HTTP fault
        return Outcome.REFUSED if certainly_unsent else Outcome.UNKNOWN
    if isinstance(exc, OutcomeUnknownError | asyncio.CancelledError | KeyboardInterrupt):
        return Outcome.UNKNOWN
    if getattr(exc, "billed", True) is False:  # an UnbilledFailureError
        return Outcome.SERVER_ERROR
    if isinstance(exc, BadInputError):
        return Outcome.REFUSED
    status = getattr(exc, "status", None)
    if isinstance(status, int) and 400 <= status < 500:
        return Outcome.REFUSED
    return Outcome.FAILED


class Ledger(ABC):
    """Where billable attempts are written; the pipeline's implementation is database rows."""

    @abstractmethod
    async def open(self, what: str) -> Any:
        """Check the budget and durably record an attempt about to be sent; return its handle.

        Raises BudgetExceededError when the attempt would pass the budget: nothing is sent.
        """

    @abstractmethod
    async def close(self, handle: Any, outcome: Outcome, note: str = "") -> None:
        """Settle the attempt."""

    @contextlib.asynccontextmanager
    async def attempt(self, what: str) -> AsyncIterator[None]:
        """One attempt: recorded before the body sends it, settled by how the body ends."""
        handle = await self.open(what)
        try:
            yield
        except (asyncio.CancelledError, KeyboardInterrupt):
            # Stopped mid-request: the row stays `sent` (outcome unknown), exactly as after a
            # SIGKILL; whoever records the run's end settles it, with the session in order.
            raise
        except Exception as exc:
            await self.close(handle, outcome_of(exc), f"{type(exc).__name__}: {exc}"[:500])
            raise
        await self.close(handle, Outcome.OK)


_scope: contextvars.ContextVar[Ledger | None] = contextvars.ContextVar(
    "vidpipe_billing_scope", default=None
)


@contextlib.contextmanager
def billing_scope(ledger: Ledger) -> Iterator[Ledger]:
    """Attempts made inside (in this task and tasks it starts) are recorded in `ledger`."""
    token = _scope.set(ledger)
    try:
        yield ledger
    finally:
        _scope.reset(token)


def current_ledger() -> Ledger | None:
    return _scope.get()


@contextlib.asynccontextmanager
async def billed_attempt(what: str) -> AsyncIterator[None]:
    """An attempt in the current scope's ledger; nothing is recorded outside a scope."""
    ledger = current_ledger()
    if ledger is None:
        yield
        return
    async with ledger.attempt(what):
        yield
