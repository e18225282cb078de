"""The `vidpipe` command line. Commands are thin: they parse, call below, and print.

This package imports nothing at load time: `main` sets the process's memory schedule
(vidpipe/memory.py) before the command table (Typer, Rich) is imported. The Typer app is
`vidpipe.cli.app.app`.
"""

from __future__ import annotations


def main() -> None:
    from vidpipe.memory import collect_rarely_while_starting, skip_final_collection, tune_allocator

    collect_rarely_while_starting()
    tune_allocator()
    from vidpipe.cli.app import app

    try:
        app()
    finally:
        skip_final_collection()


__all__ = ["main"]
