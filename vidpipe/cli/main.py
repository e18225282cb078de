"""The `vidpipe` program: `main` (the console script) and the Typer app it runs, assembled here
from the command modules in vidpipe/cli/commands/.

Nothing heavy at load time: `main` sets the process's memory schedule (vidpipe/memory.py) before
Typer, Rich and the command modules are imported, so the app is built by `build_app`, once, not
at import.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer


def main() -> None:
    """Run the command line (the `vidpipe` console script and `python -m vidpipe`)."""
    from vidpipe.memory import collect_rarely_while_starting, skip_final_collection, tune_allocator

    collect_rarely_while_starting()
    tune_allocator()
    app = build_app()
    try:
        app()
    finally:
        skip_final_collection()


@cache
def build_app() -> typer.Typer:
    """The Typer app with every command, in the order `vidpipe --help` lists them."""
    import typer

    from vidpipe.cli import helptext
    from vidpipe.cli.commands import (
        config,
        doctor,
        edit,
        fork,
        gc,
        generate,
        models,
        plan,
        redo,
        resume,
        root,
        serve,
        status,
        stitch,
        stop,
        storyboard,
        takes,
        workers,
    )

    app = typer.Typer(
        name="vidpipe",
        help="One text prompt in, a finished multi-scene MP4 out.",
        no_args_is_help=True,
        add_completion=True,
        pretty_exceptions_enable=False,
    )
    helptext.install()
    root.register(app)
    for module in (generate, resume, plan, status, stitch, serve, workers, doctor):
        module.commands.register(app)
    for module in (storyboard, edit, redo, takes, fork, stop, gc, models):
        module.commands.register(app)
    config.register(app)
    helptext.reflow(app)
    return app
