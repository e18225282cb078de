"""A compact word-level difference between two prompts, for labelling takes side by side.

The result is a list of plain-text segments ("same", "ins", "del"); the template escapes
each one, so a prompt can never put markup on the page.
"""

from __future__ import annotations

import difflib

from typing_extensions import TypedDict  # pydantic reads it (web/views.TakeRow)

CONTEXT = 3  # words of unchanged text kept on either side of a change


class Segment(TypedDict):
    """A run of words that both prompts share ("same") or only one has ("ins", "del")."""

    op: str
    text: str


def word_diff(selected: str, other: str) -> list[Segment]:
    """How `other` differs from `selected`, word by word; long unchanged runs are shortened to
    a few words either side of a change, so a label stays short. Empty when they are equal."""
    old, new = selected.split(), other.split()
    if old == new:
        return []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    opcodes = matcher.get_opcodes()
    segments: list[Segment] = []
    for position, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            words = old[i1:i2]
            first, last = position == 0, position == len(opcodes) - 1
            segments.append({"op": "same", "text": _shortened(words, first, last)})
            continue
        if tag in ("delete", "replace"):
            segments.append({"op": "del", "text": " ".join(old[i1:i2])})
        if tag in ("insert", "replace"):
            segments.append({"op": "ins", "text": " ".join(new[j1:j2])})
    return segments


def _shortened(words: list[str], first: bool, last: bool) -> str:
    """Unchanged words between changes: the few next to a change, "…" for the rest."""
    keep_head = 0 if first else CONTEXT  # words right after the change before
    keep_tail = 0 if last else CONTEXT  # words right before the change after
    if len(words) <= keep_head + keep_tail + 1:
        return " ".join(words)
    head, tail = words[:keep_head], words[len(words) - keep_tail :] if keep_tail else []
    return " ".join([*head, "…", *tail])
