"""The bearer token: when VIDPIPE_API_TOKEN is set, every request needs it.

Enforced twice. A middleware answers 401 before anything else happens: no body is read or
parsed, no route runs, nothing is written; only the health check and the API description are
open. A dependency on the routers declares the scheme in the OpenAPI document (and would refuse
too, were the middleware ever left out).

The web page proves the token once at /login and then carries a session cookie instead:
HttpOnly (no script reads it), SameSite=Strict (no other site's request carries it), Secure
under https. Its value is a random session id, new at every login, kept in the database (so
every server on it accepts it, and a restart keeps it) until logout or expiry
(vidpipe.api.sessions); it never holds the token itself. A request that
authenticates by cookie is a browser's, so vidpipe.web.security also asks it for a CSRF token
when it changes anything.
"""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from vidpipe.api.deps import SettingsDep
from vidpipe.api.sessions import LoginThrottle, SessionStore
from vidpipe.config import Settings

OPEN_PATHS = frozenset(
    {"/api/health", "/openapi.json", "/docs"}
    | {"/login", "/favicon.ico"}  # the web page's token form, and the icon browsers ask for
)
# the page's own CSS and scripts, Swagger UI's files: no project data
OPEN_PREFIXES = ("/static/", "/docs-static/")
SESSION_COOKIE = "vidpipe_session"
REFUSAL = (
    "missing or wrong bearer token: send `Authorization: Bearer <token>` with the value of "
    "VIDPIPE_API_TOKEN"
)
CHALLENGE = {"WWW-Authenticate": "Bearer"}
PASSED = "vidpipe_token_checked"  # set in the request's state by RequireToken


def api_token(settings: Settings) -> str | None:
    """The configured bearer token; an empty value counts as none."""
    token = settings.api_token.get_secret_value() if settings.api_token else ""
    return token or None


def carries(authorization: str | None, token: str) -> bool:
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(
        given.strip().encode(), token.encode()
    )


def session_id(cookie_header: str | None) -> str | None:
    return cookie_parser(cookie_header or "").get(SESSION_COOKIE) or None


async def has_session(cookie_header: str | None, sessions: SessionStore) -> bool:
    """The request carries a live session cookie, one that /login handed out."""
    return await sessions.is_live(session_id(cookie_header))


def passed(scope: Scope) -> bool:
    """RequireToken has let this request in (so the dependency need not ask the database again)."""
    return bool(scope.get("state", {}).get(PASSED))


def is_page(method: str, path: str) -> bool:
    """A browser navigating to a page (not the API): refused by a redirect to /login."""
    return method in ("GET", "HEAD") and not path.startswith("/api/")


class RequireToken:
    """ASGI middleware: 401 for every request but OPEN_PATHS without the right token (or the
    page's session cookie); a page asked for without it is sent to /login.

    Wrong bearer tokens count against the same per-client budget as wrong logins at /login:
    past it, every request that carries a token is answered 429 until the minute is over, the
    right token included, so guessing through the API is no faster than through the form."""

    def __init__(self, app: ASGIApp, token: str, throttle: LoginThrottle) -> None:
        self.app = app
        self.token = token
        self.throttle = throttle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            refusal = await self._refusal(scope)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
            scope.setdefault("state", {})[PASSED] = True
        await self.app(scope, receive, send)

    async def _refusal(self, scope: Scope) -> Response | None:
        """None when the request may go on; else the answer that refuses it."""
        path = _path(scope)
        if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
            return None
        headers = Headers(scope=scope)
        # the app's store, looked up per request (the database is attached at start)
        if await has_session(headers.get("cookie"), scope["app"].state.web_sessions):
            return None
        authorization = headers.get("authorization")
        if authorization is not None:
            client = scope["client"][0] if scope.get("client") else "unknown"
            wait = self.throttle.retry_after(client)
            if wait is not None:
                detail = f"too many wrong tokens from this client; try again in {wait} s"
                return JSONResponse({"detail": detail}, 429, headers={"Retry-After": str(wait)})
            if carries(authorization, self.token):
                self.throttle.succeeded(client)
                return None
            self.throttle.failed(client)
        if is_page(scope.get("method", "GET"), path):
            return RedirectResponse(f"/login?next={quote(path)}", status_code=303)
        return JSONResponse({"detail": REFUSAL}, status_code=401, headers=CHALLENGE)


def _path(scope: Scope) -> str:
    path, root = scope["path"], scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearerToken",
    description="The value of VIDPIPE_API_TOKEN, as `Authorization: Bearer <token>`.",
)


async def require_token(
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """The same check as a dependency: declares the scheme in the OpenAPI document."""
    token = api_token(settings)
    if token is None or passed(request.scope):
        return
    if await has_session(request.headers.get("cookie"), request.app.state.web_sessions):
        return
    given = f"Bearer {credentials.credentials}" if credentials is not None else None
    if not carries(given, token):
        raise HTTPException(status_code=401, detail=REFUSAL, headers=CHALLENGE)
