"""`vidpipe doctor`: ffmpeg, the database and the provider settings, each checked
(the checks are in vidpipe/cli/doctor.py)."""

from __future__ import annotations

import typer

from vidpipe.cli import views
from vidpipe.cli.runtime import EXIT_FAILED, EXIT_OK, Invocation, execute, print_json, stdout
from vidpipe.cli.shared import Commands, JsonFlag, settings_of

commands = Commands()


@commands.command()
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
