"""The `vidpipe` command line. Commands are thin: they parse, call below, and print."""

from vidpipe.cli.app import app


def main() -> None:
    from vidpipe.memory import tune_allocator

    tune_allocator()
    app()


__all__ = ["app", "main"]
