"""The page's login sessions (token mode) and the throttle on logging in.

A session is a random id handed out at each login (a new one every time, so a cookie fixed
before login is worth nothing), kept on the server with its expiry, and forgotten at logout: a
cookie copied before logout no longer opens anything. The store lives in the server's memory
and only its SHA-256 of each id (a leaked dump holds no usable cookie); the token is read once
at start, so a changed token means a restarted server, which starts with no sessions at all.

Wrong tokens are counted per client address; past `login_attempts` failures in a minute the
client is refused (429) until the minute has passed, even with the right token.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import OrderedDict, deque

SESSION_BYTES = 32
MAX_SESSIONS = 10_000  # the oldest are forgotten first (each login makes one)
THROTTLE_WINDOW_SECONDS = 60.0
MAX_CLIENTS = 10_000


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", "replace")).hexdigest()


class SessionStore:
    """Live session ids (by digest) and when each expires."""

    def __init__(self, lifetime_seconds: float) -> None:
        self.lifetime = lifetime_seconds
        self._expiry: OrderedDict[str, float] = OrderedDict()

    def open(self) -> str:
        """A new session; its id goes into the cookie and nowhere else."""
        session_id = secrets.token_urlsafe(SESSION_BYTES)
        self._expiry[_digest(session_id)] = time.monotonic() + self.lifetime
        while len(self._expiry) > MAX_SESSIONS:
            self._expiry.popitem(last=False)
        return session_id

    def is_live(self, session_id: str | None) -> bool:
        if not session_id or len(session_id) > 128:
            return False
        key = _digest(session_id)
        expires = self._expiry.get(key)
        if expires is None:
            return False
        if expires < time.monotonic():
            del self._expiry[key]
            return False
        return True

    def close(self, session_id: str | None) -> None:
        if session_id and len(session_id) <= 128:
            self._expiry.pop(_digest(session_id), None)

    def clear(self) -> None:
        self._expiry.clear()


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
