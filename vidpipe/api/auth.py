"""The bearer token (API-7): when VIDPIPE_API_TOKEN is set, every request needs it.

Enforced twice. A middleware answers 401 before anything else happens: no body is read or
parsed, no route runs, nothing is written; only the health check and the API description are
open. A dependency on the routers declares the scheme in the OpenAPI document (and would refuse
too, were the middleware ever left out).
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from vidpipe.api.deps import SettingsDep
from vidpipe.config import Settings

OPEN_PATHS = frozenset({"/api/health", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})
REFUSAL = (
    "missing or wrong bearer token: send `Authorization: Bearer <token>` with the value of "
    "VIDPIPE_API_TOKEN"
)
CHALLENGE = {"WWW-Authenticate": "Bearer"}


def api_token(settings: Settings) -> str | None:
    """The configured bearer token; an empty value counts as none."""
    token = settings.api_token.get_secret_value() if settings.api_token else ""
    return token or None


def carries(authorization: str | None, token: str) -> bool:
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(
        given.strip().encode(), token.encode()
    )


class RequireToken:
    """ASGI middleware: 401 for every request but OPEN_PATHS without the right token."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and not self._allowed(scope):
            response = JSONResponse({"detail": REFUSAL}, status_code=401, headers=CHALLENGE)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _allowed(self, scope: Scope) -> bool:
        path, root = scope["path"], scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        return path in OPEN_PATHS or carries(Headers(scope=scope).get("authorization"), self.token)


bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearerToken",
    description="The value of VIDPIPE_API_TOKEN, as `Authorization: Bearer <token>`.",
)


async def require_token(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """The same check as a dependency: declares the scheme in the OpenAPI document."""
    token = api_token(settings)
    if token is None:
        return
    given = f"Bearer {credentials.credentials}" if credentials is not None else None
    if not carries(given, token):
        raise HTTPException(status_code=401, detail=REFUSAL, headers=CHALLENGE)
