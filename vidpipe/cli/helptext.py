"""How `--help` reads: a flag is shown without a type placeholder (`--dry-run`, not
`--dry-run <bool>`: it takes no value), and a command's help is reflowed to the terminal's width
instead of keeping the line breaks of its docstring's source. A usage error reads as one
`error:` line, as every other refusal."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import typer
from typer import core

# Typer 0.2x carries its own copy of Click: its usage errors are of that copy's class
from typer._click.exceptions import UsageError

_installed = False  # the patch below, once per process


def install() -> None:
    """Show no type for flags. Idempotent."""
    global _installed
    if _installed:
        return
    option = core.TyperOption
    shown = option.display_type_rich

    def display_type_rich(self: core.TyperOption, ctx: Any) -> str | None:
        if self.is_flag and self.metavar is None:
            return None
        return shown(self, ctx)

    # a patch of Typer's class (it has no hook for this): set as an attribute, on purpose
    setattr(option, "display_type_rich", display_type_rich)  # noqa: B010
    # a usage error (an unknown flag or command, a missing option, a value of the wrong type)
    # as the one `error:` line every other refusal is, not Typer's usage line, hint and boxed
    # panel; caught where Click raises it, so Typer's rich error module (Markdown, Pygments)
    # is not imported to start every command
    for cls, name in [(core.TyperCommand, "make_context"), (core.TyperGroup, "make_context"),
                      (core.TyperGroup, "resolve_command")]:  # fmt: skip
        setattr(cls, name, _one_line_usage_errors(getattr(cls, name)))
    _installed = True


def _one_line_usage_errors(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except UsageError as error:
            if error.__class__.__name__ == "NoArgsIsHelpError":  # Typer prints the help
                raise
            usage_error_line(error)
            raise typer.Exit(2) from None

    return wrapper


def usage_error_line(error: UsageError) -> None:
    """A Click usage error as one line on stderr, naming the command's --help."""
    from vidpipe.cli.runtime import stderr

    ctx = error.ctx
    hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
    message = error.format_message().rstrip(".")
    stderr.print(f"error: {message}{hint}", markup=False, soft_wrap=True)


def reflow(app: typer.Typer) -> None:
    """Give every command (and sub-app) of `app` its docstring with each paragraph on one line:
    Rich keeps single newlines, which broke help mid-sentence at the source's width."""
    for info in app.registered_commands:
        text = info.help or (inspect.getdoc(info.callback) if info.callback else None)
        if text:
            info.help = one_line_paragraphs(text)
    for group in app.registered_groups:
        if group.typer_instance is not None:
            reflow(group.typer_instance)


def one_line_paragraphs(text: str) -> str:
    """Paragraphs (blank-line separated) joined into single lines; a paragraph whose lines are
    indented or bulleted is kept as written."""
    paragraphs = []
    for paragraph in inspect.cleandoc(text).split("\n\n"):
        lines = paragraph.splitlines()
        if any(line.startswith((" ", "-", "*", "\b")) for line in lines):
            paragraphs.append(paragraph)
        else:
            paragraphs.append(" ".join(line.strip() for line in lines))
    return "\n\n".join(paragraphs)
