"""`vidpipe resume`: bring a project up to date (the plan first, confirmed when it costs)."""

from __future__ import annotations

from typing import Annotated

import typer

from vidpipe.cli.runtime import EXIT_BAD_INPUT, Invocation, database, execute, fail
from vidpipe.cli.shared import (
    Commands,
    DetachFlag,
    IdArg,
    JsonFlag,
    bring_up_to_date,
    check_detach,
    settings_of,
)

commands = Commands()


@commands.command()
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
