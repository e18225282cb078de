"""The server's outer gates, in front of the token, the CSRF guard and every route.

Three ASGI middlewares, outermost first:

- `HostAllowlist`: a request whose `Host` is not one of this server's names is refused (400)
  before anything else. A page on `http://evil.example:PORT` whose name an attacker points at
  127.0.0.1 (DNS rebinding) is same-origin to itself, so the Origin check cannot see it; its
  requests still say `Host: evil.example:PORT`, and that is refused here.
- `TrustedProxies`: behind a proxy the request's scheme (and client) come from
  `X-Forwarded-Proto` / `X-Forwarded-For`, believed only when the connection comes from a
  configured proxy address; anyone else's headers are ignored.
- `BodyLimits`: bodies are capped while they are read (a declared or streamed body over the cap
  is refused with 413 after at most the cap has been read); multipart bodies are capped in total
  and in parts. A JSON body is then parsed strictly once: `NaN`/`Infinity` literals, lone
  surrogates (which no database or reply can encode), NUL characters (which PostgreSQL cannot
  store in text) and absurd nesting are refused with 422 before a route sees them (answered by
  `RefuseBadJson`, which sits inside the token check, so a client without the token gets 401).

Behind them, `store_upload` holds each uploaded file (a reference image, a music bed) to its own
size cap (`read_capped`) and checks it off the event loop, for the routes and the page's form
alike.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import starlette.datastructures
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vidpipe.api.errors import field_error
from vidpipe.api.offload import off_loop
from vidpipe.config import Settings
from vidpipe.errors import BadInputError

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARDS = frozenset({"0.0.0.0", "::", ""})
MIB = 1024 * 1024
_SURROGATE = re.compile("[\ud800-\udfff]")
NUL = "\x00"
MAX_JSON_DEPTH = 64


def mib(size: int) -> str:
    """A byte count as people read limits: MiB, one decimal, the same everywhere."""
    return f"{size / MIB:.1f} MiB"


async def read_capped(
    file: starlette.datastructures.UploadFile,
    cap: int,
    field: str,
    too_big: Callable[[int | None], str],
) -> bytes:
    """An upload's bytes, or a 422 naming `field` when it is larger than `cap` (told by the
    spooled size before reading, else by reading one byte more than allowed)."""
    if file.size is not None and file.size > cap:
        raise field_error(field, too_big(file.size))
    data = await file.read(cap + 1)
    if len(data) > cap:
        raise field_error(field, too_big(None))
    return data


T = TypeVar("T")


async def store_upload(
    settings: Settings,
    file: starlette.datastructures.UploadFile,
    field: str,
    cap: int,
    too_big: Callable[[int | None], str],
    store: Callable[[bytes], T],
) -> tuple[bytes, T]:
    """An upload read to its cap, then checked and kept by `store` off the event loop (decoding
    and hashing are CPU work); a file `store` refuses is a 422 naming `field`, nothing kept."""
    data = await read_capped(file, cap, field, too_big)
    try:
        return data, await off_loop(settings.cpu_workers, store, data)
    except BadInputError as exc:
        raise field_error(field, str(exc)) from None


def split_list(value: str) -> list[str]:
    """A comma-separated setting (VIDPIPE_ALLOWED_HOSTS, VIDPIPE_TRUSTED_PROXIES) as a list."""
    return [item.strip().lower() for item in value.split(",") if item.strip()]


def host_name(header: str) -> str | None:
    """The name of a Host header without its port (`[::1]:80` → `::1`); None when malformed."""
    value = header.strip().lower()
    if value.startswith("["):
        name, bracket, rest = value[1:].partition("]")
        if not bracket or (rest and not re.fullmatch(r":[0-9]{1,5}", rest)):
            return None
        return name
    name, _, port = value.partition(":")
    if port and not re.fullmatch(r"[0-9]{1,5}", port):
        return None
    return name or None


def is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class HostAllowlist:
    """ASGI middleware: 400 unless the Host header names this server.

    Allowed by default: the loopback names and the address the server is bound to; when bound to
    every interface (0.0.0.0, which needs a token), any IP address literal too (a rebinding page
    always sends a name). VIDPIPE_ALLOWED_HOSTS adds names (`video.example.org`, `*.example.org`;
    `*` turns the check off, for a proxy that checks it)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        bound = settings.host.strip().strip("[]").lower()
        self.names = set(LOOPBACK_NAMES) | ({bound} - WILDCARDS)
        self.any_ip = bound in WILDCARDS
        extra = split_list(settings.allowed_hosts)
        self.everyone = "*" in extra
        self.names |= {name.strip("[]") for name in extra if not name.startswith("*.")}
        self.suffixes = tuple(name[1:] for name in extra if name.startswith("*."))

    def allows(self, header: str | None) -> bool:
        if self.everyone:
            return True
        name = host_name(header or "")
        if name is None:
            return False
        return (
            name in self.names
            or name.endswith(self.suffixes)
            and bool(self.suffixes)
            or (self.any_ip and is_ip(name))
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            host = Headers(scope=scope).get("host")
            if not self.allows(host):
                response = PlainTextResponse(
                    "unknown Host header: this server answers only to its own names "
                    "(set VIDPIPE_ALLOWED_HOSTS for a proxy's name)",
                    status_code=400,
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def proxy_networks(proxies: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    try:
        return [ipaddress.ip_network(item, strict=False) for item in proxies]
    except ValueError as exc:
        raise BadInputError(f"invalid VIDPIPE_TRUSTED_PROXIES: {exc}") from None


class TrustedProxies:
    """ASGI middleware: the scheme and client address a trusted proxy reports.

    Only a connection from an address in VIDPIPE_TRUSTED_PROXIES (IPs or networks) is believed;
    then `X-Forwarded-Proto` sets the scheme (cookies become `Secure` under https) and the last
    `X-Forwarded-For` entry the client (login throttling counts per client)."""

    def __init__(self, app: ASGIApp, proxies: Iterable[str]) -> None:
        self.app = app
        self.networks = proxy_networks(proxies)

    def trusts(self, client: Any) -> bool:
        if not client:
            return False
        try:
            address = ipaddress.ip_address(client[0])
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.trusts(scope.get("client")):
            headers = Headers(scope=scope)
            scope = dict(scope)
            proto = headers.get("x-forwarded-proto", "").split(",")[-1].strip().lower()
            if proto in ("http", "https"):
                scope["scheme"] = proto if scope["type"] == "http" else proto.replace("http", "ws")
            forwarded = headers.get("x-forwarded-for", "").split(",")[-1].strip()
            if forwarded and is_ip(forwarded):
                scope["client"] = (forwarded, 0)
        await self.app(scope, receive, send)


def install_guards(app: Starlette, settings: Settings) -> None:
    """Added last, so they run first: Host, then the proxy's scheme, then the body caps."""
    app.add_middleware(BodyLimits, settings=settings)
    proxies = split_list(settings.trusted_proxies)
    proxy_networks(proxies)  # a bad value is refused now, before anything listens
    if proxies:
        app.add_middleware(TrustedProxies, proxies=proxies)
    app.add_middleware(HostAllowlist, settings=settings)


class BodyTooLarge(StarletteHTTPException):
    """Raised from the wrapped `receive` when the body passes its cap: a 413 wherever it is
    caught (FastAPI passes an HTTPException raised while parsing a body through as it is)."""

    def __init__(self, message: str) -> None:
        super().__init__(413, message, headers={"Connection": "close"})


class BadJson(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)


def _refuse_constant(name: str) -> Any:
    raise BadJson(f"{name} is not a JSON number; send a finite number")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e999
        raise BadJson(f"{text[:20]} is out of range; send a finite number")
    return number


def check_json(body: bytes) -> str | None:
    """Why a JSON body is refused (NaN/Infinity, a lone surrogate or NUL, too deep); None when it is
    fine or is not JSON at all (the route's own parser then says what is wrong)."""
    try:
        data = json.loads(body, parse_constant=_refuse_constant, parse_float=_finite)
    except BadJson as exc:
        return str(exc)
    except RecursionError:
        return "the JSON is nested too deeply"
    except ValueError:
        return None  # not JSON: FastAPI answers with its own 422
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return "the JSON is nested too deeply"
        if isinstance(value, str):
            if _SURROGATE.search(value):
                return "a string holds a lone surrogate (\\ud800-\\udfff): not text"
            if NUL in value:
                return "a string holds a NUL character (\\u0000): not text"
        elif isinstance(value, dict):
            for key, item in value.items():
                if _SURROGATE.search(key):
                    return "a key holds a lone surrogate (\\ud800-\\udfff): not text"
                if NUL in key:
                    return "a key holds a NUL character (\\u0000): not text"
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    return None


def is_json(content_type: str) -> bool:
    kind = content_type.split(";")[0].strip().lower()
    return kind == "" or kind == "application/json" or kind.endswith("+json")


class BodyLimits:
    """ASGI middleware: bodies capped while read; multipart capped in total and in parts; JSON
    parsed strictly once (see the module's docstring)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.max_body = settings.max_body_bytes
        self.max_upload = settings.max_upload_bytes
        self.max_parts = settings.max_upload_parts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        content_type = headers.get("content-type", "")
        multipart = content_type.lower().startswith("multipart/")
        cap = self.max_upload if multipart else self.max_body
        setting = "VIDPIPE_MAX_UPLOAD_BYTES" if multipart else "VIDPIPE_MAX_BODY_BYTES"
        too_large = f"the request body is larger than {mib(cap)} ({setting})"
        declared = headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and len(declared) < 20 and int(declared) > cap:
            await _refuse(scope, receive, send, 413, too_large)
            return
        if not multipart and is_json(content_type):
            await self._strict_json(scope, receive, send, cap, too_large)
            return
        boundary = _boundary(content_type) if multipart else None
        counter = _PartCounter(boundary) if boundary else None
        read = 0
        started = False

        async def capped() -> Message:
            nonlocal read
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                read += len(chunk)
                if read > cap:
                    raise BodyTooLarge(too_large)
                if counter is not None and counter.feed(chunk) > self.max_parts:
                    raise BodyTooLarge(
                        f"the form has more than {self.max_parts} parts (VIDPIPE_MAX_UPLOAD_PARTS)"
                    )
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, capped, watched)
        except BodyTooLarge as exc:
            if started:
                raise
            await _refuse(scope, receive, send, 413, str(exc.detail))

    async def _strict_json(
        self, scope: Scope, receive: Receive, send: Send, cap: int, too_large: str
    ) -> None:
        chunks: list[bytes] = []
        read = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            read += len(chunk)
            if read > cap:
                await _refuse(scope, receive, send, 413, too_large)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        problem = check_json(body) if body else None
        if problem:  # answered by RefuseBadJson, inside the token check: 401 comes first
            scope = {**scope, BAD_JSON: problem}
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


BAD_JSON = "vidpipe.bad_json"  # the scope key BodyLimits leaves its JSON refusal under


class RefuseBadJson:
    """ASGI middleware, inside the token check: answers 422 for a JSON body BodyLimits found
    wanting (NaN, a lone surrogate or NUL, too deep), so a client without the token learns
    nothing from its body but 401."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        problem = scope.get(BAD_JSON)
        if problem:
            detail = [{"loc": ["body"], "msg": problem, "type": "json_invalid"}]
            await JSONResponse({"detail": detail}, status_code=422)(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
    # Connection: close, so that the unread rest of the body is not taken for the next request.
    response = JSONResponse(
        {"detail": message}, status_code=status, headers={"Connection": "close"}
    )
    await response(scope, receive, send)


def _boundary(content_type: str) -> bytes | None:
    found = re.search(r'boundary="?([^";]{1,200})"?', content_type, re.IGNORECASE)
    return found.group(1).encode("latin-1", "replace") if found else None


class _PartCounter:
    """Counts the delimiters of a multipart body as it streams (a delimiter may straddle two
    chunks: the tail of the previous chunk is kept)."""

    def __init__(self, boundary: bytes) -> None:
        self.delimiter = b"--" + boundary
        self.tail = b""
        self.count = 0

    def feed(self, chunk: bytes) -> int:
        data = self.tail + chunk
        self.count += data.count(self.delimiter)
        keep = len(self.delimiter) - 1
        tail = data[-keep:] if keep else b""
        self.tail = tail
        return max(0, self.count - 1)  # the last delimiter closes the body
