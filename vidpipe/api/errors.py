"""Domain errors → HTTP: unknown id 404, busy or not resumable 409, bad input 422; nothing written.

422 bodies always have FastAPI's shape, `{"detail": [{"loc", "msg", "type"}]}`, whether the
request failed schema validation or a rule below it (a provider's capabilities, the budget).
"""

from __future__ import annotations

import math
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from vidpipe.errors import (
    BadInputError,
    NotResumableError,
    ProjectBusyError,
    ProjectNotFoundError,
    StitchFailedError,
    VersionRequiredError,
    VidpipeError,
)
from vidpipe.orchestrator.edits import ProjectRunningError, StoryboardChangedError
from vidpipe.orchestrator.leases import NotRunningError

# The use cases' refusals that HTTP spells with a status of their own (most specific first);
# any other BadInputError is a 422 with a `loc`. The page answers with the same statuses.
STATUSES: tuple[tuple[type[VidpipeError], int], ...] = (
    (ProjectNotFoundError, 404),
    (VersionRequiredError, 428),
    (StoryboardChangedError, 412),
    (ProjectRunningError, 409),
    (NotRunningError, 409),
    (NotResumableError, 409),
    (ProjectBusyError, 409),
    (StitchFailedError, 500),
    (BadInputError, 422),
)


def status_of(exc: VidpipeError) -> int:
    """The HTTP status of a use case's refusal (500 for a failure none names)."""
    return next((code for kind, code in STATUSES if isinstance(exc, kind)), 500)


def field_error(field: str | None, message: str, *, where: str = "body") -> RequestValidationError:
    location = [where, field] if field else [where]
    return RequestValidationError([{"loc": location, "msg": message, "type": "value_error"}])


def body_error(exc: VidpipeError) -> RequestValidationError:
    """A rule's refusal as a field error of the body: its field is the `loc`."""
    return field_error(exc.field, exc.worded())


def _detail(status: int, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=status)


async def _refused(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, VidpipeError)
    return _detail(status_of(exc), exc)


async def _bad_input(request: Request, exc: Exception) -> JSONResponse:
    """A rule's refusal as a field error where the request carries that field: the path's
    scene or take, a query parameter, else the body."""
    assert isinstance(exc, BadInputError)
    if exc.field in request.path_params:
        return await invalid_response(request, field_error(exc.field, exc.worded(), where="path"))
    if exc.field in request.query_params:
        return await invalid_response(request, field_error(exc.field, exc.worded(), where="query"))
    return await invalid_response(request, body_error(exc))


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's 405 names only the methods of the first route of the path; a resource served
    by several routes (GET and PATCH, from two routers) gets all its methods in `Allow`, read
    from the OpenAPI document so that the two always agree."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 405:
        allowed = _methods_of(request.app, request.url.path)
        if allowed:
            exc.headers = {**(exc.headers or {}), "Allow": ", ".join(allowed)}
    return await http_exception_handler(request, exc)


def _methods_of(app: FastAPI, path: str) -> list[str]:
    for template, operations in app.openapi()["paths"].items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            return sorted(method.upper() for method in operations)
    return []


MAX_ECHO = 120  # characters of a refused value a 422 repeats; never a whole large input
# characters of a 422's message: room for the whole of the rules' own sentences (a provider's
# set-up line names two settings), still short when a message quotes a long input
MAX_MESSAGE = 1000


def _echo(value: Any, limit: int = MAX_ECHO) -> Any:
    """A refused input as a 422 may show it: short, finite, encodable, or left out."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**18:
        return f"{str(value)[:20]}… ({len(str(value))} digits)"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        text = value.encode("utf-8", "backslashreplace").decode("utf-8")
        return text if len(text) <= limit else f"{text[:limit]}… ({len(value)} characters)"
    if value is None or isinstance(value, bool | int | float):
        return value
    return None  # a list or object: the location says which one


async def invalid_response(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422, but an input is never echoed whole (a 10 MB prompt is not sent back) and
    a NaN or a lone surrogate in it cannot turn the refusal into a 500."""
    assert isinstance(exc, RequestValidationError)
    errors = []
    for error in exc.errors():
        shown = {key: error[key] for key in ("type", "loc", "msg") if key in error}
        shown["loc"] = [_echo(part) for part in shown.get("loc", ())]
        shown["msg"] = _echo(str(shown.get("msg", "")), MAX_MESSAGE)
        if "input" in error and _echo(error["input"]) is not None:
            shown["input"] = _echo(error["input"])
        errors.append(shown)
    return JSONResponse({"detail": errors}, status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, invalid_response)
    # Starlette picks the handler of the most specific class, so the subclasses of
    # BadInputError below win over its generic 422.
    for kind, code in STATUSES:
        app.add_exception_handler(kind, _bad_input if code == 422 else _refused)
    app.add_exception_handler(StarletteHTTPException, _http_error)
