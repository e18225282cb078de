"""The page's routes: server-rendered screens over the API's own functions
(the review-and-fix screen is review.py).

Every screen is a JSON document of the API (documents.page, documents.detail, the estimate)
rendered by a template; every form calls the use case the API's write endpoint calls
(vidpipe.app: generate, resume, restitch), so the page adds no rule of its own. Forms work without
JavaScript; app.js only adds the live estimate and live progress.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import starlette.datastructures
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from vidpipe.api import documents
from vidpipe.api.auth import SESSION_COOKIE, api_token, carries, session_id
from vidpipe.api.deps import RegistryDep, RunnerDep, SessionDep, SettingsDep
from vidpipe.api.errors import body_error, invalid_response
from vidpipe.api.routes.estimate import assess
from vidpipe.api.schemas import ProjectStatusDocument, ProjectSummary
from vidpipe.api.strict import Digits, decimal, is_decimal
from vidpipe.app import generate as generating
from vidpipe.app import projects, runs
from vidpipe.config import Settings
from vidpipe.db.models import Keyframe, Project, Scene
from vidpipe.db.queries import load_project
from vidpipe.errors import (
    BadInputError,
    NotResumableError,
    ProjectBusyError,
    ProjectNotFoundError,
    StitchFailedError,
)
from vidpipe.orchestrator.leases import is_held
from vidpipe.orchestrator.projects import GenerateOptions
from vidpipe.orchestrator.sound import MusicPool
from vidpipe.orchestrator.state import status_label
from vidpipe.pipeline.takes import MAX_TAKES
from vidpipe.providers.base import DEFAULT_SCENES_FOR_ESTIMATE
from vidpipe.providers.registry import ProviderRegistry
from vidpipe.web import views
from vidpipe.web.reference_rows import MAX_ROWS, Row, place_errors, read_rows
from vidpipe.web.security import (
    FormRefused,
    csrf_token_for,
    read_form,
    read_form_with_files,
    set_csrf_cookie,
)

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters.update(when=views.when, seconds=views.seconds, money=views.money)
templates.env.globals["stage_names"] = views.STAGE_LABELS
templates.env.filters["status_label"] = status_label
# `tojson` writes a document (a pydantic model) as its JSON, keys sorted as Jinja does
templates.env.policies["json.dumps_kwargs"] = {"sort_keys": True, "default": views.jsonable}
router = APIRouter(include_in_schema=False)

PAGE_SIZE = 24
FIELDS = (
    "prompt", "style", "aspect_ratio", "resolution", "clip_duration", "scenes", "crossfade",
    "takes",
)  # fmt: skip
MODELS = ("storyboard_model", "image_model", "video_model")
# blank = writer picks / no budget / no gate / the configured model / no music
OPTIONAL = ("scenes", "max_cost", "pause_after", *MODELS, "music")
# Everything the page loads comes from this server (no CDN, works offline).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; "
        "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """A page with the CSRF token its forms carry back, and the headers every page gets."""
    csrf = csrf_token_for(request)
    settings: Settings = request.app.state.settings
    response = templates.TemplateResponse(
        request,
        template,
        {
            "csrf": csrf,
            "locked": api_token(settings) is not None,
            "queue_mode": settings.execution == "queue",
            **context,
        },
        status_code=status_code,
        headers=SECURITY_HEADERS,
    )
    set_csrf_cookie(response, csrf, secure=request.url.scheme == "https")
    return response


async def refused(request: Request, exc: Exception) -> HTMLResponse:
    """A refused form (CSRF, unreadable) as a page that says why and how to go on."""
    assert isinstance(exc, FormRefused)
    return render(request, "refused.html", {"message": str(exc)}, status_code=exc.status_code)


async def invalid_address(request: Request, exc: Exception) -> Response:
    """A page's address with a malformed id, scene or page number: the 422 as a page a person
    can read (a browser showed the API's JSON); the API's own paths keep their JSON."""
    if request.url.path.startswith("/api/"):
        return await invalid_response(request, exc)
    assert isinstance(exc, RequestValidationError)
    problems = [
        f"{error['loc'][-1]}: {str(error['msg']).removeprefix('Value error, ')}"
        for error in exc.errors()
        if error.get("loc")
    ]
    return render(request, "invalid.html", {"problems": problems}, status_code=422)


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> RedirectResponse:
    """Browsers ask for it on pages without an icon link (a JSON answer opened directly)."""
    return RedirectResponse("/static/favicon.svg", status_code=301)


# ---- Projects ---------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
async def projects_screen(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    status: Annotated[str, Query()] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000), Digits] = 1,
    limit: Annotated[int, Query(ge=1, le=500), Digits] = PAGE_SIZE,
) -> HTMLResponse:
    chosen = status if status in views.STATUSES else None
    listing = await documents.page(
        session, settings, limit=limit, offset=(page - 1) * limit, status=chosen
    )
    ids = [p.id for p in listing.projects]
    thumbs = await first_keyframes(session, ids)
    parents = await fork_parents(session, ids)
    shown = [
        ListedProject(
            **dict(project),
            fork_of=parents.get(str(project.id)),
            thumb_url=(
                documents.project_url(project.id, "/keyframes/1/start")
                if str(project.id) in thumbs
                else None
            ),
        )
        for project in listing.projects
    ]
    pages = max(1, -(-listing.total // limit))

    def link(to: int) -> str:
        query = {"status": chosen or "", "page": to}
        if limit != PAGE_SIZE:
            query["limit"] = limit
        return "/?" + urlencode({k: v for k, v in query.items() if v})

    return render(
        request,
        "projects.html",
        {
            "listing": {"projects": shown, "total": listing.total},
            "status": chosen,
            "statuses": views.STATUSES,
            "page": page,
            "pages": pages,
            "previous": link(page - 1) if page > 1 else None,
            "next": link(page + 1) if page < pages else None,
        },
    )


class ListedProject(ProjectSummary):
    """A project as the list shows it: the summary, the project it was forked from (id and
    prompt) and its first keyframe's address."""

    fork_of: dict[str, str] | None
    thumb_url: str | None


async def first_keyframes(session: AsyncSession, ids: list[uuid.UUID]) -> set[str]:
    """Which of these projects have a first keyframe (one query for the whole page)."""
    if not ids:
        return set()
    found = await session.scalars(
        select(Scene.project_id)
        .join(Keyframe, Keyframe.scene_id == Scene.id)
        .where(Scene.project_id.in_(ids), Scene.scene_index == 0, Keyframe.position == "start")
    )
    return {str(project_id) for project_id in found}


async def fork_parents(session: AsyncSession, ids: list[uuid.UUID]) -> dict[str, dict[str, str]]:
    """For the forks among these projects, the project each was forked from: its id and prompt
    (one query for the whole page; a deleted original is left out)."""
    if not ids:
        return {}
    parent = aliased(Project)
    rows = await session.execute(
        select(Project.id, parent.id, parent.prompt)
        .join(parent, parent.id == Project.forked_from)
        .where(Project.id.in_(ids))
    )
    return {str(child): {"id": str(pid), "prompt": prompt} for child, pid, prompt in rows}


# ---- New video --------------------------------------------------------------------------------


def form_context(
    settings: Settings,
    registry: ProviderRegistry,
    values: dict[str, str],
    errors: dict[str, str],
    rows: list[Row] | None = None,
) -> dict[str, Any]:
    """The form, its choices (what the configured video provider takes) and the estimate."""
    providers = registry.build(
        settings, settings.storyboard_provider, settings.image_provider, settings.video_provider
    )
    caps = providers.video.capabilities
    try:
        estimate = assess(settings, registry, parse_options(values, estimate_only=True))
    except ValidationError:
        try:  # as GET /api/estimate does: the crossfade rule does not change the price
            options = parse_options({**values, "crossfade": "0"}, estimate_only=True)
            estimate = assess(settings, registry, options)
        except ValidationError:
            estimate = None  # the page shows the field errors instead
    music = values.get("music")
    return {
        "values": values,
        "errors": errors,
        "music_name": MusicPool(settings.data_dir).name_of(music) if music else None,
        "caps": caps,
        "default_scenes": DEFAULT_SCENES_FOR_ESTIMATE,
        "max_takes": MAX_TAKES,
        "providers": {
            "storyboard": providers.storyboard.provider_id,
            "image": providers.image.provider_id,
            "video": providers.video.provider_id,
        },
        "estimate": estimate,
        "model_choices": model_choices(),
        # the filled reference rows, then one blank (up to the most a project takes)
        "rows": [*(rows or []), Row()][:MAX_ROWS],
        "first_error": first_error(errors, rows or []),
    }


def first_error(errors: dict[str, str], rows: Sequence[Row]) -> str | None:
    """The id of the first field with an error, in the form's order: a refused form puts the
    focus there (the `autofocus` it is rendered with), so the reader starts at what to fix."""
    for name in DEFAULTS:
        if name in errors:
            return name
    for index, row in enumerate(rows):
        for part in ("name", "file", "description"):
            if part in row.errors:
                return f"references-{index}-{part}"
    return None


DEFAULTS = {
    "prompt": "",
    "style": "cinematic",
    "aspect_ratio": "16:9",
    "resolution": "720p",
    "clip_duration": "4",
    "scenes": "",
    "crossfade": "0",
    "takes": "1",
    "max_cost": "",
    "pause_after": "",
    "storyboard_model": "",
    "image_model": "",
    "video_model": "",
    "music": "",  # the id of the music bed uploaded with an earlier try of the form
}


NUMBERS = ("clip_duration", "scenes", "crossfade", "max_cost")
NOT_A_NUMBER = "not a plain decimal number"


def model_choices() -> dict[str, list[tuple[str, str]]]:
    """Per role, the models a video can be made with (not shut down): key and a label."""
    from vidpipe.providers.catalog import load_catalog, price_text

    return {
        role: [
            (e.key, f"{e.key} · {price_text(e)}")
            for e in load_catalog().entries(role=role)
            if not e.is_shut_down()
        ]
        for role in ("storyboard", "image", "video")
    }


def parse_options(
    values: dict[str, str], *, estimate_only: bool = False, rows: Sequence[Row] = ()
) -> GenerateOptions:
    """The form's strings (and reference rows) as GenerateOptions (the API's one definition of
    the options); for the estimate alone a blank prompt is fine (it does not change the price)."""
    data: dict[str, Any] = {
        name: values.get(name, "")
        for name in (*FIELDS, "max_cost", "pause_after", *MODELS, "music")
    }
    data["references"] = [row.use() for row in rows]
    for name in OPTIONAL:
        if not data[name].strip():
            data[name] = None
    for name in NUMBERS:  # plain decimal only: "1_0", "nan", "inf", "1e3" are refused
        if data[name] is not None and not is_decimal(data[name]):
            data[name] = NOT_A_NUMBER
    if estimate_only and not data["prompt"].strip():
        data["prompt"] = "estimate"
    return GenerateOptions.model_validate(data)


def field_errors(errors: list[Any]) -> dict[str, str]:
    """Pydantic or API 422 errors by form field; a rule over several fields goes to crossfade."""
    found: dict[str, str] = {}
    for error in errors:
        location = [part for part in error.get("loc", ()) if part not in ("body", "query")]
        field = str(location[0]) if location else "crossfade"
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        message = message.removeprefix(f"invalid {field}: ")
        found.setdefault(field if field in DEFAULTS else "form", message)
    return found


@router.get("/new", response_class=HTMLResponse)
async def new_screen(
    request: Request, settings: SettingsDep, registry: RegistryDep
) -> HTMLResponse:
    return render(request, "new.html", form_context(settings, registry, dict(DEFAULTS), {}))


@router.post("/new", response_class=HTMLResponse)
async def new_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    registry: RegistryDep,
    runner: RunnerDep,
) -> Response:
    async with read_form_with_files(request) as (form, files):
        values = {name: form.get(name, DEFAULTS[name]) for name in DEFAULTS}
        # each chosen image is checked and stored as POST /api/references does it, the music
        # as POST /api/music does
        rows = await read_rows(settings, form, files)
        music_error = await read_music(settings, values, files.get("music_file"))
    refused = any(row.errors for row in rows) or music_error is not None
    if form.get("add_reference") and not refused:  # "Add another reference": the form again
        return render(request, "new.html", form_context(settings, registry, values, {}, rows))
    try:
        options = parse_options(values, rows=[] if refused else rows)
        if refused:  # the other fields were checked too; nothing is created
            errors = {"music": music_error} if music_error is not None else {}
            context = form_context(settings, registry, values, errors, rows)
            return render(request, "new.html", context, 422)
        project, _ = await generating.generate(session, settings, registry, runner, options)
    except (ValidationError, RequestValidationError, BadInputError) as exc:
        found = body_error(exc) if isinstance(exc, BadInputError) else exc
        errors = field_errors(place_errors(rows, list(found.errors())))
        context = form_context(settings, registry, values, errors, rows)
        return render(request, "new.html", context, status_code=422)
    return RedirectResponse(f"/projects/{project.id}", status_code=303)


async def read_music(
    settings: Settings, values: dict[str, str], upload: starlette.datastructures.UploadFile | None
) -> str | None:
    """A chosen music file, checked and stored as POST /api/music does it: its id goes into
    `values` (kept if the form comes back); returns why it was refused, if it was."""
    if upload is None or not upload.filename:
        return None
    from vidpipe.api.routes.music import receive_music

    try:
        stored = await receive_music(settings, upload, field="music")
    except RequestValidationError as exc:
        values["music"] = ""
        return "; ".join(str(error.get("msg", "invalid")) for error in exc.errors())
    values["music"] = stored.id
    return None


# ---- Project ----------------------------------------------------------------------------------


def is_working(request: Request, project: Project, document: ProjectStatusDocument) -> bool:
    """What the event stream calls busy: a run here (or waiting for a slot), a live lease
    elsewhere, or waiting in the queue for a worker. A project left mid-way by a dead
    runner is not, and offers Resume."""
    runner = request.app.state.runner
    return bool(runner.is_active(project.id) or is_held(project) or document.queued)


async def project_page(
    request: Request,
    session: AsyncSession,
    project_id: uuid.UUID,
    *,
    notice: str | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    try:
        project = await load_project(session, project_id)
    except ProjectNotFoundError:
        return render(request, "missing.html", {"project_id": project_id}, status_code=404)
    runner = request.app.state.runner
    document = documents.detail(project, settings, runner)
    plan = None
    if views.stopped_midway(document):  # the stepper marks where a resume re-enters
        plan = await projects.plan_of(session, settings, request.app.state.registry, project)
    stage = views.current_stage(document, plan)
    parents = await fork_parents(session, [project.id])
    context = {
        "p": document,
        "fork_of": parents.get(str(project.id)),
        "working": is_working(request, project, document),
        "stepper": views.stepper(document, stage),
        "stage": stage,
        "chain": views.chain(document),
        "runs": views.run_rows(document),
        "notice": notice,
        "errors": errors or {},
        "unanswered": [m for m in document.missing_scenes if m.clip_status == "submit_unknown"],
    }
    return render(request, "project.html", context, status_code=status_code)


@router.get("/projects/{project_id}", response_class=HTMLResponse)
async def project_screen(
    request: Request, project_id: uuid.UUID, session: SessionDep
) -> HTMLResponse:
    return await project_page(request, session, project_id)


def screen_url(project_id: uuid.UUID, form: dict[str, str]) -> str:
    """Where a form goes back to: the screen it was posted from (project, or review)."""
    tail = "/review" if form.get("screen") == "review" else ""
    scene = form.get("scene", "")  # the review screen's open scene stays open
    return f"/projects/{project_id}{tail}" + (f"?scene={scene}" if tail and scene.isdigit() else "")


async def back(
    request: Request,
    session: AsyncSession,
    project_id: uuid.UUID,
    form: dict[str, str],
    **shown: Any,
) -> HTMLResponse:
    """A refused form's screen, with what to show (notice, errors, status_code)."""
    if form.get("screen") == "review":
        from vidpipe.web.review import review_page  # it builds on this module

        return await review_page(request, session, project_id, **shown)
    return await project_page(request, session, project_id, **shown)


@router.post("/projects/{project_id}/resume", response_class=HTMLResponse)
async def project_resume(
    request: Request,
    project_id: uuid.UUID,
    session: SessionDep,
    settings: SettingsDep,
    registry: RegistryDep,
    runner: RunnerDep,
) -> Response:
    form = await read_form(request)
    # the box next to clips whose submission got no answer: send them again (maybe billed twice)
    resubmit = form.get("resubmit_unknown") == "1"
    try:
        await runs.resume(
            session, settings, registry, project_id, runner, resubmit_unknown=resubmit
        )
    except ProjectNotFoundError:
        raise HTTPException(404, f"no project with id {project_id}") from None
    except (NotResumableError, ProjectBusyError) as exc:
        return await back(request, session, project_id, form, notice=str(exc), status_code=409)
    return RedirectResponse(screen_url(project_id, form), status_code=303)


@router.post("/projects/{project_id}/stitch", response_class=HTMLResponse)
async def project_stitch(
    request: Request,
    project_id: uuid.UUID,
    session: SessionDep,
    settings: SettingsDep,
    registry: RegistryDep,
    runner: RunnerDep,
) -> Response:
    form = await read_form(request)
    try:
        crossfade = decimal(form.get("crossfade", "") or "0")
        await runs.restitch(session, settings, registry, runner, project_id, crossfade)
    except ValueError:
        errors = {"crossfade": "must be a number of seconds"}
        return await back(request, session, project_id, form, errors=errors, status_code=422)
    except ProjectNotFoundError:
        raise HTTPException(404, f"no project with id {project_id}") from None
    except (NotResumableError, ProjectBusyError) as exc:
        return await back(request, session, project_id, form, notice=str(exc), status_code=409)
    except BadInputError as exc:
        errors = field_errors(list(body_error(exc).errors()))
        return await back(request, session, project_id, form, errors=errors, status_code=422)
    except StitchFailedError as exc:
        return await back(request, session, project_id, form, notice=str(exc), status_code=500)
    return RedirectResponse(screen_url(project_id, form), status_code=303)


# ---- Token ------------------------------------------------------------------------------------


def safe_next(target: str | None) -> str:
    """Only a path on this server (never `//elsewhere` or a URL) after logging in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login", response_class=HTMLResponse)
async def login_screen(request: Request, settings: SettingsDep, next: str = "/") -> Response:
    if api_token(settings) is None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"next": safe_next(next), "error": None})


@router.post("/login", response_class=HTMLResponse)
async def login_submit(request: Request, settings: SettingsDep) -> Response:
    form = await read_form(request)
    token, target = api_token(settings), safe_next(form.get("next"))
    if token is None:
        return RedirectResponse(target, status_code=303)
    throttle, client = request.app.state.login_throttle, client_of(request)
    wait = throttle.retry_after(client)
    if wait is not None:  # too many wrong tokens: not even the right one is tried now
        context = {"next": target, "error": f"Too many attempts; try again in {wait} s."}
        response = render(request, "login.html", context, status_code=429)
        response.headers["Retry-After"] = str(wait)
        return response
    given = form.get("token", "").strip()
    if not carries(f"Bearer {given}", token):
        throttle.failed(client)
        context = {"next": target, "error": "That is not the server's token."}
        return render(request, "login.html", context, status_code=401)
    throttle.succeeded(client)
    sessions = request.app.state.web_sessions
    await sessions.close(session_id(request.headers.get("cookie")))  # a new id at every login
    redirect = RedirectResponse(target, status_code=303)
    redirect.set_cookie(
        SESSION_COOKIE,
        await sessions.open(),
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return redirect


def client_of(request: Request) -> str:
    """Who is logging in, for the throttle: the peer address (a trusted proxy's client)."""
    return request.client.host if request.client else "unknown"


@router.post("/logout")
async def logout(request: Request) -> Response:
    await read_form(request)
    await request.app.state.web_sessions.close(session_id(request.headers.get("cookie")))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response
