"""fal.ai's queue REST API over httpx: submit, status, result, cancel, storage upload, pricing.

Why not `fal-client`: its requests go through `_maybe_retry_request`, which re-sends up to 10
times on 408/409/429, 502/503/504, any transport error and any read time-out — submits included
— so a submit whose answer was lost is sent again and, once both produce a clip, billed twice.
Its hosts are fixed `https://` strings read at import (only the undocumented FAL_QUEUE_RUN_HOST /
FAL_RUN_HOST move two of them) and its storage hosts cannot be moved at all, so it cannot be
pointed at a loopback fake or a proxy. fal documents the queue protocol itself, so vidpipe speaks
it directly: every paid request is one ledgered attempt, re-sent only when certainly not accepted.

Hosts (fal's own, or under `VIDPIPE_FAL_BASE_URL` as `/queue`, `/run`, `/rest`, `/api`):
  queue   POST {queue}/{model id}                              → request_id, *_url
          GET  {queue}/{owner}/{alias}/requests/{id}/status    → IN_QUEUE | IN_PROGRESS | COMPLETED
          GET  {queue}/{owner}/{alias}/requests/{id}           → the model's output, or the
                                                                 failure with its own HTTP status
          PUT  {queue}/{owner}/{alias}/requests/{id}/cancel    → 202, or 400 when completed
  storage POST {rest}/storage/auth/token?storage_type=fal-cdn-v3 → token, base_url
          POST {base_url}/files/upload                          → access_url
  pricing GET  {api}/v1/models/pricing?endpoint_id=…
Status and result live under `owner/alias` only (never the model's sub-path).

A request fal failed is COMPLETED with `error` (and `error_type`) in its status; its result
answers with the failure's HTTP status. A request error of fal's own (runner disconnected, timed
out, never scheduled: `{"detail": "…", "error_type": "…"}` and the `X-Fal-Error-Type` header) with
a 5xx status is not billed by fal ("failed requests that return 5xx status codes are not billed");
a 5xx without an error type is fal's ingress, and is asked again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from vidpipe.config import Settings
from vidpipe.errors import BadInputError, ProviderError, UnbilledFailureError
from vidpipe.providers.calls import (
    RetryPolicy,
    TransientError,
    auth_error,
    rate_limiter,
    retry_after_seconds,
    with_retries,
)
from vidpipe.providers.fal.settings import FalSettings
from vidpipe.providers.tls import tls_context

T = TypeVar("T")

QUEUE_HOST = "https://queue.fal.run"
RUN_HOST = "https://fal.run"
REST_HOST = "https://rest.fal.ai"
API_HOST = "https://api.fal.ai"
KEY_SETTING = "FAL_KEY (or VIDPIPE_FAL_KEY)"
# Answers that say fal's queue never took the request: a rate limit, or an ingress error that
# carries no fal request id (the request never reached the queue service).
INGRESS_STATUSES = frozenset({502, 503})


@dataclass(frozen=True)
class Hosts:
    queue: str
    run: str
    rest: str
    api: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Hosts:
        base = (settings.provider(FalSettings).base_url or "").rstrip("/")
        if not base:
            return cls(QUEUE_HOST, RUN_HOST, REST_HOST, API_HOST)
        return cls(f"{base}/queue", f"{base}/run", f"{base}/rest", f"{base}/api")


def app_of(model_id: str) -> str:
    """`owner/alias` of a model id such as `fal-ai/kling-video/v4/image-to-video`."""
    parts = model_id.strip("/").split("/")
    if len(parts) < 2:
        raise BadInputError(f"fal model ids look like owner/alias[/path], not {model_id!r}")
    return "/".join(parts[:2])


@dataclass(frozen=True)
class QueueStatus:
    state: str  # IN_QUEUE | IN_PROGRESS | COMPLETED
    queue_position: int | None = None
    error: str | None = None
    error_type: str | None = None


def check_key(settings: Settings) -> str:
    key = settings.provider(FalSettings).key
    if key is None or not key.get_secret_value():
        raise BadInputError("the fal provider needs an API key: set FAL_KEY (or VIDPIPE_FAL_KEY)")
    return key.get_secret_value()


def translate(exc: BaseException, what: str) -> BaseException:
    """An httpx error as ProviderAuthError, TransientError or ProviderError."""
    if isinstance(exc, httpx.HTTPStatusError):
        response = exc.response
        status = response.status_code
        detail = error_detail(response)
        if status in (401, 403):
            return auth_error("fal", status, detail, KEY_SETTING)
        if status == 429 or status == 408 or status >= 500:
            ingress = status in INGRESS_STATUSES and "x-fal-request-id" not in response.headers
            return TransientError(
                f"{what}: HTTP {status}: {detail}",
                status=status,
                retry_after=retry_after_seconds(response.headers.get("retry-after")),
                certainly_unsent=status == 429 or ingress,
            )
        if status == 404:
            return ProviderError(f"{what}: not found (HTTP 404: {detail})", status=404)
        return ProviderError(f"{what}: HTTP {status}: {detail}", status=status)
    if isinstance(exc, json.JSONDecodeError):
        return TransientError(f"{what}: malformed JSON from fal ({exc.msg})")
    if isinstance(exc, httpx.TransportError):
        return TransientError(
            f"{what}: {type(exc).__name__}: {exc or 'connection failed'}",
            certainly_unsent=isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout),
        )
    return exc


class FalServerError(UnbilledFailureError):
    """fal failed the request with its own server error (a 5xx request error), which fal does
    not bill; sending it again is the remedy."""

    def __init__(self, what: str, status: int, error_type: str, detail: str) -> None:
        super().__init__(
            f"{what} failed at fal with a server error ({error_type}, HTTP {status}: {detail}); "
            "fal does not bill it, and resume sends it again",
            status=status,
        )
        self.error_type = error_type


def request_error_type(response: httpx.Response) -> str | None:
    """fal's machine-readable category of a failed request: the `X-Fal-Error-Type` header, or
    `error_type` in the flat body of a request error."""
    header = response.headers.get("x-fal-error-type")
    if header:
        return header
    try:
        body = response.json()
    except ValueError:
        return None
    value = body.get("error_type") if isinstance(body, dict) else None
    return str(value) if value else None


def server_failure(response: httpx.Response, what: str) -> FalServerError | None:
    """The result endpoint's answer as fal's own server error (not billed), when it is one: a
    5xx carrying an error type. A bare 5xx is fal's ingress and stays transient."""
    if response.status_code < 500:
        return None
    error_type = request_error_type(response)
    if error_type is None:
        return None
    return FalServerError(what, response.status_code, error_type, error_detail(response))


def error_detail(response: httpx.Response) -> str:
    """fal's message: `detail` (a string or a list of validation errors), else the body."""
    try:
        body = response.json()
    except ValueError:
        return " ".join(response.text.split())[:300]
    if isinstance(body, dict):
        detail = body.get("detail", body.get("error", body))
        if isinstance(detail, list):
            return "; ".join(
                f"{'.'.join(str(p) for p in item.get('loc', []))}: {item.get('msg', item)}"
                if isinstance(item, dict)
                else str(item)
                for item in detail
            )[:500]
        return str(detail)[:500]
    return str(body)[:300]


class FalQueue:
    """One fal account: the queue, storage and pricing, with vidpipe's retry and ledger rules."""

    def __init__(self, settings: Settings, *, role: str) -> None:
        self.settings = settings
        self.key = check_key(settings)
        self.hosts = Hosts.from_settings(settings)
        self.policy = RetryPolicy.from_settings(settings)
        self.role = role
        self._uploaded: dict[str, str] = {}  # content hash → fal storage URL (this process)

    # ------------------------------------------------------------ plumbing

    @contextlib.asynccontextmanager
    async def _http(self, timeout: float | None = None) -> AsyncIterator[httpx.AsyncClient]:
        """A fresh client per use: no sockets outlive the event loop that opened them (the TLS
        context is the process's one: loading the CA bundle per poll was most of a run's CPU)."""
        async with httpx.AsyncClient(
            timeout=timeout or self.settings.provider_timeout_seconds,
            verify=tls_context(),
            headers={"Authorization": f"Key {self.key}", "Accept": "application/json"},
            follow_redirects=True,
        ) as client:
            yield client

    async def _once(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        """One request, errors translated, no retry."""
        try:
            return await call()
        except Exception as exc:
            translated = translate(exc, what)
            if translated is exc:
                raise
            raise translated from exc

    async def _json(
        self, method: str, url: str, what: str, *, timeout: float | None = None, **kwargs: Any
    ) -> Any:
        async def call() -> Any:
            async with self._http(timeout) as http:
                response = await http.request(method, url, **kwargs)
                response.raise_for_status()
                return response.json()

        return await self._once(what, call)

    # ------------------------------------------------------------ queue

    async def submit(self, model_id: str, arguments: dict[str, Any], *, what: str) -> str:
        """Queue one paid request; its request id. Each attempt is a ledger row; an attempt
        whose outcome is unknown (time-out, dropped connection, 5xx from fal itself) is never
        re-sent: fal documents no idempotency key, so it raises OutcomeUnknownError."""

        async def once() -> str:
            body = await self._json(
                "POST",
                f"{self.hosts.queue}/{model_id.strip('/')}",
                what,
                timeout=self.settings.provider_submit_timeout_seconds,
                json=arguments,
            )
            request_id = body.get("request_id") if isinstance(body, dict) else None
            if not request_id:
                raise ProviderError(f"{what}: fal answered without a request_id")
            return str(request_id)

        limiter = rate_limiter(self.settings, f"fal:{self.role}", None)
        return await with_retries(
            once, self.policy, what=what, limiter=limiter, billable=True, resend_unknown=False
        )

    def _request_url(self, model_id: str, request_id: str) -> str:
        return f"{self.hosts.queue}/{app_of(model_id)}/requests/{request_id}"

    async def status(self, model_id: str, request_id: str, *, what: str) -> QueueStatus:
        body = await self._json(
            "GET", f"{self._request_url(model_id, request_id)}/status", what, params={"logs": 0}
        )
        if not isinstance(body, dict) or body.get("status") not in (
            "IN_QUEUE",
            "IN_PROGRESS",
            "COMPLETED",
        ):
            raise TransientError(f"{what}: unexpected status answer {str(body)[:200]}")
        return QueueStatus(
            state=body["status"],
            queue_position=body.get("queue_position"),
            error=body.get("error"),
            error_type=body.get("error_type"),
        )

    async def result(self, model_id: str, request_id: str, *, what: str) -> dict[str, Any]:
        """The output; a request fal failed with its own server error raises FalServerError."""

        async def call() -> Any:
            async with self._http() as http:
                response = await http.get(self._request_url(model_id, request_id))
                failure = server_failure(response, what)
                if failure is not None:
                    raise failure
                response.raise_for_status()
                return response.json()

        body = await self._once(what, call)
        if not isinstance(body, dict):
            raise ProviderError(f"{what}: fal's result is not an object")
        return body

    async def cancel(self, model_id: str, request_id: str) -> bool:
        """Ask fal to drop a queued request (nothing is billed for it); True when accepted."""
        url = f"{self._request_url(model_id, request_id)}/cancel"
        try:
            async with self._http(timeout=5.0) as http:
                response = await http.put(url)
        except httpx.HTTPError:
            return False
        return response.status_code in (200, 202)

    # ------------------------------------------------------------ files

    async def upload(self, data: bytes, content_type: str, file_name: str) -> str:
        """A fal storage URL for `data`, uploaded once per content hash in this process."""
        digest = hashlib.sha256(data).hexdigest()
        known = self._uploaded.get(digest)
        if known is not None:
            return known
        what = f"fal: upload {file_name}"

        async def token() -> dict[str, Any]:
            return await self._json(
                "POST",
                f"{self.hosts.rest}/storage/auth/token",
                what,
                params={"storage_type": "fal-cdn-v3"},
                json={},
            )

        async def put(grant: dict[str, Any]) -> str:
            async def call() -> str:
                async with httpx.AsyncClient(
                    timeout=self.settings.provider_timeout_seconds, verify=tls_context()
                ) as h:
                    response = await h.post(
                        f"{str(grant['base_url']).rstrip('/')}/files/upload",
                        content=data,
                        headers={
                            "Authorization": f"{grant['token_type']} {grant['token']}",
                            "Content-Type": content_type,
                            "X-Fal-File-Name": file_name,
                        },
                    )
                    response.raise_for_status()
                    return str(response.json()["access_url"])

            return await self._once(what, call)

        # Uploads are free and idempotent (the same bytes again), so they are simply retried.
        grant = await with_retries(token, self.policy, what=what)
        url = await with_retries(lambda: put(grant), self.policy, what=what)
        self._uploaded[digest] = url
        return url

    async def download(self, url: str, *, what: str) -> bytes:
        async def call() -> bytes:
            async with httpx.AsyncClient(
                timeout=self.settings.provider_timeout_seconds,
                follow_redirects=True,
                verify=tls_context(),
            ) as http:
                response = await http.get(url)
                response.raise_for_status()
                return response.content

        return await with_retries(lambda: self._once(what, call), self.policy, what=what)

    # ------------------------------------------------------------ free calls

    async def prices(self, model_ids: list[str]) -> dict[str, tuple[float, str]]:
        """fal's pricing endpoint: model id → (unit price in USD, unit), where the key may ask."""
        body = await self._json(
            "GET",
            f"{self.hosts.api}/v1/models/pricing",
            "fal: pricing",
            params=[("endpoint_id", model_id) for model_id in model_ids],
        )
        found: dict[str, tuple[float, str]] = {}
        for item in (body or {}).get("prices", []) if isinstance(body, dict) else []:
            try:
                found[str(item["endpoint_id"])] = (float(item["unit_price"]), str(item["unit"]))
            except (KeyError, TypeError, ValueError):
                continue
        return found
