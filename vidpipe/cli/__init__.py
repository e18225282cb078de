"""The `vidpipe` command line. Commands are thin: they parse, call below, and print.

`main` sets the process's memory schedule before the command table (Typer, Rich) is imported,
so this package itself imports nothing; `app` is loaded on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vidpipe.cli.app import app


def main() -> None:
    from vidpipe.memory import collect_rarely_while_starting, skip_final_collection, tune_allocator

    collect_rarely_while_starting()
    tune_allocator()
    from vidpipe.cli.app import app

    try:
        app()
    finally:
        skip_final_collection()


def __getattr__(name: str) -> Any:
    if name == "app":
        from vidpipe.cli.app import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["app", "main"]
