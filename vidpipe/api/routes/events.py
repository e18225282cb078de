"""GET /api/projects/{id}/events: progress as Server-Sent Events."""

from __future__ import annotations

import anyio
from fastapi import APIRouter
from sse_starlette import EventSourceResponse

from vidpipe.api.deps import ProjectDep, RunnerDep, SessionsDep, SettingsDep
from vidpipe.api.events import __doc__ as EVENTS_DOC
from vidpipe.api.events import project_events
from vidpipe.api.schemas import NOT_FOUND

router = APIRouter(prefix="/api/projects/{project_id}", tags=["events"])

# One event of the stream, as OpenAPI 3.1 tools read `schema` under text/event-stream (before
# 3.2's `itemSchema`): the fields of an SSE event; `data` is one line of JSON.
SSE_EVENT = {
    "type": "object",
    "required": ["event", "data"],
    "properties": {
        "event": {"type": "string", "enum": ["status", "progress", "end"]},
        "data": {"type": "string", "description": "A JSON document (see the description)."},
        "id": {"type": "string"},
        "retry": {"type": "integer", "minimum": 0},
    },
}
SHUTDOWN_GRACE = 2.0  # seconds an open stream has to end by itself when the server stops


@router.get(
    "/events",
    response_class=EventSourceResponse,
    responses={
        200: {
            "description": "An event stream; it ends once nothing works on the project.",
            "content": {"text/event-stream": {"schema": SSE_EVENT}},
        },
        **NOT_FOUND,
    },
    summary="Progress of the project as Server-Sent Events",
    description=(EVENTS_DOC or "").split("\n", 1)[1].strip(),
)
async def events(
    project: ProjectDep, sessions: SessionsDep, settings: SettingsDep, runner: RunnerDep
) -> EventSourceResponse:
    stopping = anyio.Event()  # set by sse-starlette when the server shuts down
    stream = project_events(sessions, settings, runner, project.id, stopping=stopping)
    return EventSourceResponse(
        stream, ping=15, shutdown_event=stopping, shutdown_grace_period=SHUTDOWN_GRACE
    )
