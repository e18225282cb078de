"""CSRF protection for the page, with or without VIDPIPE_API_TOKEN.

A double-submit token: the first page a browser gets sets a random `vidpipe_csrf` cookie
(HttpOnly, SameSite=Strict) and writes the same value into the page; every form carries it back
as `csrf_token`, every script request as `X-CSRF-Token`, and a write is refused (403, nothing
read or run) unless the two match. Another site can neither read the value nor make the browser
send the cookie (SameSite=Strict). On top of that a write whose `Origin` is another site's is
refused outright, so a cross-site form or `fetch` cannot reach even an open loopback API.

API clients (curl, scripts) send no cookies and no Origin; they keep using the API as before
(with the bearer token when one is set).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import parse_qs

from fastapi import Request
from starlette.datastructures import Headers, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import cookie_parser
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from vidpipe.api.auth import SESSION_COOKIE

CSRF_COOKIE = "vidpipe_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_FORM_BYTES = 64 * 1024  # the largest form is a 4,000-character prompt
MAX_FORM_FILES = 13  # the New video form's reference images (up to 12) and its music bed
CROSS_SITE = "cross-site request refused: this server only accepts writes from its own pages"
NO_TOKEN = "missing or wrong CSRF token: reload the page and try again"


def csrf_cookie(request: Request) -> str | None:
    value = request.cookies.get(CSRF_COOKIE)
    return value if value and len(value) >= 32 else None


def csrf_token_for(request: Request) -> str:
    """The token this page is rendered with: the browser's cookie, or a new one to set."""
    return csrf_cookie(request) or secrets.token_urlsafe(32)


def set_csrf_cookie(response: Response, token: str, *, secure: bool = False) -> None:
    response.set_cookie(
        CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure, path="/"
    )


def matches(cookie: str | None, given: str | None) -> bool:
    return bool(cookie and given) and secrets.compare_digest(
        str(cookie).encode(), str(given).encode()
    )


class FormRefused(Exception):
    """A page form that is refused before anything is read from it or done (rendered as a page)."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code


async def read_form(request: Request) -> dict[str, str]:
    """A urlencoded form (the page posts nothing else), after its CSRF token is checked."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise FormRefused(413, "The form is too large.")
    try:
        fields = parse_qs(body.decode(), keep_blank_values=True, max_num_fields=50)
    except (UnicodeDecodeError, ValueError):
        raise FormRefused(400, "The form could not be read.") from None
    form = {name: values[-1] for name, values in fields.items()}
    if not matches(csrf_cookie(request), form.get(CSRF_FIELD)):
        raise FormRefused(403, NO_TOKEN)
    refuse_nul(form)
    return form


def refuse_nul(fields: dict[str, str]) -> None:
    """A NUL character is no text a person types, and PostgreSQL cannot store it: the form is
    refused before anything is done with it (the JSON API refuses it as BodyLimits does)."""
    if any("\x00" in name or "\x00" in value for name, value in fields.items()):
        raise FormRefused(
            400, "The form holds a NUL character, which is not text; nothing was saved."
        )


@asynccontextmanager
async def read_form_with_files(
    request: Request,
) -> AsyncIterator[tuple[dict[str, str], dict[str, UploadFile]]]:
    """A form that may carry files (multipart: New video with reference images), after its CSRF
    token is checked; its files are only spooled (by Starlette) until then, and closed after.
    A urlencoded form (no files) is read as read_form reads it."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        yield await read_form(request), {}
        return
    try:
        form = await request.form(
            max_files=MAX_FORM_FILES, max_fields=60, max_part_size=MAX_FORM_BYTES
        )
    except StarletteHTTPException:
        raise FormRefused(400, "The form could not be read.") from None
    try:
        fields: dict[str, str] = {}
        files: dict[str, UploadFile] = {}
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                files[name] = value
            else:
                fields[name] = value
        if not matches(csrf_cookie(request), fields.get(CSRF_FIELD)):
            raise FormRefused(403, NO_TOKEN)
        refuse_nul(fields)
        yield fields, files
    finally:
        await form.close()


class GuardBrowserWrites:
    """ASGI middleware: refuses (403) a write from another site, and a script's write to the API
    that authenticates by the page's cookies without the page's CSRF token."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            problem = refusal(scope)
            if problem:
                await JSONResponse({"detail": problem}, status_code=403)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def refusal(scope: Scope) -> str | None:
    headers = Headers(scope=scope)
    origin = headers.get("origin")
    own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"
    if (origin is not None and origin != own) or headers.get("sec-fetch-site") == "cross-site":
        return CROSS_SITE
    if not scope["path"].startswith("/api/") or headers.get("authorization"):
        return None  # pages check the form's token; a bearer token is no browser's
    cookies = cookie_parser(headers.get("cookie", ""))
    if (CSRF_COOKIE in cookies or SESSION_COOKIE in cookies) and not matches(
        cookies.get(CSRF_COOKIE), headers.get(CSRF_HEADER)
    ):
        return NO_TOKEN
    return None
