"""Output that survives a pipe: nothing wraps unless a terminal is there to show it.

Rich wraps at $COLUMNS (or 80) even when stdout is a file or a CI log, which breaks an id, a path
or a URL in two so it can no longer be copied. Without a terminal our consoles have no width
limit (tables are as wide as their content, lines are never broken); on a terminal Rich fits the
window as usual, and lines that carry an id, a path or a URL are printed with `soft_wrap=True`
so the terminal, not Rich, folds them. Text we cut ends with "…".
"""

from __future__ import annotations

from rich.console import Console, ConsoleDimensions

NO_TERMINAL_WIDTH = 100_000  # "no limit": Rich needs a number; tables still size to content
ELLIPSIS = "…"


class PasteableConsole(Console):
    """A Rich console that lays out for the terminal when there is one, else never wraps."""

    @property
    def size(self) -> ConsoleDimensions:
        if self.is_terminal:
            return super().size
        return ConsoleDimensions(NO_TERMINAL_WIDTH, super().size.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        """As Rich's: a set size is what a terminal shows; without one the width stays free."""
        self.width, self.height = new_size


def make_console(*, stderr: bool = False) -> PasteableConsole:
    return PasteableConsole(stderr=stderr, highlight=False)


def shorten(text: str | None, width: int) -> str:
    """One line of at most `width` characters, cut at a word where one is near, ending in "…"."""
    flat = " ".join((text or "").split())
    if len(flat) <= width:
        return flat
    cut = flat[: width - 1]
    space = cut.rfind(" ")
    if flat[width - 1] != " " and space >= width // 2:  # mid-word: back to the last space
        cut = cut[:space]
    return cut.rstrip(" ,;:.-—") + ELLIPSIS
