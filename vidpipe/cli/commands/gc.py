"""`vidpipe gc`: delete the artifact files no take references (and old unused uploads)."""

from __future__ import annotations

from typing import Annotated

import typer

from vidpipe.cli.runtime import (
    EXIT_OK,
    Invocation,
    database,
    database_exists,
    execute,
    print_json,
    stdout,
)
from vidpipe.cli.shared import Commands, JsonFlag, settings_of

commands = Commands()


@commands.command()
def gc(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only list what would be deleted.")
    ] = False,
    json_output: JsonFlag = False,
) -> None:
    """Delete artifact files that no take of any project references, and uploaded reference
    images no project uses and uploaded music beds that are older than a day; prints what it
    freed."""
    settings = settings_of(ctx)

    async def work(invocation: Invocation) -> int:
        from vidpipe.app import runs

        if database_exists(settings):
            async with database(settings, create=False) as session:
                report = await runs.gc(session, settings, dry_run=dry_run)
        else:
            report = await runs.gc(None, settings, dry_run=dry_run)
        if json_output:
            print_json(report.as_dict())
            return EXIT_OK
        verb = "would free" if dry_run else "freed"
        for path in report.files:
            stdout.print(str(path), markup=False, soft_wrap=True)
        uploads = f" ({report.uploads} unused uploads)" if report.uploads else ""
        if report.shared:
            uploads += f"; {report.shared} of them still used by a fork (hard links: no space)"
        stdout.print(f"{verb} {report.bytes / 1e6:.1f} MB in {len(report.files)} files{uploads}")
        return EXIT_OK

    execute(work)
