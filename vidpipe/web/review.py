"""The review-and-fix screen: the plan and its cost, scene edits under If-Match, redo,
takes side by side, select, stop and fork.

Each form calls the use case its JSON endpoint calls (vidpipe.app.iterate: `edit`, `redo`,
`select`, `fork`; vidpipe.app.runs.stop), so the page adds no rule: what the API refuses with a
status the page shows next to the form it came from, with the same status code
(vidpipe.api.errors.status_of). Resume and
re-stitch post to the project screen's own handlers (routes.py) with `screen=review`.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.api import documents
from vidpipe.api.deps import RegistryDep, RunnerDep, SessionDep, SettingsDep
from vidpipe.api.errors import status_of
from vidpipe.api.routes.iterate import SLOTS, SceneNumber, TakeNumber
from vidpipe.api.schemas import RedoRequest
from vidpipe.api.strict import whole_number
from vidpipe.app import iterate, runs
from vidpipe.app.iterate import Edits
from vidpipe.errors import (
    NextStep,
    ProjectNotFoundError,
    VersionRequiredError,
    VidpipeError,
)
from vidpipe.orchestrator.edits import SceneEdit, StoryboardChangedError, dialogue_option
from vidpipe.orchestrator.leases import NotRunningError
from vidpipe.orchestrator.selection import TakeDoesNotFitError
from vidpipe.web import views
from vidpipe.web.routes import back, is_working, render, screen_url
from vidpipe.web.security import read_form

router = APIRouter(include_in_schema=False)

# The scene texts a person edits, in the order the form shows them (SceneEdit's fields).
TEXTS = (
    ("scene_description", "Description"),
    ("start_frame_prompt", "Start frame prompt"),
    ("end_frame_prompt", "End frame prompt"),
    ("video_motion_prompt", "Motion"),
    ("transition_notes", "Transition"),
    ("narration", "Narration"),
    ("dialogue", "Dialogue (one “Speaker: line” a line)"),
    ("sound", "Sound"),
)
TARGETS = (("clip", "Clip"), ("end_frame", "End frame"), ("start_frame", "Start frame"))


def review_url(project_id: uuid.UUID | str, scene: int | None = None, note: str = "") -> str:
    query = f"?{note}={scene}" if note and scene else ""
    return f"/projects/{project_id}/review{query}" + (f"#scene-{scene}" if scene else "")


@dataclass
class Problem:
    """What the page shows after a refused form: where (a scene's form, or the whole page when
    `scene` is None), the message, field errors, and the texts typed (kept, never saved)."""

    status_code: int
    message: str
    scene: int | None = None
    fields: dict[str, str] = field(default_factory=dict)
    typed: dict[str, str] = field(default_factory=dict)
    conflict: bool = False
    force_take: int | None = None  # a clip take the refusal offers to keep anyway (a button)


async def review_page(
    request: Request,
    session: AsyncSession,
    project_id: uuid.UUID,
    *,
    problem: Problem | None = None,
    notice: str | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The screen: the detail document with its plan (GET /api/projects/{id}) and every scene's
    takes (GET .../scenes/{n}/takes), arranged by views.review_scenes."""
    state = request.app.state
    try:
        project, document, plan = await documents.loaded_detail_with_plan(
            session, state.settings, state.registry, state.runner, project_id
        )
    except ProjectNotFoundError:
        return render(request, "missing.html", {"project_id": project_id}, status_code=404)
    takes = await documents.all_takes(session, state.settings, project)
    if problem is not None and problem.scene is None:
        notice, status_code = problem.message, problem.status_code
    query = request.query_params
    notes = {name: _scene_number(query.get(name)) for name in ("saved", "redone", "selected")}
    scenes = views.review_scenes(document, takes)
    about = problem.scene if problem is not None else None
    asked = (
        about or next((n for n in notes.values() if n), None) or _scene_number(query.get("scene"))
    )
    context = {
        "p": document,
        "working": is_working(request, project, document),
        "stepper": views.stepper(document, views.current_stage(document, plan)),
        "plan": document.plan,
        "budget": views.budget(document),
        "scenes": scenes,
        "timeline": views.timeline(document, scenes),
        "open": views.open_scene(asked, len(scenes)),
        "texts": TEXTS,
        "targets": TARGETS,
        "problem": problem,
        "notice": notice,
        "errors": errors or {},
        **notes,
        "crossfade_max": views.crossfade_max(document),
    }
    code = problem.status_code if problem is not None else status_code
    return render(request, "review.html", context, status_code=code)


def _scene_number(value: str | None) -> int | None:
    return whole_number(value)


@router.get("/projects/{project_id}/review", response_class=HTMLResponse)
async def review_screen(
    request: Request, project_id: uuid.UUID, session: SessionDep
) -> HTMLResponse:
    return await review_page(request, session, project_id)


async def attempt(
    request: Request,
    session: AsyncSession,
    project_id: uuid.UUID,
    action: Callable[[], Awaitable[str]],
    *,
    scene: int | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    """Run one action (it returns where to go next); a refusal is shown on the review screen,
    next to the scene's forms when it is about a scene, with the status the API would answer."""
    try:
        return RedirectResponse(await action(), status_code=303)
    except ProjectNotFoundError:
        return await review_page(request, session, project_id)  # the "no such project" page
    except ValidationError as exc:
        found = {str(e["loc"][0]): e["msg"] for e in exc.errors() if e.get("loc")}
        shown = {name for name, _ in TEXTS}
        message = FIELDS_BELOW
        if not set(found) <= shown:  # e.g. the redo form's target: said in the message
            message = "; ".join(f"{name}: {msg}" for name, msg in found.items())
        problem = Problem(422, message, scene=scene, fields=found)
    except VidpipeError as exc:  # 409 running, 412 changed meanwhile, 422, 500 ffmpeg, ...
        conflict = isinstance(exc, StoryboardChangedError)
        if not conflict and exc.field in {name for name, _ in TEXTS}:  # e.g. a dialogue line
            fields = {exc.field: str(exc)}  # shown next to that text, as a schema error is
            problem = Problem(status_of(exc), FIELDS_BELOW, scene=scene, fields=fields)
        else:
            message = CHANGED if conflict else exc.worded()
            problem = Problem(status_of(exc), message, scene=scene, conflict=conflict)
        if isinstance(exc, TakeDoesNotFitError):  # "keep it anyway": the page offers it
            steps = [part for part in exc.parts if isinstance(part, NextStep)]
            problem.force_take = next((s.take for s in steps if s.action == "force"), None)
    await session.rollback()  # nothing half-done stays in the session the page is read with
    problem.typed = typed or {}
    if problem.status_code == 409:
        problem.scene = None  # about the project (running), not the scene
    return await review_page(request, session, project_id, problem=problem)


FIELDS_BELOW = "Not saved: see the fields below."
CHANGED = (
    "This storyboard was changed elsewhere since you opened the page, so nothing was saved. "
    "Reload to see the current texts (copy yours first if you want to keep them)."
)


def typed_texts(form: dict[str, str], scene: int) -> dict[str, str]:
    """The texts of a scene's form, newlines as the API stores them (browsers send CRLF); a
    blank transition stays unset, and only scene 1 has a start prompt of its own."""
    typed = {}
    for name, _ in TEXTS:
        if name not in form or (name == "start_frame_prompt" and scene != 1):
            continue
        typed[name] = form[name].replace("\r\n", "\n")
    if not typed.get("transition_notes", "").strip():
        typed.pop("transition_notes", None)
    return typed


def scene_changes(typed: dict[str, str]) -> SceneEdit:
    """The typed texts as a SceneEdit: the dialogue box holds one "Speaker: line" a line
    (blank: nobody speaks). Texts it refuses raise pydantic's ValidationError."""
    texts = {name: text for name, text in typed.items() if name != "dialogue"}
    if "dialogue" not in typed:
        return SceneEdit.model_validate(texts)
    lines = [line for line in typed["dialogue"].splitlines() if line.strip()]
    return SceneEdit.model_validate(
        {**texts, "dialogue": dialogue_option(lines or [""], "dialogue")}
    )


@router.post("/projects/{project_id}/scenes/{scene}/edit", response_class=HTMLResponse)
async def edit_scene(
    request: Request,
    project_id: uuid.UUID,
    scene: SceneNumber,
    session: SessionDep,
    settings: SettingsDep,
    registry: RegistryDep,
    runner: RunnerDep,
) -> Response:
    """Save a scene's texts (PATCH .../scenes/{n} with If-Match: the version the form was
    rendered with), or fork with them (POST .../fork with the scene's changes)."""
    form = await read_form(request)
    typed = typed_texts(form, scene)

    async def save() -> str:
        edits = Edits(scene_number=scene, scene_edit=scene_changes(typed))
        if form.get("mode") == "fork":
            twin = await iterate.fork(session, settings, registry, runner, project_id, edits)
            return f"/projects/{twin.id}"
        version = whole_number(form.get("version"))  # the version the form was rendered with
        if version is None:
            raise VersionRequiredError()
        await iterate.edit(
            session, settings, registry, runner, project_id, edits,
            expected_version=version,
        )  # fmt: skip
        return review_url(project_id, scene, "saved")

    return await attempt(request, session, project_id, save, scene=scene, typed=typed)


@router.post("/projects/{project_id}/scenes/{scene}/redo", response_class=HTMLResponse)
async def redo_scene(
    request: Request,
    project_id: uuid.UUID,
    scene: SceneNumber,
    session: SessionDep,
    settings: SettingsDep,
    registry: RegistryDep,
    runner: RunnerDep,
) -> Response:
    """A new take of the scene's clip or frame with optional direction, then a background run."""
    form = await read_form(request)

    async def redo() -> str:
        direction = form.get("direction", "").strip() or None
        body = RedoRequest(target=form.get("target", ""), direction=direction)  # type: ignore[arg-type]
        await iterate.redo(
            session, settings, registry, runner, project_id, scene, SLOTS[body.target],
            body.direction, body.takes, resubmit_unknown=body.resubmit_unknown,
        )  # fmt: skip
        return review_url(project_id, scene, "redone")

    return await attempt(request, session, project_id, redo, scene=scene)


@router.post(
    "/projects/{project_id}/scenes/{scene}/takes/{take}/select", response_class=HTMLResponse
)
async def select_take(
    request: Request,
    project_id: uuid.UUID,
    scene: SceneNumber,
    take: TakeNumber,
    session: SessionDep,
    settings: SettingsDep,
    registry: RegistryDep,
    runner: RunnerDep,
) -> Response:
    """Use another clip take; the API's handler re-stitches when nothing else is stale. `force`
    (the refusal's "keep it anyway" button) keeps a take made from other frames or options."""
    form = await read_form(request)
    force = form.get("force") == "1"

    async def select() -> str:
        await iterate.select(
            session, settings, registry, runner, project_id, scene, take, force=force
        )
        return review_url(project_id, scene, "selected")

    return await attempt(request, session, project_id, select, scene=scene)


@router.post("/projects/{project_id}/fork", response_class=HTMLResponse)
async def fork_project(
    request: Request,
    project_id: uuid.UUID,
    session: SessionDep,
    settings: SettingsDep,
    registry: RegistryDep,
    runner: RunnerDep,
) -> Response:
    """A new project sharing this one's files, unchanged; the browser goes to it."""
    await read_form(request)

    async def fork() -> str:
        twin = await iterate.fork(session, settings, registry, runner, project_id)
        return f"/projects/{twin.id}"

    return await attempt(request, session, project_id, fork)


@router.post("/projects/{project_id}/stop", response_class=HTMLResponse)
async def stop_project(
    request: Request, project_id: uuid.UUID, session: SessionDep, runner: RunnerDep
) -> Response:
    """Ask the run holding the project to stop at its next safe point, or take it out of the
    queue while it waits (POST .../stop)."""
    form = await read_form(request)

    try:
        await runs.stop(session, project_id, runner)
    except NotRunningError as exc:  # 409: nothing runs it (any more)
        notice = str(exc)
        return await back(request, session, project_id, form, notice=notice, status_code=409)
    return RedirectResponse(screen_url(project_id, form), status_code=303)
