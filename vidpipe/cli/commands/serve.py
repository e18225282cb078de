"""`vidpipe serve`: the HTTP API and the page, in this process until Ctrl+C or SIGTERM."""

from __future__ import annotations

from typing import Annotated

import typer

from vidpipe.cli.runtime import EXIT_BAD_INPUT, EXIT_INTERRUPTED, fail
from vidpipe.cli.shared import Commands, settings_of
from vidpipe.errors import BadInputError

commands = Commands()


@commands.command()
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
