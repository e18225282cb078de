"""How `--help` reads: a flag is shown without a type placeholder (`--dry-run`, not
`--dry-run <bool>`: it takes no value), and a command's help is reflowed to the terminal's width
instead of keeping the line breaks of its docstring's source."""

from __future__ import annotations

import inspect
from typing import Any

import typer
from typer import core

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
    _installed = True


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
