"""vidpipe's command line run in this process, as its own process would run it.

Typer's CliRunner over the app `python -m vidpipe` builds: the command sees exactly the VIDPIPE_*
settings it is given (none inherited), its stdout and stderr are kept apart, and an exception that
escapes is printed to stderr with exit 1, as Python does. A command costs its own work, not a fresh
interpreter's imports. Only from synchronous tests: a command runs its own event loop.
"""

from __future__ import annotations

import os
import subprocess
import traceback

from typer.testing import CliRunner


def run_in_process(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    from vidpipe.cli.main import build_app

    inherited = {key: None for key in os.environ if key.startswith("VIDPIPE_") and key not in env}
    result = CliRunner().invoke(build_app(), args, env={**inherited, **env})
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return subprocess.CompletedProcess(["vidpipe", *args], result.exit_code, result.stdout, stderr)
