"""Commands of SPEC §4. Each parses, calls the layer below, prints; no logic lives here.

Each command imports what it uses inside its body, so `vidpipe --help` loads no database and
`vidpipe status` no media stack; tests/unit/test_imports.py fails when a heavy import creeps back
to module level.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from vidpipe.cli import helptext, views
from vidpipe.cli.iterate import commands as iterating
from vidpipe.cli.models import commands as models_command
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
from vidpipe.cli.shared import (
    DetachFlag,
    IdArg,
    JsonFlag,
    bring_up_to_date,
    check_detach,
    confirm_cost,
    hand_over,
    settings_of,
    show_document,
)
from vidpipe.errors import BadInputError, StitchFailedError

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


_settings = settings_of  # the name other modules knew


@app.command()
def generate(
    ctx: typer.Context,
    prompt: Annotated[str, typer.Argument(help="What the video is about.")],
    style: Annotated[str, typer.Option(help="Visual style.")] = "cinematic",
    aspect_ratio: Annotated[str, typer.Option(help="16:9, 9:16 or 1:1.")] = "16:9",
    clip_duration: Annotated[
        str,
        typer.Option(
            help="Seconds per scene, or 'auto': each scene as long as its spoken lines need "
            "(at least 4 s)."
        ),
    ] = "4",
    scenes: Annotated[
        int | None, typer.Option(help="Number of scenes (1–20); default: the writer picks 3–5.")
    ] = None,
    resolution: Annotated[
        str, typer.Option(help="360p (a draft tier, e.g. Gemini Omni), 480p, 720p or 1080p.")
    ] = "720p",
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
    storyboard_model: Annotated[
        str | None,
        typer.Option(help="PROVIDER:MODEL that writes the storyboard (see `vidpipe models`)."),
    ] = None,
    image_model: Annotated[
        str | None, typer.Option(help="PROVIDER:MODEL that draws the keyframes.")
    ] = None,
    video_model: Annotated[
        str | None, typer.Option(help="PROVIDER:MODEL that makes the clips.")
    ] = None,
    narration: Annotated[
        bool, typer.Option("--narration", help="Give each scene a voice-over line.")
    ] = False,
    dialogue: Annotated[
        bool,
        typer.Option("--dialogue", help="Give scenes spoken lines for the characters."),
    ] = False,
    subtitles: Annotated[
        str, typer.Option(help="Subtitles of the spoken lines: off, soft (a track) or burn.")
    ] = "off",
    music: Annotated[
        Path | None, typer.Option(help="A music bed (any audio ffmpeg reads), ducked under speech.")
    ] = None,
    loudness: Annotated[
        float, typer.Option(help="Loudness target of the mix in LUFS (integrated).")
    ] = -14.0,
    detach: DetachFlag = False,
    json_output: JsonFlag = False,
) -> None:
    """Create a project and run it to the end (or to a review gate)."""
    from pydantic import ValidationError

    from vidpipe.cli.flags import one_line
    from vidpipe.orchestrator.projects import GenerateOptions
    from vidpipe.orchestrator.sound import clip_duration_option
    from vidpipe.providers.registry import load_registry

    settings = settings_of(ctx)
    check_detach(settings, detach)
    try:
        seconds, auto = clip_duration_option(clip_duration)
    except BadInputError as exc:
        raise fail(str(exc), EXIT_BAD_INPUT) from None
    try:
        options = GenerateOptions(
            prompt=prompt,
            style=style,
            aspect_ratio=aspect_ratio,
            clip_duration=seconds,
            clip_duration_auto=auto,
            subtitles=subtitles,
            loudness=loudness,
            scenes=scenes,
            resolution=resolution,
            crossfade=crossfade,
            max_cost=max_cost,
            pause_after=pause_after,
            takes=takes,
            storyboard_model=storyboard_model,
            image_model=image_model,
            video_model=video_model,
            narration=narration,
            dialogue=dialogue,
        )
    except ValidationError as exc:
        raise fail(one_line(exc), EXIT_BAD_INPUT) from None
    registry = load_registry()

    async def work(invocation: Invocation) -> int:
        from vidpipe.app.generate import check_generate, start_generate
        from vidpipe.orchestrator.references import parse_option

        files = [parse_option(r) for r in reference or []]
        checked = await check_generate(settings, registry, options, files, music=music)
        for warning in checked.warnings:
            stderr.print(f"warning: {warning}", markup=False, soft_wrap=True)
        if checked.estimate > 0 and not yes:
            confirm_cost(checked.estimate)
        async with database(settings, create=True) as session:
            project = await start_generate(session, settings, checked, None)
            invocation.project_id = str(project.id)
            if not detach:
                stderr.print(f"project {project.id}", markup=False, soft_wrap=True)
            return await hand_over(
                session, settings, registry, project.id, lambda runner: runner.enqueue(project.id),
                json_output=json_output, detach=detach,
            )  # fmt: skip

    execute(work)


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

    settings = settings_of(ctx)
    check_detach(settings, detach)
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
    from vidpipe.app import runs
    from vidpipe.db.queries import resolve_project_id
    from vidpipe.providers.registry import load_registry

    settings = settings_of(ctx)
    registry = load_registry()

    async def work(invocation: Invocation) -> int:
        async with database(settings, create=False) as session:
            project_id = await resolve_project_id(session, project)
            found = await runs.plan(session, settings, registry, project_id)
        if json_output:
            print_json(found.as_dict())
        else:
            views.show_plan(stdout, found.as_dict())
        return EXIT_OK

    execute(work)


@app.command()
def status(ctx: typer.Context, project: IdArg, json_output: JsonFlag = False) -> None:
    """One project: status, scenes, clips, runs, error."""
    from vidpipe.db.queries import resolve_project_id
    from vidpipe.orchestrator.status import status_document

    settings = settings_of(ctx)

    async def work(invocation: Invocation) -> int:
        async with database(settings, create=False) as session:
            project_id = await resolve_project_id(session, project)
            document = (await status_document(session, project_id, settings)).as_json()
        show_document(document, json_output)
        return EXIT_OK

    execute(work)


@app.command("list")
def list_command(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """All projects, newest first."""
    from vidpipe.db.queries import list_projects
    from vidpipe.orchestrator.report import project_summary
    from vidpipe.storage import ProjectStorage

    settings = settings_of(ctx)

    async def work(invocation: Invocation) -> int:
        documents: list[dict[str, Any]] = []
        if database_exists(settings):
            async with database(settings, create=False) as session:
                for found in await list_projects(session):
                    storage = ProjectStorage(settings.projects_dir, found.id)
                    documents.append(project_summary(found, storage).as_json())
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
    from vidpipe.app import runs
    from vidpipe.db.queries import resolve_project_id
    from vidpipe.orchestrator.report import project_document
    from vidpipe.providers.registry import load_registry
    from vidpipe.runners.inline import InlineRunner
    from vidpipe.storage import ProjectStorage

    settings = settings_of(ctx)
    registry = load_registry()

    async def work(invocation: Invocation) -> int:
        async with database(settings, create=False) as session:
            project_id = await resolve_project_id(session, project)
            invocation.project_id = str(project_id)
            storage = ProjectStorage(settings.projects_dir, project_id)
            runner = InlineRunner(session, settings, registry)
            try:
                found = await runs.restitch(
                    session, settings, registry, runner, project_id, crossfade
                )
            except StitchFailedError as exc:
                stderr.print(f"error: {exc}", markup=False, soft_wrap=True)
                return EXIT_FAILED
            document = project_document(found, storage).as_json()
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
        code = run_server(settings_of(ctx))
    except BadInputError as exc:
        from vidpipe.cli.flags import flagged

        raise fail(flagged(exc), EXIT_BAD_INPUT) from None
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

    settings = settings_of(ctx)
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

    settings = settings_of(ctx)

    async def work(invocation: Invocation) -> int:
        found: list[dict[str, Any]] = []
        if database_exists(settings):
            async with database(settings, create=False) as session:
                found = [w.as_json() for w in await workers_document(session, settings)]
        if json_output:
            print_json(found)
        else:
            views.show_workers(stdout, found)
        return EXIT_OK

    execute(work)


@config_app.command("show")
def config_show(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """Effective settings, secrets masked."""
    shown = settings_of(ctx).masked()
    if json_output:
        print_json(shown)
    else:
        views.show_settings(stdout, shown)


@app.command()
def doctor(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """Check ffmpeg, the database and the provider settings."""
    from vidpipe.cli.doctor import run_checks

    settings = settings_of(ctx)

    async def work(invocation: Invocation) -> int:
        checks = await run_checks(settings)
        if json_output:
            print_json([check.as_dict() for check in checks])
        else:
            views.show_checks(stdout, checks)
        return EXIT_OK if all(check.ok for check in checks) else EXIT_FAILED

    execute(work)


iterating.register(app)  # storyboard, edit, redo, takes, select, fork, stop, gc
models_command.register(app)  # models
helptext.reflow(app)
