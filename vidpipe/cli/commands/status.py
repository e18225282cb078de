"""`vidpipe status` (one project) and `vidpipe list` (all of them): they only read."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from vidpipe.cli import views
from vidpipe.cli.runtime import (
    EXIT_OK,
    Invocation,
    database,
    database_exists,
    execute,
    print_json,
    stdout,
)
from vidpipe.cli.shared import Commands, IdArg, JsonFlag, settings_of, show_document

if TYPE_CHECKING:
    from vidpipe.documents import ProjectSummary

commands = Commands()


@commands.command()
def status(ctx: typer.Context, project: IdArg, json_output: JsonFlag = False) -> None:
    """One project: status, scenes, clips, runs, error."""
    from vidpipe.app import projects
    from vidpipe.db.queries import resolve_project_id
    from vidpipe.providers.registry import load_registry

    settings = settings_of(ctx)

    async def work(invocation: Invocation) -> int:
        async with database(settings, create=False) as session:
            project_id = await resolve_project_id(session, project)
            document = await projects.project_status(session, settings, load_registry(), project_id)
        show_document(document, json_output)
        return EXIT_OK

    execute(work)


@commands.command("list")
def list_command(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """All projects, newest first."""
    from vidpipe.app import projects

    settings = settings_of(ctx)

    async def work(invocation: Invocation) -> int:
        documents: list[ProjectSummary] = []
        if database_exists(settings):
            async with database(settings, create=False) as session:
                found = await projects.list_projects(session, settings)
                documents = [summary for _, summary in found.projects]
        if json_output:
            print_json([document.as_json() for document in documents])
        else:
            views.show_list(stdout, documents)
        return EXIT_OK

    execute(work)
