"""A deadline for a request's head: uvicorn's HTTP protocol, plus a timer.

uvicorn closes a kept-alive connection that stays idle (`timeout_keep_alive`), but a connection
that sends half a request head and then nothing is kept open for as long as the client likes;
a thousand of them hold a thousand sockets. Here a connection must deliver a complete request
head within `head_seconds` of opening (or of starting the next request on a kept-alive
connection), or it is closed.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol


def head_timeout_protocol(head_seconds: float) -> type[asyncio.Protocol]:
    """uvicorn's own HTTP protocol class (httptools, else h11) with the head deadline."""
    base: Any = AutoHTTPProtocol

    class HeadDeadline(base):
        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(transport)
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        # httptools: a message begins at its first byte, its head is complete later
        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._arm()

        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()

        # h11: after each batch of bytes, a head is awaited while the client's state is IDLE
        def handle_events(self) -> None:
            super().handle_events()
            import h11

            if self.conn.their_state is h11.IDLE:
                if self._head_timer is None and not self.transport.is_closing():
                    self._arm()
            else:
                self._disarm()

        def _arm(self) -> None:
            if self._head_timer is None:
                self._head_timer = asyncio.get_running_loop().call_later(
                    head_seconds, self._head_too_slow
                )

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_too_slow(self) -> None:
            self._head_timer = None
            if not self.transport.is_closing():
                self.transport.close()

    return HeadDeadline
