"""Output you can paste: no wrapping without a terminal, "…" on cut text, id completion."""

from __future__ import annotations

import asyncio
import io
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from rich.console import Console

from vidpipe.cli import views
from vidpipe.cli.complete import complete_project_id, matching
from vidpipe.cli.output import ELLIPSIS, PasteableConsole, shorten
from vidpipe.db.engine import open_database
from vidpipe.db.models import Project
from vidpipe.documents import Ledger, ProjectDocument, SceneDocument

LONG_PATH = "/srv/" + "/".join(["a-rather-long-folder-name"] * 4) + "/output/final.mp4"
DESCRIPTION = "Establishing: the world of a lighthouse is introduced, waves crash below the cliff"


def document(**extra: Any) -> ProjectDocument:
    """The fields the project view reads (model_construct: the rest are not needed here)."""
    scene = SceneDocument.model_construct(
        index=0, status="complete", clip_duration=4.0, scene_description=DESCRIPTION
    )
    ledger = Ledger(estimated_cost=None, spent=0.0, max_cost=None, billed_calls=0, attempts=[])
    return ProjectDocument.model_construct(
        id=uuid.uuid4(),
        status="complete",
        prompt="a lighthouse on a stormy coast at dawn, waves crashing, gulls overhead",
        output_path=LONG_PATH,
        scenes=[scene],
        error_message=None,
        note=None,
        runner=None,
        queued=False,
        ledger=ledger,
        missing_scenes=[],
        **extra,
    )


def piped_console(monkeypatch: pytest.MonkeyPatch) -> tuple[PasteableConsole, io.StringIO]:
    monkeypatch.setenv("COLUMNS", "40")
    buffer = io.StringIO()  # not a terminal
    return PasteableConsole(file=buffer, highlight=False), buffer


def test_shorten_cuts_at_a_word_and_ends_with_an_ellipsis() -> None:
    assert shorten("short  text\n", 20) == "short text"
    cut = shorten(DESCRIPTION, 40)
    assert len(cut) <= 40 and cut.endswith(ELLIPSIS)
    assert cut == "Establishing: the world of a lighthouse…"
    assert shorten("x" * 50, 10) == "x" * 9 + ELLIPSIS  # no space to cut at
    assert shorten("one two three four", 12) == "one two…"
    assert shorten(None, 10) == ""


def test_without_a_terminal_nothing_wraps_even_at_40_columns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    console, buffer = piped_console(monkeypatch)
    doc = document()
    views.show_project(console, doc)
    lines = buffer.getvalue().splitlines()
    assert f"output: {LONG_PATH}" in lines
    assert lines[0].startswith(str(doc.id))
    scene_row = next(line for line in lines if line.lstrip().startswith("1 "))
    assert scene_row.rstrip().endswith(shorten(DESCRIPTION, 70))
    assert shorten(DESCRIPTION, 70).endswith(ELLIPSIS)


def test_a_plain_rich_console_would_have_broken_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    buffer = io.StringIO()
    views.show_project(Console(file=buffer, highlight=False), document())
    assert not any(shorten(DESCRIPTION, 70) in line for line in buffer.getvalue().splitlines())


def test_on_a_narrow_terminal_the_path_is_left_for_the_terminal_to_fold() -> None:
    buffer = io.StringIO()
    terminal = PasteableConsole(file=buffer, force_terminal=True, width=40, color_system=None)
    views.show_project(terminal, document())
    assert f"output: {LONG_PATH}" in buffer.getvalue().splitlines()
    assert terminal.width == 40


def test_list_without_a_terminal_is_one_line_per_project(monkeypatch: pytest.MonkeyPatch) -> None:
    console, buffer = piped_console(monkeypatch)
    docs = [document(created_at="2026-12-01T00:00:00") for _ in range(3)]
    views.show_list(console, docs)
    lines = buffer.getvalue().splitlines()
    assert len(lines) == 1 + len(docs)
    assert all(
        line.split()[0] == str(doc.id)[:8] for line, doc in zip(lines[1:], docs, strict=True)
    )


def test_matching_ids_accept_prefixes_with_or_without_dashes() -> None:
    first, second = "3f2a0c1e-0000-4000-8000-000000000001", "3f2b9999-0000-4000-8000-000000000002"
    rows = [(first, "complete", "a fox\ncrossing " + "snow " * 30), (second, "failed", "city")]
    assert [m[0] for m in matching(rows, "3F2")] == [first, second]
    assert matching(rows, "3f2a0c1e0000") == [(first, f"complete: {shorten(rows[0][2], 50)}")]
    assert matching(rows, "3f2b9999-0") == [(second, "failed: city")]
    assert matching(rows, "ffff") == []


def completion_context(data_dir: Path, database_url: str | None = None) -> Any:
    root = SimpleNamespace(params={"data_dir": data_dir, "database_url": database_url})
    return SimpleNamespace(find_root=lambda: root)


async def add_projects(database_url: str, prompts: list[str]) -> None:
    async with open_database(database_url) as sessions:
        async with sessions() as session:
            for prompt in prompts:
                session.add(
                    Project(
                        prompt=prompt,
                        style="cinematic",
                        aspect_ratio="16:9",
                        resolution="720p",
                        clip_duration=4.0,
                        storyboard_provider="local",
                        image_provider="local",
                        video_provider="local",
                    )
                )
                await session.commit()


def test_completion_reads_the_database_newest_first(tmp_path: Path, database_url: str) -> None:
    """Sync on purpose: completion runs outside any event loop (PostgreSQL gets one of its own)."""
    asyncio.run(add_projects(database_url, ["older", "newer"]))
    context = completion_context(tmp_path / "data", database_url)
    found = complete_project_id(context, "")
    assert [help_text for _, help_text in found] == ["pending: newer", "pending: older"]
    project_id = found[1][0]
    assert str(uuid.UUID(project_id)) == project_id
    assert complete_project_id(context, project_id[:6]) == [found[1]]


def test_completion_without_a_database_offers_nothing_and_creates_nothing(tmp_path: Path) -> None:
    assert complete_project_id(completion_context(tmp_path / "none"), "") == []
    assert not (tmp_path / "none").exists()
    (tmp_path / "vidpipe.db").write_text("not a database")
    assert complete_project_id(completion_context(tmp_path), "3f") == []
