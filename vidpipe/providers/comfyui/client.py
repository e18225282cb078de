"""ComfyUI's HTTP + websocket API, as vidpipe uses it.

  POST /upload/image            multipart upload of a keyframe (→ {"name", "subfolder", "type"})
  POST /prompt                  queue an API-format graph (→ {"prompt_id", "number"})
  GET  /history/{prompt_id}     {} while queued/running; outputs + status when finished
  GET  /queue                   running and pending prompts (tells "still queued" from "lost")
  GET  /view?filename=&subfolder=&type=   download an output file
  GET  /system_stats            version and devices (doctor; free)
  WS   /ws?clientId=            executing / progress / execution_success / execution_error

The prompt id is the operation id: waiting after a restart polls /history/{prompt_id}. /history is
polled on the shared PROV-5 schedule; the websocket, while this process holds it, reports progress.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

from vidpipe.config import Settings
from vidpipe.errors import BadInputError, OperationFailedError, ProviderError
from vidpipe.providers.calls import (
    RetryPolicy,
    TransientError,
    auth_error,
    is_transient_status,
    rate_limiter,
    retry_after_seconds,
    wait_for_operation,
    with_retries,
)
from vidpipe.providers.polling import PollSchedule

log = logging.getLogger(__name__)

ProgressHook = Callable[[float], None]


class PromptRejected(ProviderError):
    """ComfyUI refused the workflow (validation errors in its nodes)."""


class ComfyUI:
    """One ComfyUI server. A new HTTP client per `session()`, so no socket outlives its loop."""

    def __init__(self, settings: Settings, *, role: str, default_rpm: float | None) -> None:
        if not settings.comfyui_url:
            raise BadInputError("the comfyui provider needs a server: set VIDPIPE_COMFYUI_URL")
        self.settings = settings
        self.url = settings.comfyui_url.rstrip("/")
        self.role = role
        self.client_id = uuid.uuid4().hex
        self.policy = RetryPolicy.from_settings(settings)
        self.default_rpm = default_rpm
        key = settings.comfyui_api_key
        self.headers = {"Authorization": f"Bearer {key.get_secret_value()}"} if key else {}

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[httpx.AsyncClient]:
        async with httpx.AsyncClient(
            base_url=self.url,
            headers=self.headers,
            timeout=self.settings.provider_timeout_seconds,
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
        limited: bool = False,
        **kwargs: Any,
    ) -> httpx.Response:
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
        limiter = (
            rate_limiter(self.settings, f"comfyui:{self.role}", self.default_rpm)
            if limited
            else None
        )
        return await with_retries(once, self.policy, what=what, limiter=limiter)

    async def upload_image(self, client: httpx.AsyncClient, path: Path) -> str:
        """Upload a PNG; return the name a LoadImage node takes ("subfolder/name")."""
        data = path.read_bytes()
        name = f"vidpipe_{uuid.uuid5(uuid.NAMESPACE_URL, str(path.resolve())).hex[:16]}.png"
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
        return f"{subfolder}/{body['name']}" if subfolder else str(body["name"])

    async def queue(self, client: httpx.AsyncClient, graph: dict[str, Any], what: str) -> str:
        response = await self._request(
            client,
            "POST",
            "/prompt",
            what=what,
            limited=True,
            json={"prompt": graph, "client_id": self.client_id},
        )
        body = _json(response, what)
        if body.get("node_errors"):
            raise PromptRejected(f"{what}: ComfyUI refused the workflow: {body['node_errors']}")
        return str(body["prompt_id"])

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
        """The output file record of `output_node` once `prompt_id` has finished."""
        listener = asyncio.create_task(self._listen(prompt_id, on_progress))

        async def check() -> dict[str, Any] | None:
            response = await self._request(
                client, "GET", f"/history/{prompt_id}", what=what, retry=False
            )
            entry = _json(response, what).get(prompt_id)
            if not entry:
                if not await self._known(client, prompt_id, what):
                    raise OperationFailedError(
                        f"{what}: ComfyUI has no record of prompt {prompt_id} (server restarted "
                        "or history cleared)"
                    )
                return None
            status = entry.get("status") or {}
            if status.get("status_str") == "error":
                raise OperationFailedError(f"{what}: ComfyUI failed: {_error_of(status)}")
            if not status.get("completed", True):
                return None
            return _output_file(entry, output_node, what)

        try:
            return await wait_for_operation(
                check, schedule, what=what, submitted_at=submitted_at, latency_key=latency_key
            )
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await listener

    async def _known(self, client: httpx.AsyncClient, prompt_id: str, what: str) -> bool:
        response = await self._request(client, "GET", "/queue", what=what, retry=False)
        body = _json(response, what)
        for entry in [*body.get("queue_running", []), *body.get("queue_pending", [])]:
            if len(entry) > 1 and entry[1] == prompt_id:
                return True
        # finished between the two requests?
        again = await self._request(client, "GET", f"/history/{prompt_id}", what=what, retry=False)
        return bool(_json(again, what).get(prompt_id))

    async def _listen(self, prompt_id: str, on_progress: ProgressHook | None) -> None:
        """Progress of our prompt from the websocket (ComfyUI sends it to the client that queued
        the prompt, so a resumed process, with another client id, goes by /history alone)."""
        if on_progress is None:
            return
        ws_url = self.url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
        try:
            async with websockets.connect(
                f"{ws_url}/ws?clientId={self.client_id}",
                additional_headers=self.headers,
                open_timeout=5,
                max_size=None,
            ) as ws:
                await _follow(ws, prompt_id, on_progress)
        except (OSError, websockets.WebSocketException, TimeoutError) as exc:
            log.info("comfyui websocket unavailable (%s); polling /history only", exc)


async def _follow(ws: ClientConnection, prompt_id: str, on_progress: ProgressHook) -> None:
    async for raw in ws:
        if isinstance(raw, bytes):
            continue  # binary preview images
        message = json.loads(raw)
        data = message.get("data") or {}
        if data.get("prompt_id") != prompt_id:
            continue
        kind = message.get("type")
        if kind == "progress" and data.get("max"):
            on_progress(0.95 * float(data["value"]) / float(data["max"]))
        elif kind in ("execution_success", "execution_error", "execution_interrupted") or (
            kind == "executing" and data.get("node") is None
        ):
            return


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
        raise PromptRejected(f"{what}: ComfyUI refused the workflow: {_prompt_error(response)}")
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
    return " ".join(part for part in (message, details, json.dumps(nodes) if nodes else "") if part)


def _error_of(status: dict[str, Any]) -> str:
    for name, data in status.get("messages") or []:
        if name == "execution_error":
            return f"{data.get('node_type', '?')}: {data.get('exception_message', '').strip()}"
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
