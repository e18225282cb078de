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
    from vidpipe.db.queries import resolve_project_id
    from vidpipe.orchestrator.status import status_document

    settings = settings_of(ctx)

    async def work(invocation: Invocation) -> int:
        async with database(settings, create=False) as session:
            project_id = await resolve_project_id(session, project)
            document = await status_document(session, project_id, settings)
        show_document(document, json_output)
        return EXIT_OK

    execute(work)


@commands.command("list")
def list_command(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """All projects, newest first."""
    from vidpipe.db.queries import list_projects
    from vidpipe.orchestrator.report import project_summary
    from vidpipe.storage import ProjectStorage

    settings = settings_of(ctx)

    async def work(invocation: Invocation) -> int:
        documents: list[ProjectSummary] = []
        if database_exists(settings):
            async with database(settings, create=False) as session:
                for found in await list_projects(session):
                    storage = ProjectStorage(settings.projects_dir, found.id)
                    documents.append(project_summary(found, storage))
        if json_output:
            print_json([document.as_json() for document in documents])
        else:
            views.show_list(stdout, documents)
        return EXIT_OK

    execute(work)
