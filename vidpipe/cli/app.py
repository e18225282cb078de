"""Commands of SPEC §4. Each parses, calls the layer below, prints; no logic lives here.

Each command imports what it uses inside its body, so `vidpipe --help` loads no database and
`vidpipe status` no media stack; tests/unit/test_imports.py fails when a heavy import creeps back
to module level.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from vidpipe.cli import helptext, views
from vidpipe.cli.complete import complete_project_id
from vidpipe.cli.runtime import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    Invocation,
    database,
    database_exists,
    execute,
    fail,
    print_json,
    stderr,
    stdout,
)
from vidpipe.errors import BadInputError, ProjectBusyError, VidpipeError

if TYPE_CHECKING:
    import uuid

    from sqlalchemy.ext.asyncio import AsyncSession

    from vidpipe.config import Settings
    from vidpipe.providers.registry import ProviderRegistry

app = typer.Typer(
    name="vidpipe",
    help="One text prompt in, a finished multi-scene MP4 out.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)
helptext.install()
config_app = typer.Typer(help="Configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print only a JSON document on stdout.")]
DetachFlag = Annotated[
    bool,
    typer.Option(
        "--detach",
        help="Queue the run for a `vidpipe worker` and print the id (VIDPIPE_EXECUTION=queue).",
    ),
]
IdArg = Annotated[
    str,
    typer.Argument(
        help="Project id, or a unique prefix of 4+ characters.",
        autocompletion=complete_project_id,
    ),
]


@app.callback()
def root(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None, typer.Option(help="Data directory (VIDPIPE_DATA_DIR).", show_default=False)
    ] = None,
    database_url: Annotated[
        str | None, typer.Option(help="Database URL (VIDPIPE_DATABASE_URL).", show_default=False)
    ] = None,
) -> None:
    overrides: dict[str, Any] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    if database_url is not None:
        overrides["database_url"] = database_url
    ctx.obj = overrides


def _settings(ctx: typer.Context) -> Settings:
    from pydantic import ValidationError

    from vidpipe.config import Settings

    try:
        return Settings(**(ctx.obj or {}))
    except ValidationError as exc:
        from vidpipe.orchestrator.projects import one_line

        raise fail(f"configuration: {one_line(exc, {})}", EXIT_BAD_INPUT) from None


@app.command()
def generate(
    ctx: typer.Context,
    prompt: Annotated[str, typer.Argument(help="What the video is about.")],
    style: Annotated[str, typer.Option(help="Visual style.")] = "cinematic",
    aspect_ratio: Annotated[str, typer.Option(help="16:9, 9:16 or 1:1.")] = "16:9",
    clip_duration: Annotated[float, typer.Option(help="Seconds per scene.")] = 4.0,
    scenes: Annotated[
        int | None, typer.Option(help="Number of scenes (1–20); default: the writer picks 3–5.")
    ] = None,
    resolution: Annotated[str, typer.Option(help="480p, 720p or 1080p.")] = "720p",
    crossfade: Annotated[float, typer.Option(help="Crossfade seconds; 0 = hard cuts.")] = 0.0,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Don't ask to confirm costs.")] = False,
    max_cost: Annotated[
        float | None, typer.Option(help="Budget in USD, enforced before every paid call.")
    ] = None,
    pause_after: Annotated[
        str | None,
        typer.Option(help="Stop for review after 'storyboard' or 'keyframes'; resume goes on."),
    ] = None,
    takes: Annotated[
        int,
        typer.Option(help="Takes per clip (1–4), each paid for; the best by fidelity is used."),
    ] = 1,
    reference: Annotated[
        list[str] | None,
        typer.Option(
            "--reference",
            help="A character or object to keep the same: NAME=PATH[::description] "
            "(PNG, JPEG or WebP; repeatable).",
        ),
    ] = None,
    detach: DetachFlag = False,
    json_output: JsonFlag = False,
) -> None:
    """Create a project and run it to the end (or to a review gate)."""
    from pydantic import ValidationError

    from vidpipe.orchestrator.projects import (
        GenerateOptions,
        check_budget,
        check_capabilities,
        check_provider_setup,
        create_project,
        estimate_cost,
        one_line,
        reference_specs,
        reference_warnings,
    )
    from vidpipe.providers.registry import load_registry

    settings = _settings(ctx)
    _check_detach(settings, detach)
    try:
        options = GenerateOptions(
            prompt=prompt,
            style=style,
            aspect_ratio=aspect_ratio,  # type: ignore[arg-type]
            clip_duration=clip_duration,
            scenes=scenes,
            resolution=resolution,  # type: ignore[arg-type]
            crossfade=crossfade,
            max_cost=max_cost,
            pause_after=pause_after,  # type: ignore[arg-type]
            takes=takes,
        )
    except ValidationError as exc:
        raise fail(one_line(exc), EXIT_BAD_INPUT) from None
    registry = load_registry()

    async def work(invocation: Invocation) -> int:
        from vidpipe.orchestrator.references import parse_option

        references = reference_specs(options, settings, [parse_option(r) for r in reference or []])
        providers = registry.build(
            settings,
            settings.storyboard_provider,
            settings.image_provider,
            settings.video_provider,
        )
        check_capabilities(options, providers)
        estimate = estimate_cost(options, providers, references)
        check_budget(options, estimate)
        await check_provider_setup(providers)
        for warning in reference_warnings(references, providers):
            stderr.print(f"warning: {warning}", markup=False, soft_wrap=True)
        if estimate > 0 and not yes:
            _confirm_cost(estimate)
        async with database(settings, create=True) as session:
            project = await create_project(session, settings, options, estimate, references)
            invocation.project_id = str(project.id)
            if detach:
                return await _enqueue(session, settings, project.id, json_output)
            stderr.print(f"project {project.id}", markup=False, soft_wrap=True)
            return await _run(session, settings, project.id, json_output, registry)

    execute(work)


def _confirm_cost(estimate: float) -> None:
    if not sys.stdin.isatty():
        raise fail(
            f"this run is estimated at ${estimate:.2f}; pass --yes to confirm without a terminal",
            EXIT_BAD_INPUT,
        )
    if not typer.confirm(f"Estimated cost ${estimate:.2f}. Continue?", err=True):
        raise fail("cancelled; nothing was written", EXIT_BAD_INPUT)


async def _run(
    session: AsyncSession,
    settings: Settings,
    project_id: uuid.UUID,
    json_output: bool,
    registry: ProviderRegistry,
) -> int:
    """Run the pipeline with progress; print the outcome; return the exit code."""
    from vidpipe.cli.progress import make_progress
    from vidpipe.db.queries import load_project
    from vidpipe.orchestrator.pipeline import run_pipeline
    from vidpipe.orchestrator.report import project_document
    from vidpipe.storage import ProjectStorage

    storage = ProjectStorage(settings.projects_dir, project_id)
    progress = make_progress(stderr, quiet=False)
    try:
        if progress is None:
            await run_pipeline(session, project_id, settings=settings, registry=registry)
        else:
            with progress:
                await run_pipeline(
                    session, project_id, progress, settings=settings, registry=registry
                )
        code = EXIT_OK
    except (BadInputError, ProjectBusyError):
        raise  # refused before anything ran: one line, nothing changed
    except Exception:
        code = EXIT_FAILED
    project = await load_project(session, project_id)
    document = project_document(project, storage)
    show_document(document, json_output)
    if code == EXIT_OK and project.status == "paused" and not json_output:
        stage = {"keyframing": "keyframes", "video_gen": "clips"}.get(
            project.paused_before or "", "the next stage"
        )
        stderr.print(
            f"paused for review before {stage}: look at it (vidpipe status {project_id}, or "
            f"the page), edit if you like, then run: vidpipe resume {project_id}",
            markup=False,
            soft_wrap=True,
        )
    if code != EXIT_OK:
        stderr.print(
            f"error: project {project_id} failed: {project.error_message}\n"
            f"fix the cause, then run: vidpipe resume {project_id}",
            markup=False,
            soft_wrap=True,
        )
    return code


@app.command()
def resume(
    ctx: typer.Context,
    project: IdArg,
    max_cost: Annotated[
        float | None,
        typer.Option(
            help="A new budget in USD (e.g. after 'budget exceeded'); default: as before."
        ),
    ] = None,
    yes: Annotated[
        bool,
        typer.Option(
            "--yes",
            "-y",
            help="Pay the plan's cost (and resubmit unknown outcomes) without asking.",
        ),
    ] = False,
    detach: DetachFlag = False,
    json_output: JsonFlag = False,
) -> None:
    """Bring a project up to date; the plan is shown first, and confirmed when it costs money."""
    from vidpipe.db.queries import resolve_project_id
    from vidpipe.providers.registry import load_registry

    settings = _settings(ctx)
    _check_detach(settings, detach)
    registry = load_registry()
    if max_cost is not None and max_cost < 0:
        raise fail("invalid --max-cost: must be 0 or more", EXIT_BAD_INPUT)

    async def work(invocation: Invocation) -> int:
        async with database(settings, create=False) as session:
            project_id = await resolve_project_id(session, project)
            invocation.project_id = str(project_id)
            return await bring_up_to_date(
                session, settings, registry, project_id, yes=yes, json_output=json_output,
                max_cost=max_cost, detach=detach,
            )  # fmt: skip

    execute(work)


@app.command()
def plan(ctx: typer.Context, project: IdArg, json_output: JsonFlag = False) -> None:
    """What `resume` would generate and what it would cost; calls no provider."""
    from vidpipe.db.queries import resolve_project_id
    from vidpipe.orchestrator.pipeline import plan_project
    from vidpipe.providers.registry import load_registry

    settings = _settings(ctx)
    registry = load_registry()

    async def work(invocation: Invocation) -> int:
        async with database(settings, create=False) as session:
            project_id = await resolve_project_id(session, project)
            found = await plan_project(session, project_id, settings=settings, registry=registry)
        if json_output:
            print_json(found.as_dict())
        else:
            views.show_plan(stdout, found.as_dict())
        return EXIT_OK

    execute(work)


async def bring_up_to_date(
    session: AsyncSession,
    settings: Settings,
    registry: ProviderRegistry,
    project_id: uuid.UUID,
    *,
    yes: bool,
    json_output: bool,
    max_cost: float | None = None,
    detach: bool = False,
) -> int:
    """resume's path (also redo's and fork's): the plan, its confirmation when it costs money
    or risks paying twice (which also approves those resubmissions), the run (or, detached,
    its job in the queue)."""
    from vidpipe.orchestrator.pipeline import plan_project
    from vidpipe.orchestrator.projects import approve_resubmissions, set_budget

    plan = await plan_project(session, project_id, settings=settings, registry=registry)
    costly = plan.estimated_cost > 0 or bool(plan.resubmissions)  # money or risk: ask
    # a free plan is shown too (what is about to be made), unless another process runs the
    # project: then the refusal that follows is the one line to read
    if not json_output and (costly or not await _held_elsewhere(session, project_id)):
        views.show_plan(stderr, plan.as_dict())
    if costly and not yes:
        _confirm_plan(plan.estimated_cost, plan.resubmissions)
    if max_cost is not None:
        await set_budget(session, project_id, max_cost)
    if plan.resubmissions:
        await approve_resubmissions(session, project_id)
    if detach:
        return await _enqueue(session, settings, project_id, json_output)
    return await _run(session, settings, project_id, json_output, registry)


async def _held_elsewhere(session: AsyncSession, project_id: uuid.UUID) -> bool:
    """Whether a live lease says another process runs the project now."""
    from sqlalchemy import select

    from vidpipe.db.models import Project, utcnow

    row = (
        await session.execute(
            select(Project.lease_owner, Project.lease_expires_at).where(Project.id == project_id)
        )
    ).first()
    return bool(row and row[0] and row[1] and row[1] > utcnow())


def _check_detach(settings: Settings, detach: bool) -> None:
    if detach and settings.execution != "queue":
        raise fail(
            "--detach needs VIDPIPE_EXECUTION=queue (PostgreSQL and `vidpipe worker`s); "
            "without it the run happens in this process",
            EXIT_BAD_INPUT,
        )


async def _enqueue(
    session: AsyncSession, settings: Settings, project_id: uuid.UUID, json_output: bool
) -> int:
    """Queue the project for a worker (SCALE-1); print its id, or its document with --json."""
    from vidpipe.db.queries import load_project
    from vidpipe.errors import NotResumableError
    from vidpipe.orchestrator.report import project_summary
    from vidpipe.orchestrator.state import can_resume
    from vidpipe.runners.queue import enqueue, make_app
    from vidpipe.storage import ProjectStorage

    project = await load_project(session, project_id)
    if not can_resume(project.status):  # as a foreground run would refuse it
        raise NotResumableError(f"project {project_id} is {project.status}; nothing to resume")
    queue = make_app(settings)
    async with queue.open_async():
        await enqueue(queue, session, project_id)
    if json_output:
        project = await load_project(session, project_id)
        print_json(project_summary(project, ProjectStorage(settings.projects_dir, project_id)))
    else:
        stdout.print(str(project_id), markup=False, soft_wrap=True)
    return EXIT_OK


def show_document(document: dict[str, Any], json_output: bool) -> None:
    """A project document as JSON (--json) or as the project view."""
    if json_output:
        print_json(document)
    else:
        views.show_project(stdout, document)


def _confirm_plan(cost: float, resubmissions: list[int]) -> None:
    risk = (
        f"; scenes {', '.join(map(str, resubmissions))} may be billed twice"
        if resubmissions
        else ""
    )
    if not sys.stdin.isatty():
        raise fail(
            f"this resume is estimated at ${cost:.2f}{risk}; pass --yes to confirm without a "
            "terminal",
            EXIT_BAD_INPUT,
        )
    if not typer.confirm(f"Estimated cost ${cost:.2f}{risk}. Continue?", err=True):
        raise fail("cancelled; nothing was changed", EXIT_BAD_INPUT)


@app.command()
def status(ctx: typer.Context, project: IdArg, json_output: JsonFlag = False) -> None:
    """One project: status, scenes, clips, runs, error."""
    from vidpipe.db.queries import load_project, resolve_project_id
    from vidpipe.orchestrator.report import project_document
    from vidpipe.storage import ProjectStorage

    settings = _settings(ctx)

    async def work(invocation: Invocation) -> int:
        async with database(settings, create=False) as session:
            project_id = await resolve_project_id(session, project)
            found = await load_project(session, project_id)
            document = project_document(found, ProjectStorage(settings.projects_dir, project_id))
        show_document(document, json_output)
        return EXIT_OK

    execute(work)


@app.command("list")
def list_command(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """All projects, newest first."""
    from vidpipe.db.queries import list_projects
    from vidpipe.orchestrator.report import project_summary
    from vidpipe.storage import ProjectStorage

    settings = _settings(ctx)

    async def work(invocation: Invocation) -> int:
        documents: list[dict[str, Any]] = []
        if database_exists(settings):
            async with database(settings, create=False) as session:
                for found in await list_projects(session):
                    storage = ProjectStorage(settings.projects_dir, found.id)
                    documents.append(project_summary(found, storage))
        if json_output:
            print_json(documents)
        else:
            views.show_list(stdout, documents)
        return EXIT_OK

    execute(work)


@app.command()
def stitch(
    ctx: typer.Context,
    project: IdArg,
    crossfade: Annotated[
        float | None, typer.Option(help="Crossfade seconds; 0 = hard cuts. Default: as before.")
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Re-stitch a complete project (e.g. with --crossfade) without regenerating anything."""
    from vidpipe.db.queries import resolve_project_id
    from vidpipe.orchestrator.pipeline import restitch_project
    from vidpipe.orchestrator.report import project_document
    from vidpipe.providers.registry import load_registry
    from vidpipe.storage import ProjectStorage

    settings = _settings(ctx)
    registry = load_registry()

    async def work(invocation: Invocation) -> int:
        async with database(settings, create=False) as session:
            project_id = await resolve_project_id(session, project)
            invocation.project_id = str(project_id)
            storage = ProjectStorage(settings.projects_dir, project_id)
            try:
                found = await restitch_project(
                    session, project_id, crossfade, settings=settings, registry=registry
                )
            except VidpipeError:
                raise
            except Exception as exc:
                stderr.print(
                    f"error: stitch failed: {type(exc).__name__}: {exc}",
                    markup=False,
                    soft_wrap=True,
                )
                return EXIT_FAILED
            document = project_document(found, storage)
        show_document(document, json_output)
        return EXIT_OK

    execute(work)


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option(help="Address to bind (VIDPIPE_HOST; default 127.0.0.1).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (VIDPIPE_PORT; default 8000).")] = None,
) -> None:
    """Serve the HTTP API; beyond loopback only with VIDPIPE_API_TOKEN set."""
    from vidpipe.api.server import serve as run_server
    from vidpipe.memory import collect_as_usual

    collect_as_usual()  # a long-running process: the usual collection schedule from here on
    overrides = {"host": host, "port": port}
    ctx.obj = {**(ctx.obj or {}), **{k: v for k, v in overrides.items() if v is not None}}
    try:
        code = run_server(_settings(ctx))
    except BadInputError as exc:
        raise fail(str(exc), EXIT_BAD_INPUT) from None
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    raise typer.Exit(code)


@app.command()
def worker(
    ctx: typer.Context,
    concurrency: Annotated[
        int | None,
        typer.Option(
            min=1, max=64, help="Projects at once (VIDPIPE_WORKER_CONCURRENCY; default 4)."
        ),
    ] = None,
) -> None:
    """Run queued projects (PostgreSQL); start any number, on any machine. SIGTERM stops it."""
    import asyncio

    from vidpipe.config import QUEUE_NEEDS_POSTGRES
    from vidpipe.memory import collect_as_usual
    from vidpipe.providers.registry import load_registry
    from vidpipe.runners.worker import run_worker

    settings = _settings(ctx)
    if not settings.uses_postgres:
        raise fail(
            "vidpipe worker needs PostgreSQL; " + QUEUE_NEEDS_POSTGRES.partition(": ")[2],
            EXIT_BAD_INPUT,
        )
    registry = load_registry()
    registry.build(
        settings, settings.storyboard_provider, settings.image_provider, settings.video_provider
    )
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # migrations: only when they fail
    collect_as_usual()  # a long-running process: the usual collection schedule from here on
    try:
        asyncio.run(run_worker(settings, registry, concurrency or settings.worker_concurrency))
    except KeyboardInterrupt:
        pass
    raise typer.Exit(EXIT_OK)


@app.command()
def workers(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """The live workers: host, pid, the projects they run, last heartbeat."""
    from vidpipe.orchestrator.report import workers_document

    settings = _settings(ctx)

    async def work(invocation: Invocation) -> int:
        found: list[dict[str, Any]] = []
        if database_exists(settings):
            async with database(settings, create=False) as session:
                found = await workers_document(session, settings)
        if json_output:
            print_json(found)
        else:
            views.show_workers(stdout, found)
        return EXIT_OK

    execute(work)


@config_app.command("show")
def config_show(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """Effective settings, secrets masked."""
    shown = _settings(ctx).masked()
    if json_output:
        print_json(shown)
    else:
        views.show_settings(stdout, shown)


@app.command()
def doctor(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """Check ffmpeg, the database and the provider settings."""
    from vidpipe.cli.doctor import run_checks

    settings = _settings(ctx)

    async def work(invocation: Invocation) -> int:
        checks = await run_checks(settings)
        if json_output:
            print_json([check.as_dict() for check in checks])
        else:
            views.show_checks(stdout, checks)
        return EXIT_OK if all(check.ok for check in checks) else EXIT_FAILED

    execute(work)


from vidpipe.cli import iterate as _iterate  # noqa: E402,F401  (registers the iterating commands)

helptext.reflow(app)
