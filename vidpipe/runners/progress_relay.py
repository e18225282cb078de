"""Live progress across processes in queue mode: workers publish, API servers relay.

A worker runs a project with its own ProgressHub; `publish_progress` follows that hub and sends
what it sees as PostgreSQL notifications on one channel (`vidpipe_progress`). Every API server
listens (`relay_progress`) and feeds the payloads into its own hub, so its event streams and
status documents show the same `progress` as for a run inside the server.

Notifications are throttled per run (`Throttle`): a stage change or a finished step is sent at
once; updates of one item (a clip's fraction) wait so that at most one notification leaves every
`THROTTLE_SECONDS`, carrying only the latest update of each item. Each one also carries the
run's snapshot (stage, fractions, ETA), which an API server keeps for late subscribers and for
status documents. An idle run repeats its snapshot every `KEEPALIVE_SECONDS`; a server forgets a
run that was silent for `STALE_SECONDS` (its worker died) or that said it ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

from vidpipe.documents import Progress, ProgressPayload
from vidpipe.runners.progress import ProgressHub

if TYPE_CHECKING:
    import procrastinate

log = logging.getLogger(__name__)

CHANNEL = "vidpipe_progress"
MAX_NOTIFY_BYTES = 7900  # PostgreSQL refuses a NOTIFY payload of 8000 bytes or more
THROTTLE_SECONDS = 0.25  # at most four notifications a second per run, stage changes aside
KEEPALIVE_SECONDS = 5.0
STALE_SECONDS = 4 * KEEPALIVE_SECONDS
MESSAGE_CHARS = 300  # a progress line longer than this is cut (a notification has a size limit)
LISTEN_RETRY_SECONDS = 1.0

Send = Callable[[str], Awaitable[None]]
Payload = ProgressPayload


class Throttle:
    """What to send of one run's payloads, and when: every stage change, the latest of the rest."""

    def __init__(
        self, interval: float = THROTTLE_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._pending: dict[tuple[str, int | None], Payload] = {}  # item updates, by item
        self._last_sent = float("-inf")

    def offer(self, payload: Payload) -> list[Payload]:
        """The payloads to send now, in order (possibly none: then `flush` when `due_in` says)."""
        if payload.kind != "item":  # never dropped, never delayed; what waits goes first
            return [*self.flush(), payload] if self._pending else self._sent([payload])
        key = (payload.stage, payload.scene)
        self._pending.pop(key, None)
        self._pending[key] = payload
        if self._clock() - self._last_sent >= self.interval:
            return self.flush()
        return []

    def due_in(self) -> float | None:
        """Seconds until what waits may be sent; None when nothing waits."""
        if not self._pending:
            return None
        return max(self._last_sent + self.interval - self._clock(), 0.0)

    def flush(self) -> list[Payload]:
        """Everything waiting, now."""
        batch = list(self._pending.values())
        self._pending.clear()
        return self._sent(batch)

    def _sent(self, batch: list[Payload]) -> list[Payload]:
        if batch:
            self._last_sent = self._clock()
        return batch


def encode(
    project_id: uuid.UUID,
    events: list[Payload],
    snapshot: Progress | None,
    *,
    end: bool = False,
    limit: int = MAX_NOTIFY_BYTES,
) -> list[str]:
    """Notification payloads of at most `limit` bytes; the snapshot rides on the last one."""
    events = [_cut(event) for event in events]
    if snapshot is not None and len(snapshot.message) > MESSAGE_CHARS:
        snapshot = snapshot.model_copy(update={"message": _shortened(snapshot.message)})
    messages: list[str] = []
    chunk: list[Payload] = []
    for event in events:
        if chunk and _size(project_id, [*chunk, event], None) > limit:
            messages.append(_dump(project_id, chunk, None))
            chunk = []
        chunk.append(event)
    if snapshot is not None and _size(project_id, chunk, snapshot, end) > limit:
        snapshot = snapshot.model_copy(update={"scenes": []})  # per-scene fractions if they fit
        if _size(project_id, chunk, snapshot, end) > limit:
            messages.append(_dump(project_id, chunk, None))
            chunk = []
    messages.append(_dump(project_id, chunk, snapshot, end))
    return messages


def decode(text: str) -> tuple[uuid.UUID, list[Payload], Progress | None, bool]:
    """(project id, events, snapshot, whether the run ended) of one notification; a malformed
    one raises ValueError (pydantic's ValidationError is one)."""
    message = json.loads(text)
    snapshot = message.get("snapshot")
    return (
        uuid.UUID(message["project"]),
        [ProgressPayload.model_validate(event) for event in message.get("events") or []],
        Progress.model_validate(snapshot) if snapshot is not None else None,
        bool(message.get("end")),
    )


def _dump(
    project_id: uuid.UUID, events: list[Payload], snapshot: Progress | None, end: bool = False
) -> str:
    message = {
        "project": str(project_id),
        "events": [event.model_dump(mode="json") for event in events],
        "snapshot": snapshot.model_dump(mode="json") if snapshot is not None else None,
        "end": end,
    }
    return json.dumps(message, default=str, separators=(",", ":"))


def _size(
    project_id: uuid.UUID, events: list[Payload], snapshot: Progress | None, end: bool = False
) -> int:
    return len(_dump(project_id, events, snapshot, end).encode())


def _cut(payload: Payload) -> Payload:
    if len(payload.message) > MESSAGE_CHARS:
        return payload.model_copy(update={"message": _shortened(payload.message)})
    return payload


def _shortened(message: str) -> str:
    return message[: MESSAGE_CHARS - 1] + "…"


# -- in the worker --------------------------------------------------------------------------------


def notifier(app: procrastinate.App) -> Send:
    """Sends one notification through the queue's own connection pool."""

    async def send(payload: str) -> None:
        await app.connector.execute_query_async(
            "SELECT pg_notify(%(channel)s, %(payload)s)", channel=CHANNEL, payload=payload
        )

    return send


@contextlib.asynccontextmanager
async def publish_progress(
    hub: ProgressHub,
    project_id: uuid.UUID,
    send: Send,
    *,
    throttle: Throttle | None = None,
    keepalive: float = KEEPALIVE_SECONDS,
) -> AsyncIterator[None]:
    """While the block runs, the project's progress in `hub` goes out as notifications; at its
    end what waits is sent, then "ended". A failed send is logged and never stops the run."""
    throttle = throttle or Throttle()

    async def publish(events: list[Payload], end: bool = False) -> None:
        for message in encode(project_id, events, hub.snapshot(project_id), end=end):
            try:
                await send(message)
            except Exception:  # progress is best effort; the database stays the truth
                log.warning("progress of %s not published", project_id, exc_info=True)

    async def forward(queue: asyncio.Queue[Payload]) -> None:
        while True:
            wait = throttle.due_in()
            try:
                payload = await asyncio.wait_for(queue.get(), keepalive if wait is None else wait)
            except TimeoutError:
                await publish(throttle.flush())  # what waited, or the snapshot again
                continue
            batch = throttle.offer(payload)
            while not queue.empty():
                batch += throttle.offer(queue.get_nowait())
            if batch:
                await publish(batch)

    with hub.subscribe(project_id) as queue:
        task = asyncio.create_task(forward(queue))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            rest: list[Payload] = []
            while not queue.empty():
                rest += throttle.offer(queue.get_nowait())
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(publish([*rest, *throttle.flush()], end=True), 5)


# -- in the API server ----------------------------------------------------------------------------


async def relay_progress(app: procrastinate.App, hub: ProgressHub) -> None:
    """Listen for workers' notifications and feed them into `hub`, until cancelled."""

    async def on_notification(channel: str, payload: str) -> None:
        try:
            project_id, events, snapshot, end = decode(payload)
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed progress notification")
            return
        if end:
            hub.relay(project_id, events, None)
            hub.finish(project_id)
        else:
            hub.relay(project_id, events, snapshot)

    while True:
        try:
            await app.connector.listen_notify(on_notification=on_notification, channels=[CHANNEL])
        except Exception:  # the database went away; listen again when it is back
            log.warning("progress relay lost its connection; retrying", exc_info=True)
        await asyncio.sleep(LISTEN_RETRY_SECONDS)


@contextlib.asynccontextmanager
async def relaying(app: procrastinate.App, hub: ProgressHub) -> AsyncIterator[None]:
    """`relay_progress` for as long as the block runs."""
    task = asyncio.create_task(relay_progress(app, hub))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
