"""Provider limits that hold across every process on one PostgreSQL.

In queue mode many workers (and API servers) call the same providers, so a per-process semaphore
or token bucket no longer caps anything. Here the database is the referee:

- **Concurrency slots**: a cap of N is N rows `provider_slots(key, slot)`. A holder takes a free or
  expired slot with one `INSERT … ON CONFLICT DO UPDATE … WHERE expires_at <= now()` (two racing
  takers cannot both win: the loser's conditional update sees the winner's row), renews its
  lease while it works, and deletes the row when done. A holder that dies stops renewing; its
  slot is free once the lease (`slot_lease_seconds`) runs out.
- **Requests per minute**: a sliding window of `provider_requests` rows per key, counted and
  appended under a transaction-scoped advisory lock on the key.

Inline mode (SQLite or one process) keeps the per-process limits of providers/calls.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import weakref
from collections.abc import AsyncIterator
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from vidpipe.db.models import utcnow

log = logging.getLogger(__name__)

SLOT_POLL_SECONDS = 0.2  # a waiting taker looks again after this (plus jitter)
WINDOW_SECONDS = 60.0

_TAKE_SLOT = text(
    """
    WITH candidate AS (
        SELECT s AS slot FROM generate_series(0, :cap - 1) AS s
        WHERE NOT EXISTS (
            SELECT 1 FROM provider_slots p
            WHERE p.key = :key AND p.slot = s AND p.expires_at > now()
        )
        ORDER BY s LIMIT 1
    )
    INSERT INTO provider_slots (key, slot, holder, expires_at)
    SELECT :key, slot, :holder, now() + make_interval(secs => :seconds) FROM candidate
    ON CONFLICT (key, slot) DO UPDATE
        SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
        WHERE provider_slots.expires_at <= now()
    RETURNING slot
    """
)
_RENEW_SLOT = text(
    "UPDATE provider_slots SET expires_at = now() + make_interval(secs => :seconds) "
    "WHERE key = :key AND slot = :slot AND holder = :holder"
)
_FREE_SLOT = text(
    "DELETE FROM provider_slots WHERE key = :key AND slot = :slot AND holder = :holder"
)


@contextlib.asynccontextmanager
async def global_slot(
    engine: AsyncEngine, key: str, cap: int, *, holder: str, lease_seconds: float
) -> AsyncIterator[int]:
    """Hold one of `cap` slots of `key` for the block (waiting for one); yields its number."""
    params = {"key": key, "cap": cap, "holder": holder, "seconds": lease_seconds}
    while True:
        async with engine.begin() as connection:
            slot = await connection.scalar(_TAKE_SLOT, params)
        if slot is not None:
            break
        await asyncio.sleep(SLOT_POLL_SECONDS * (1 + random.random()))
    held = {**params, "slot": slot}
    renewal = asyncio.create_task(_renew(engine, held, lease_seconds / 3))
    try:
        yield slot
    finally:
        renewal.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewal

        async def free() -> None:
            async with engine.begin() as connection:
                await connection.execute(_FREE_SLOT, held)

        try:
            await asyncio.shield(free())
        except Exception:  # the lease frees it anyway
            log.warning("could not free provider slot %s/%s", key, slot, exc_info=True)


async def _renew(engine: AsyncEngine, held: dict[str, object], every: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            async with engine.begin() as connection:
                renewed = await connection.execute(_RENEW_SLOT, held)
            if renewed.rowcount != 1:  # type: ignore[attr-defined]
                log.error("lost provider slot %s/%s (lease expired)", held["key"], held["slot"])
                return
        except Exception:  # a database hiccup: try again at the next beat
            log.warning("could not renew provider slot %s", held["key"], exc_info=True)


class GlobalRateLimiter:
    """`rpm` requests per sliding minute for `key`, across processes; `acquire` as aiolimiter's."""

    def __init__(self, engine: AsyncEngine, key: str, rpm: float) -> None:
        self.engine, self.key, self.rpm = engine, key, rpm

    async def acquire(self) -> None:
        while True:
            wait = await self._try()
            if wait <= 0:
                return
            await asyncio.sleep(wait)

    async def _try(self) -> float:
        """0 when a request was booked now; else seconds until the window has room."""
        now = utcnow()
        allowed = max(1, int(self.rpm))
        since = now - timedelta(seconds=WINDOW_SECONDS)
        async with self.engine.begin() as connection:
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": self.key}
            )
            await connection.execute(
                text("DELETE FROM provider_requests WHERE key = :key AND sent_at <= :since"),
                {"key": self.key, "since": since},
            )
            rows = await connection.execute(
                text(
                    "SELECT sent_at FROM provider_requests WHERE key = :key "
                    "ORDER BY sent_at DESC LIMIT :n"
                ),
                {"key": self.key, "n": allowed},
            )
            recent = [row[0] for row in rows]
            if len(recent) < allowed:
                await connection.execute(
                    text("INSERT INTO provider_requests (key, sent_at) VALUES (:key, :at)"),
                    {"key": self.key, "at": now},
                )
                return 0.0
        oldest = min(recent)
        return max(0.05, (oldest - since).total_seconds())


# One small engine per event loop and database, for code that has settings but no session
# (providers' rate limits, the sim provider's observations).
_engines: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, AsyncEngine]]
_engines = weakref.WeakKeyDictionary()


def shared_engine(url: str) -> AsyncEngine:
    from vidpipe.db.engine import create_engine

    per_loop = _engines.setdefault(asyncio.get_running_loop(), {})
    engine = per_loop.get(url)
    if engine is None:
        engine = per_loop[url] = create_engine(url)
    return engine


async def dispose_shared_engines() -> None:
    """Close this loop's shared engines (a worker does so on its way out)."""
    per_loop = _engines.pop(asyncio.get_running_loop(), {})
    for engine in per_loop.values():
        await engine.dispose()
