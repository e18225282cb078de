"""What the CLI's command modules share: common options, the settings, the confirmations, and
handing a project to a runner (inline in the foreground, or the queue with --detach) with the
outcome rendered. Command modules (vidpipe/cli/commands/) import this; nothing here imports a
command module, so the command table has no import circle (vidpipe/cli/main.py registers them).
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

import typer

from vidpipe.cli import views
from vidpipe.cli.complete import complete_project_id
from vidpipe.cli.runtime import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    fail,
    print_json,
    stderr,
    stdout,
)

if TYPE_CHECKING:
    import uuid

    from sqlalchemy.ext.asyncio import AsyncSession

    from vidpipe.config import Settings
    from vidpipe.documents import ProjectDocument
    from vidpipe.providers.registry import ProviderRegistry
    from vidpipe.runners.base import Runner

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


@dataclass
class Commands:
    """Commands collected by a module and added to the Typer app by the module that owns it."""

    found: list[tuple[Callable[..., Any], dict[str, Any]]] = field(default_factory=list)

    def command(self, name: str | None = None, **options: Any) -> Callable[..., Any]:
        def collect(function: Callable[..., Any]) -> Callable[..., Any]:
            self.found.append((function, {"name": name, **options}))
            return function

        return collect

    def register(self, app: typer.Typer) -> None:
        for function, options in self.found:
            app.command(**options)(function)


def settings_of(ctx: typer.Context) -> Settings:
    """The settings, with the root options (--data-dir, --database-url) over the environment.
    A bad value or an unknown key in vidpipe.toml exits 2 before anything is written; a
    VIDPIPE_* variable no setting reads is a warning line naming the closest."""
    from pydantic import ValidationError

    from vidpipe.config import Settings, unknown_environment
    from vidpipe.errors import VidpipeError

    try:
        settings = Settings(**(ctx.obj or {}))
    except ValidationError as exc:
        from vidpipe.cli.flags import one_line

        raise fail(f"configuration: {one_line(exc, {})}", EXIT_BAD_INPUT) from None
    except VidpipeError as exc:
        raise fail(f"configuration: {exc}", EXIT_BAD_INPUT) from None
    for line in unknown_environment():
        stderr.print(f"warning: {line}", markup=False, soft_wrap=True)
    return settings


def show_document(document: ProjectDocument, json_output: bool) -> None:
    """A project document as JSON (--json) or as the project view."""
    if json_output:
        print_json(document.as_json())
    else:
        views.show_project(stdout, document)


async def show_plan(
    session: AsyncSession, settings: Settings, project_id: uuid.UUID, json_output: bool
) -> None:
    """The plan of a project (`plan`, and after `edit`): JSON (--json) or the plan view."""
    from vidpipe.app import runs
    from vidpipe.providers.registry import load_registry

    found = await runs.plan(session, settings, load_registry(), project_id)
    if json_output:
        print_json(found.document().as_json())
    else:
        views.show_plan(stdout, found.document())


async def show_project(
    session: AsyncSession, settings: Settings, project_id: uuid.UUID, json_output: bool
) -> None:
    """A project as it is in the database now, as `show_document` renders it."""
    from vidpipe.app import projects
    from vidpipe.db.queries import load_project

    found = await load_project(session, project_id)
    show_document(projects.document(found, settings), json_output)


def check_detach(settings: Settings, detach: bool) -> None:
    if detach and settings.execution != "queue":
        raise fail(
            "--detach needs VIDPIPE_EXECUTION=queue (PostgreSQL and `vidpipe worker`s); "
            "without it the run happens in this process",
            EXIT_BAD_INPUT,
        )


def confirm_cost(estimate: float) -> None:
    if not sys.stdin.isatty():
        raise fail(
            f"this run is estimated at ${estimate:.2f}; pass --yes to confirm without a terminal",
            EXIT_BAD_INPUT,
        )
    if not typer.confirm(f"Estimated cost ${estimate:.2f}. Continue?", err=True):
        raise fail("cancelled; nothing was written", EXIT_BAD_INPUT)


def confirm_plan(cost: float, resubmissions: list[int]) -> None:
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


async def hand_over(
    session: AsyncSession,
    settings: Settings,
    registry: ProviderRegistry,
    project_id: uuid.UUID,
    hand: Callable[[Runner], Awaitable[object]],
    *,
    json_output: bool,
    detach: bool = False,
    approved: list[int] | None = None,
) -> int:
    """Call `hand` (a use case that gives the project to a runner) with the CLI's runner: the
    inline runner with a progress display, or with --detach the queue; render the outcome and
    return the exit code. A stop the user asked for is an outcome (exit 130, said once, no
    error). `approved`: scenes whose unanswered submission this run may send again (said in
    the output, JSON too: they may be billed twice)."""
    from vidpipe.app import projects
    from vidpipe.db.queries import load_project
    from vidpipe.documents import ApprovedRunDocument

    if detach:
        from vidpipe.runners.queue import queue_runner_for

        async with queue_runner_for(settings, session) as queue:
            await hand(queue)
        if json_output:
            queued = await load_project(session, project_id)
            print_json(projects.summary(queued, settings).as_json())
        else:
            stdout.print(str(project_id), markup=False, soft_wrap=True)
        return EXIT_OK
    from vidpipe.cli.progress import make_progress
    from vidpipe.runners.inline import InlineRunner

    progress = make_progress(stderr, quiet=False)
    runner = InlineRunner(session, settings, registry, progress)
    if progress is None:
        await hand(runner)
    else:
        with progress:
            await hand(runner)
    from vidpipe.orchestrator.pipeline import StoppedByUserError

    project = await load_project(session, project_id)
    document = projects.document(project, settings)
    if approved:
        document = ApprovedRunDocument(**dict(document), approved_resubmissions=approved)
        if not json_output:
            stderr.print(
                f"approved: sent again the clip of scene(s) {', '.join(map(str, approved))} "
                "whose earlier submission got no answer (may be billed twice)",
                markup=False,
                soft_wrap=True,
            )
    show_document(document, json_output)
    stopped = runner.failures.get(project_id)
    if isinstance(stopped, StoppedByUserError):  # an outcome the user asked for, not an error
        from vidpipe.cli.flags import flagged

        stderr.print(flagged(stopped), markup=False, soft_wrap=True)  # with the command
        return EXIT_INTERRUPTED
    if not runner.failed(project_id) and project.status == "paused" and not json_output:
        stage = {"keyframing": "keyframes", "video_gen": "clips"}.get(
            project.paused_before or "", "the next stage"
        )
        stderr.print(
            f"paused for review before {stage}: look at it (vidpipe status {project_id}, or "
            f"the page), edit if you like, then run: vidpipe resume {project_id}",
            markup=False,
            soft_wrap=True,
        )
    if runner.failed(project_id):
        stderr.print(
            f"error: project {project_id} failed: {project.error_message}\n"
            f"fix the cause, then run: vidpipe resume {project_id}",
            markup=False,
            soft_wrap=True,
        )
        return EXIT_FAILED
    return EXIT_OK


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
    or risks paying twice (which also approves those resubmissions), then the resume use case
    with the CLI's runner."""
    from vidpipe.app import runs

    plan = await runs.plan(session, settings, registry, project_id)
    costly = plan.estimated_cost > 0 or bool(plan.resubmissions)  # money or risk: ask
    # a free plan is shown too (what is about to be made), unless it is empty or another process
    # runs the project: then the refusal or the run that follows is the one line to read
    if not json_output and plan.items and (costly or not await held_elsewhere(session, project_id)):
        views.show_plan(stderr, plan.document())
    if costly and not yes:
        confirm_plan(plan.estimated_cost, plan.resubmissions)

    async def resume(runner: Runner) -> object:
        return await runs.resume(
            session,
            settings,
            registry,
            project_id,
            runner,
            max_cost=max_cost,
            resubmit_unknown=bool(plan.resubmissions),
        )

    return await hand_over(
        session, settings, registry, project_id, resume, json_output=json_output, detach=detach,
        approved=plan.resubmissions,
    )  # fmt: skip


async def held_elsewhere(session: AsyncSession, project_id: uuid.UUID) -> bool:
    """Whether another process runs the project now, by the lease's one definition of running
    (unexpired, and a holder on this host still alive)."""
    from vidpipe.db.models import Project
    from vidpipe.orchestrator.leases import is_held

    project = await session.get(Project, project_id, populate_existing=True)
    return project is not None and is_held(project)
