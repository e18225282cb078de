"""ComfyUI's HTTP + websocket API, as vidpipe uses it.

  POST /upload/image            multipart upload of a keyframe (→ {"name", "subfolder", "type"})
  POST /prompt                  queue an API-format graph under a prompt id vidpipe chose
                                (→ {"prompt_id", "number", "node_errors"})
  GET  /history/{prompt_id}     {} while queued/running; outputs + status when finished
  GET  /queue                   running and pending prompts (tells "still queued" from "lost")
  POST /queue {"delete": [id]}  drop a pending prompt; POST /interrupt stops the running one
  GET  /view?filename=&subfolder=&type=   download an output file
  GET  /system_stats, /object_info        version, devices, node types and model lists (free)
  WS   /ws?clientId=            executing / executed / progress / execution_success / _error

Every prompt carries a `prompt_id` chosen here (uuid4) and committed by the caller before it is
sent, so a lost answer is looked up (`prompt_state`) instead of queued twice. The prompt id is
also the websocket client id of that prompt: ComfyUI sends a prompt's messages to the client id
it was queued with, so any process (a resumed one too) can listen for exactly one prompt.
Completion is noticed from the websocket and fetched at once; /history is polled on the shared
polling schedule (vidpipe.providers.polling) as the fallback.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import logging
import time
import uuid
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any, Literal

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

from vidpipe.config import Settings
from vidpipe.errors import BadInputError, OperationFailedError, ProviderError
from vidpipe.providers.calls import (
    LATENCY,
    RetryPolicy,
    TransientError,
    auth_error,
    is_transient_status,
    rate_limiter,
    retry_after_seconds,
    with_retries,
)
from vidpipe.providers.comfyui.settings import ComfyUISettings
from vidpipe.providers.polling import PollSchedule, poll_until_done
from vidpipe.providers.tls import tls_context

log = logging.getLogger(__name__)

ProgressHook = Callable[[float], None]
PromptState = Literal["queued", "running", "done", "unknown"]

# After the websocket said "finished", how long /history may lag behind it (ComfyUI sends
# execution_success just before it writes the history entry).
HISTORY_LAG_SECONDS = 5.0
HISTORY_LAG_STEP = 0.1


class PromptRejected(ProviderError):
    """ComfyUI refused the workflow (validation errors in the nodes vidpipe reads)."""


class SentButUnanswered(TransientError):
    """The request may have reached ComfyUI, but no usable answer came back (a read time-out,
    a dropped connection, a 5xx, a cut-off body): look the prompt id up before sending again."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message, status=status, certainly_unsent=False)


def new_prompt_id() -> str:
    return str(uuid.uuid4())


class _Uploads:
    """Images already uploaded to a server by this process, by content hash: the keyframe shared
    by two clips (and its end-frame prompt) is uploaded once. Inputs live on the server's disk and
    outlive a restart; a HEAD request confirms one is still there before it is reused."""

    def __init__(self) -> None:
        self._names: dict[tuple[str, str], str] = {}
        self._locks: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[tuple[str, str], asyncio.Lock]
        ] = weakref.WeakKeyDictionary()

    def lock(self, url: str, digest: str) -> asyncio.Lock:
        """One upload of an image at a time (a keyframe and a clip may want it at once)."""
        per_loop = self._locks.setdefault(asyncio.get_running_loop(), {})
        return per_loop.setdefault((url, digest), asyncio.Lock())

    def get(self, url: str, digest: str) -> str | None:
        return self._names.get((url, digest))

    def put(self, url: str, digest: str, name: str) -> None:
        self._names[(url, digest)] = name


UPLOADS = _Uploads()


class ComfyUI:
    """One ComfyUI server. A new HTTP client per `session()`, so no socket outlives its loop."""

    def __init__(self, settings: Settings, *, role: str, default_rpm: float | None) -> None:
        comfyui = settings.provider(ComfyUISettings)
        if not comfyui.url:
            raise BadInputError("the comfyui provider needs a server: set VIDPIPE_COMFYUI_URL")
        self.settings = settings
        self.url = comfyui.url.rstrip("/")
        self.role = role
        self.policy = RetryPolicy.from_settings(settings)
        self.default_rpm = default_rpm
        key = comfyui.api_key
        self.headers = {"Authorization": f"Bearer {key.get_secret_value()}"} if key else {}
        # the lead's settings add a longer time-out for paid submissions; use it when present
        self.submit_timeout = float(
            getattr(settings, "provider_submit_timeout_seconds", None)
            or settings.provider_timeout_seconds
        )

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[httpx.AsyncClient]:
        async with httpx.AsyncClient(
            base_url=self.url,
            headers=self.headers,
            timeout=self.settings.provider_timeout_seconds,
            verify=tls_context(),  # one CA load per process, not one per session
        ) as client:
            yield client

    # ------------------------------------------------------------ requests

    async def _request(
        self,
        client: httpx.AsyncClient,
        method: str,
        path: str,
        *,
        what: str,
        retry: bool = True,
        **kwargs: Any,
    ) -> httpx.Response:
        """One idempotent request (a read, an upload that overwrites the same name)."""

        async def once() -> httpx.Response:
            try:
                response = await client.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                raise TransientError(f"{what}: {type(exc).__name__}: {exc or 'failed'}") from exc
            _raise_for_status(response, what)
            if response.headers.get("content-type", "").startswith("application/json"):
                _json(response, what)  # a malformed body is retried like a dropped connection
            return response

        if not retry:
            return await once()
        return await _retrying(once, self.policy, what)

    async def upload_image(self, client: httpx.AsyncClient, path: Path) -> str:
        """Upload a PNG once per content; return the name a LoadImage node takes."""
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        async with UPLOADS.lock(self.url, digest):
            known = UPLOADS.get(self.url, digest)
            if known is not None and await self._has_input(client, known):
                return known
            return await self._upload(client, data, digest)

    async def _upload(self, client: httpx.AsyncClient, data: bytes, digest: str) -> str:
        name = f"vidpipe_{digest[:20]}.png"
        response = await self._request(
            client,
            "POST",
            "/upload/image",
            what="comfyui upload",
            files={"image": (name, data, "image/png")},
            data={"type": "input", "subfolder": "vidpipe", "overwrite": "true"},
        )
        body = _json(response, "comfyui upload")
        subfolder = body.get("subfolder") or ""
        uploaded = f"{subfolder}/{body['name']}" if subfolder else str(body["name"])
        UPLOADS.put(self.url, digest, uploaded)
        return uploaded

    async def _has_input(self, client: httpx.AsyncClient, name: str) -> bool:
        """Whether the server still has an uploaded input (HEAD /view: no body is sent)."""
        subfolder, _, filename = name.rpartition("/")
        params = {"filename": filename, "subfolder": subfolder, "type": "input"}
        try:
            response = await client.head("/view", params=params)
        except httpx.TransportError:
            return False
        return response.status_code == 200

    async def queue(
        self,
        client: httpx.AsyncClient,
        graph: dict[str, Any],
        what: str,
        *,
        prompt_id: str,
        reads: Iterable[str] = (),
    ) -> str:
        """Queue `graph` as `prompt_id` (chosen and committed by the caller); return the id.

        Sent again only when ComfyUI certainly did not take it (connection refused, 429, 503)
        or, after a lost answer, when a look-up says the id is unknown; so one prompt runs,
        whatever the network did. A 200 whose `node_errors` touch a node in `reads` is dropped
        from the queue and raised as PromptRejected; other node errors are logged.
        """
        limiter = rate_limiter(self.settings, f"comfyui:{self.role}", self.default_rpm)
        body = {"prompt": graph, "client_id": prompt_id, "prompt_id": prompt_id}
        attempt = 0
        while True:
            attempt += 1
            if limiter is not None:
                await limiter.acquire()
            try:
                answer = await self._send_prompt(client, body, what)
            except TransientError as exc:
                if attempt > self.policy.retries:
                    if isinstance(exc, SentButUnanswered):  # last chance: was it taken after all?
                        state: PromptState | None = None
                        with contextlib.suppress(TransientError):
                            state = await self.prompt_state(client, prompt_id)
                        if state == "unknown":  # the server has no record: nothing was paid
                            raise TransientError(
                                f"{exc}; ComfyUI has no record of prompt {prompt_id}",
                                status=exc.status,
                                certainly_unsent=True,
                            ) from exc
                        if state is not None:
                            return prompt_id
                    raise
                log.warning("%s; retry %d/%d", exc, attempt, self.policy.retries)
                await asyncio.sleep(self.policy.delay(attempt, exc.retry_after))
                if isinstance(exc, SentButUnanswered):
                    state = await self._state_for_retry(client, prompt_id, what)
                    if state != "unknown":
                        log.info("%s: %s was queued (%s), not sent again", what, prompt_id, state)
                        return prompt_id
                continue
            errors = answer.get("node_errors") or {}
            if errors:
                await self._partial(client, prompt_id, errors, set(reads), what)
            return str(answer.get("prompt_id") or prompt_id)

    async def _send_prompt(
        self, client: httpx.AsyncClient, body: dict[str, Any], what: str
    ) -> dict[str, Any]:
        try:
            response = await client.post("/prompt", json=body, timeout=self.submit_timeout)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise TransientError(
                f"{what}: {type(exc).__name__}: {exc or 'not sent'}", certainly_unsent=True
            ) from exc
        except httpx.TransportError as exc:
            raise SentButUnanswered(f"{what}: {type(exc).__name__}: {exc or 'no answer'}") from exc
        status = response.status_code
        if status in (429, 503):  # refused before anything was queued
            _raise_for_status(response, what)
        if status >= 500 or status == 408:
            raise SentButUnanswered(f"{what}: HTTP {status}: {response.text[:200]}", status=status)
        _raise_for_status(response, what)
        try:
            answer = response.json()
        except ValueError as exc:
            raise SentButUnanswered(
                f"{what}: malformed JSON from ComfyUI: {response.text[:80]!r}"
            ) from exc
        if not isinstance(answer, dict) or "prompt_id" not in answer:
            raise SentButUnanswered(f"{what}: ComfyUI answered without a prompt id: {answer!r}")
        return answer

    async def _state_for_retry(
        self, client: httpx.AsyncClient, prompt_id: str, what: str
    ) -> PromptState:
        """The id's state before re-sending; a look-up that fails is retried like any read."""
        return await _retrying(lambda: self.prompt_state(client, prompt_id), self.policy, what)

    async def _partial(
        self,
        client: httpx.AsyncClient,
        prompt_id: str,
        errors: dict[str, Any],
        reads: set[str],
        what: str,
    ) -> None:
        """ComfyUI queued the outputs that validated and ignores the rest (its "partial
        validation"). Fine unless a node vidpipe reads is among the failed ones."""
        described = _describe_node_errors(errors)
        if reads & _failed_nodes(errors):
            await self.cancel(client, prompt_id, what)
            raise PromptRejected(f"{what}: ComfyUI refused the workflow: {described}", status=400)
        log.warning("%s: ComfyUI ignores some nodes of the workflow: %s", what, described)

    async def cancel(self, client: httpx.AsyncClient, prompt_id: str, what: str) -> None:
        """Drop `prompt_id` from the queue, or interrupt it if it already runs, so nothing runs
        that vidpipe does not track."""
        await self._request(client, "POST", "/queue", what=what, json={"delete": [prompt_id]})
        if await self.prompt_state(client, prompt_id) == "running":
            await self._request(
                client, "POST", "/interrupt", what=what, json={"prompt_id": prompt_id}
            )

    async def prompt_state(self, client: httpx.AsyncClient, prompt_id: str) -> PromptState:
        """Where `prompt_id` is: in the queue (running or pending), finished (in /history, with
        success or error), or unknown (never queued, or lost in a restart). The queue is read
        first: a prompt leaves it and enters the history in one step, so none slips between."""
        what = f"comfyui look-up of prompt {prompt_id}"
        body = _json(await self._request(client, "GET", "/queue", what=what, retry=False), what)
        for entry in body.get("queue_running") or []:
            if len(entry) > 1 and entry[1] == prompt_id:
                return "running"
        for entry in body.get("queue_pending") or []:
            if len(entry) > 1 and entry[1] == prompt_id:
                return "queued"
        history = await self._request(
            client, "GET", f"/history/{prompt_id}", what=what, retry=False
        )
        return "done" if _json(history, what).get(prompt_id) else "unknown"

    async def download(self, client: httpx.AsyncClient, file: dict[str, Any], what: str) -> bytes:
        params = {
            "filename": file["filename"],
            "subfolder": file.get("subfolder", ""),
            "type": file.get("type", "output"),
        }
        response = await self._request(client, "GET", "/view", what=what, params=params)
        return response.content

    async def health(self) -> str:
        """GET /system_stats (free): the server answers, and what it runs on."""
        async with self.session() as client:
            try:
                response = await self._request(
                    client, "GET", "/system_stats", what="comfyui system_stats", retry=False
                )
            except TransientError as exc:
                raise ProviderError(f"comfyui: cannot reach {self.url}: {exc}") from exc
        stats = _json(response, "comfyui system_stats")
        version = (stats.get("system") or {}).get("comfyui_version", "?")
        devices = ", ".join(d.get("name", "?") for d in stats.get("devices") or []) or "no device"
        return f"comfyui {version} at {self.url} ({devices})"

    async def object_info(self) -> dict[str, Any]:
        """GET /object_info (free): every node type, its inputs, option lists and model files."""
        what = "comfyui object_info"
        async with self.session() as client:
            try:
                response = await self._request(client, "GET", "/object_info", what=what)
            except TransientError as exc:
                raise ProviderError(f"comfyui: cannot reach {self.url}: {exc}") from exc
        info = _json(response, what)
        if not isinstance(info, dict):
            raise ProviderError(f"{what}: not a node table")
        return info

    # ------------------------------------------------------------ waiting

    async def wait(
        self,
        client: httpx.AsyncClient,
        prompt_id: str,
        *,
        output_node: str,
        schedule: PollSchedule,
        what: str,
        submitted_at: float | None,
        latency_key: str,
        on_progress: ProgressHook | None = None,
    ) -> dict[str, Any]:
        """The output file record of `output_node` once `prompt_id` has finished.

        Two paths race: the websocket (noticed at once, then /history is read) and /history
        polled on the shared polling schedule (the fallback when no websocket can be held).
        """
        signals: asyncio.Queue[bool] = asyncio.Queue()  # True: finished (history may lag)

        async def check() -> dict[str, Any] | None:
            response = await self._request(
                client, "GET", f"/history/{prompt_id}", what=what, retry=False
            )
            entry = _json(response, what).get(prompt_id)
            if not entry:
                if await self.prompt_state(client, prompt_id) == "unknown":
                    raise OperationFailedError(
                        f"{what}: ComfyUI has no record of prompt {prompt_id} (server restarted "
                        "or history cleared); resubmit it under the same id"
                    )
                return None
            status = entry.get("status") or {}
            if status.get("status_str") == "error":
                raise OperationFailedError(f"{what}: ComfyUI failed: {_error_of(status)}")
            if not status.get("completed", True):
                return None
            return entry

        if submitted_at is None:  # an earlier process submitted it: look at once
            schedule = dataclasses.replace(schedule, first_poll=0.0)
        listener = asyncio.create_task(self._listen(prompt_id, output_node, on_progress, signals))
        waiters = [
            asyncio.create_task(_on_signal(signals, check)),
            asyncio.create_task(
                poll_until_done(
                    check,
                    schedule,
                    submitted_at=submitted_at,
                    is_quota_error=lambda exc: isinstance(exc, TransientError),
                    what=what,
                )
            ),
        ]
        tasks = [listener, *waiters]
        try:
            done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            try:
                entry = done.pop().result()
            except TransientError as exc:
                raise ProviderError(
                    f"{what}: still failing after {schedule.quota_window:g}s of retries: {exc}"
                ) from exc
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        _learn_latency(entry, latency_key, submitted_at)
        return _output_file(entry, output_node, what)

    async def _listen(
        self,
        prompt_id: str,
        output_node: str,
        on_progress: ProgressHook | None,
        signals: asyncio.Queue[bool],
    ) -> None:
        """Follow our prompt on the websocket: progress, and the moment it finished."""
        ws_url = self.url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
        try:
            async with websockets.connect(
                f"{ws_url}/ws?clientId={prompt_id}",
                additional_headers=self.headers,
                open_timeout=5,
                max_size=None,
            ) as ws:
                signals.put_nowait(False)  # it may have finished before we listened: one look
                await _follow(ws, prompt_id, output_node, on_progress, signals)
        except (OSError, websockets.WebSocketException, TimeoutError) as exc:
            log.info("comfyui websocket unavailable (%s); polling /history only", exc)


async def _on_signal(
    signals: asyncio.Queue[bool], check: Callable[[], Awaitable[dict[str, Any] | None]]
) -> dict[str, Any]:
    """Read /history each time the websocket says "look now". After a "finished" message the
    history may lag by a moment, so it is read again for a few seconds. Transient faults here
    are left to the polling path."""
    while True:
        lag = await signals.get()
        deadline = time.monotonic() + (HISTORY_LAG_SECONDS if lag else 0.0)
        while True:
            try:
                entry = await check()
            except TransientError:
                entry = None
            if entry is not None:
                return entry
            if time.monotonic() >= deadline or not signals.empty():
                break
            await asyncio.sleep(HISTORY_LAG_STEP)


FINISHED = ("execution_success", "execution_error", "execution_interrupted")


async def _follow(
    ws: ClientConnection,
    prompt_id: str,
    output_node: str,
    on_progress: ProgressHook | None,
    signals: asyncio.Queue[bool],
) -> None:
    async for raw in ws:
        if isinstance(raw, bytes):
            continue  # binary preview images
        message = json.loads(raw)
        data = message.get("data") or {}
        if data.get("prompt_id") != prompt_id:
            continue
        kind = message.get("type")
        if kind == "progress" and data.get("max") and on_progress is not None:
            on_progress(0.95 * float(data["value"]) / float(data["max"]))
        elif (
            kind in FINISHED
            or (kind == "executed" and str(data.get("node")) == output_node)
            or (kind == "executing" and data.get("node") is None)
        ):
            signals.put_nowait(True)


async def _retrying(call: Callable[[], Awaitable[Any]], policy: RetryPolicy, what: str) -> Any:
    return await with_retries(call, policy, what=what)


def _learn_latency(entry: dict[str, Any], key: str, submitted_at: float | None) -> None:
    """Submit → finished, by ComfyUI's own clock (the prompt's create_time and the time of its
    execution_success) rather than by when vidpipe noticed; falls back to our own clock."""
    finished = _timestamp(entry, "execution_success")
    created = None
    prompt = entry.get("prompt")
    if isinstance(prompt, list) and len(prompt) > 3 and isinstance(prompt[3], dict):
        created = prompt[3].get("create_time")
    if finished is not None and isinstance(created, (int, float)):
        LATENCY.observe(key, max(0.0, finished - created / 1000))
    elif submitted_at is not None:
        end = finished if finished is not None else time.time()
        LATENCY.observe(key, max(0.0, end - submitted_at))


def _timestamp(entry: dict[str, Any], message: str) -> float | None:
    """Seconds since the epoch of a status message in a history entry (ComfyUI: milliseconds)."""
    for name, data in (entry.get("status") or {}).get("messages") or []:
        if name == message and isinstance(data, dict) and "timestamp" in data:
            return float(data["timestamp"]) / 1000
    return None


def _failed_nodes(errors: dict[str, Any]) -> set[str]:
    """Nodes that failed validation, and the output nodes they take down."""
    failed = set()
    for node, error in errors.items():
        failed.add(str(node))
        if isinstance(error, dict):
            failed.update(str(n) for n in error.get("dependent_outputs") or [])
    return failed


def _describe_node_errors(errors: dict[str, Any]) -> str:
    parts = []
    for node, error in errors.items():
        if not isinstance(error, dict):
            parts.append(f"{node}: {error}")
            continue
        reasons = "; ".join(
            f"{e.get('message', '')} {e.get('details', '')}".strip()
            for e in error.get("errors") or []
            if isinstance(e, dict)
        )
        kind = error.get("class_type", "?")
        outputs = ", ".join(str(n) for n in error.get("dependent_outputs") or [])
        parts.append(f"node {node} ({kind}): {reasons or 'invalid'} [outputs {outputs}]")
    return "; ".join(parts)


def _json(response: httpx.Response, what: str) -> Any:
    """The body as JSON; a malformed body is a transient fault (a proxy's error page, a cut-off
    response): retried, or waited out while polling."""
    try:
        return response.json()
    except ValueError as exc:
        sample = response.text[:80]
        raise TransientError(f"{what}: malformed JSON from ComfyUI: {sample!r}") from exc


def _raise_for_status(response: httpx.Response, what: str) -> None:
    status = response.status_code
    if status < 400:
        return
    detail = response.text[:300]
    if status in (401, 403):
        raise auth_error("comfyui", status, detail, "VIDPIPE_COMFYUI_API_KEY")
    if is_transient_status(status):
        raise TransientError(
            f"{what}: HTTP {status}: {detail}",
            status=status,
            retry_after=retry_after_seconds(response.headers.get("retry-after")),
        )
    if status == 400 and "/prompt" in str(response.request.url):
        raise PromptRejected(
            f"{what}: ComfyUI refused the workflow: {_prompt_error(response)}", status=400
        )
    raise ProviderError(f"{what}: HTTP {status}: {detail}")


def _prompt_error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    error = body.get("error") or {}
    message = error.get("message", "") if isinstance(error, dict) else str(error)
    details = error.get("details", "") if isinstance(error, dict) else ""
    nodes = body.get("node_errors") or {}
    described = _describe_node_errors(nodes) if isinstance(nodes, dict) and nodes else ""
    return " ".join(part for part in (message, details, described) if part)


def _error_of(status: dict[str, Any]) -> str:
    for name, data in status.get("messages") or []:
        if name == "execution_error":
            return f"{data.get('node_type', '?')}: {data.get('exception_message', '').strip()}"
        if name == "execution_interrupted":
            return "interrupted"
    return "execution error"


def _output_file(entry: dict[str, Any], node: str, what: str) -> dict[str, Any]:
    outputs = entry.get("outputs") or {}
    found = outputs.get(node) or {}
    for key in ("images", "videos", "gifs", "video", "files"):
        for item in found.get(key) or []:
            if isinstance(item, dict) and item.get("filename"):
                return item
    raise ProviderError(
        f"{what}: node {node} saved no file (outputs: {sorted(outputs)}); check the template's "
        '"output" node'
    )
