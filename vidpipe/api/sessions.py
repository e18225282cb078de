"""The page's login sessions (token mode) and the throttle on logging in.

A session is a random id handed out at each login (a new one every time, so a cookie fixed
before login is worth nothing), kept in the database with its expiry, and deleted at logout: a
cookie copied before logout no longer opens anything, at any server. Being in the database,
sessions outlive a restart and are shared by every server on it (several `vidpipe serve` behind
one proxy). A row holds only the SHA-256 of the id (a leaked dump holds no usable cookie) and an
HMAC of that digest keyed by the API token: a row counts only under the token it was made with,
so changing VIDPIPE_API_TOKEN ends every session. Expired rows are refused, and deleted at each
login and at start; the table never holds more than MAX_SESSIONS rows.

Wrong tokens are counted per client address, in each server's memory; past `login_attempts`
failures in a minute the client is refused (429) until the minute has passed, even with the
right token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import OrderedDict, deque
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from vidpipe.db.models import LoginSession, utcnow

SESSION_BYTES = 32
MAX_SESSION_ID = 128  # longer cookies are not ours: refused without a query
MAX_SESSIONS = 10_000  # the ones closest to expiry are deleted first (each login makes one)
THROTTLE_WINDOW_SECONDS = 60.0
MAX_CLIENTS = 10_000
NOT_ATTACHED = "the session store is used before the database is open"


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", "replace")).hexdigest()


class SessionStore:
    """Live sessions, in the database: opened at login, checked on every guarded request (one
    primary-key lookup), closed at logout. Usable once `attach` has given it the database."""

    def __init__(self, token: str, lifetime_seconds: float) -> None:
        self.lifetime = timedelta(seconds=lifetime_seconds)
        self._key = token.encode("utf-8")
        self._database: async_sessionmaker[AsyncSession] | None = None
        self._reads: AsyncEngine | None = None

    def attach(self, database: async_sessionmaker[AsyncSession]) -> None:
        self._database = database
        engine: AsyncEngine = database.kw["bind"]
        # The check on every request is one SELECT on a pooled connection, no ORM session. On
        # PostgreSQL without BEGIN and ROLLBACK around it (two round trips fewer); SQLite begins
        # no transaction for a SELECT, and switching its mode would cost more than it saves.
        postgres = engine.dialect.name == "postgresql"
        self._reads = engine.execution_options(isolation_level="AUTOCOMMIT") if postgres else engine

    def _db(self) -> AsyncSession:
        if self._database is None:
            raise RuntimeError(NOT_ATTACHED)
        return self._database()

    def _mac(self, id_digest: str) -> str:
        return hmac.new(self._key, id_digest.encode("ascii"), hashlib.sha256).hexdigest()

    async def open(self) -> str:
        """A new session; its id goes into the cookie and nowhere else."""
        session_id = secrets.token_urlsafe(SESSION_BYTES)
        key, now = _digest(session_id), utcnow()
        async with self._db() as db:
            await _purge(db, keep=MAX_SESSIONS - 1)
            row = LoginSession(
                id_digest=key,
                token_mac=self._mac(key),
                created_at=now,
                expires_at=now + self.lifetime,
            )
            db.add(row)
            await db.commit()
        return session_id

    async def is_live(self, session_id: str | None) -> bool:
        if not session_id or len(session_id) > MAX_SESSION_ID:
            return False
        key = _digest(session_id)
        query = select(LoginSession.id_digest).where(
            LoginSession.id_digest == key,
            LoginSession.token_mac == self._mac(key),
            LoginSession.expires_at > utcnow(),
        )
        if self._reads is None:
            raise RuntimeError(NOT_ATTACHED)
        async with self._reads.connect() as connection:
            return (await connection.execute(query)).first() is not None

    async def close(self, session_id: str | None) -> None:
        if session_id and len(session_id) <= MAX_SESSION_ID:
            async with self._db() as db:
                await db.execute(
                    delete(LoginSession).where(LoginSession.id_digest == _digest(session_id))
                )
                await db.commit()

    async def purge(self) -> None:
        """Delete the expired sessions (the server does this at start, and at each login)."""
        async with self._db() as db:
            await _purge(db, keep=MAX_SESSIONS)
            await db.commit()


async def _purge(db: AsyncSession, keep: int) -> None:
    """Delete expired sessions, then all but the `keep` that expire last."""
    await db.execute(delete(LoginSession).where(LoginSession.expires_at <= utcnow()))
    surplus = select(LoginSession.id_digest).order_by(LoginSession.expires_at.desc()).offset(keep)
    await db.execute(delete(LoginSession).where(LoginSession.id_digest.in_(surplus)))


class LoginThrottle:
    """Failed logins per client in the last minute; refuses a client past the limit."""

    def __init__(self, attempts_per_minute: int) -> None:
        self.limit = attempts_per_minute
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, client: str) -> deque[float]:
        now = time.monotonic()
        failures = self._failures.get(client)
        if failures is None:
            return deque()
        while failures and failures[0] < now - THROTTLE_WINDOW_SECONDS:
            failures.popleft()
        return failures

    def retry_after(self, client: str) -> int | None:
        """Seconds until this client may try again; None when it may now."""
        failures = self._recent(client)
        if len(failures) < self.limit:
            return None
        return max(1, int(failures[0] + THROTTLE_WINDOW_SECONDS - time.monotonic()) + 1)

    def failed(self, client: str) -> None:
        failures = self._recent(client)
        failures.append(time.monotonic())
        self._failures[client] = failures
        self._failures.move_to_end(client)
        while len(self._failures) > MAX_CLIENTS:
            self._failures.popitem(last=False)

    def succeeded(self, client: str) -> None:
        self._failures.pop(client, None)
