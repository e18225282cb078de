"""`--takes K` through the real command line: a bad K exits 2 with one line and writes
nothing; `generate --takes 2` makes two clip takes and `takes` shows them with their fidelity
and which one was picked; `redo --clip --takes K` is checked the same way."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from cli_helpers import document
from processes import artifacts

pytestmark = pytest.mark.slow

SMALL = ("--scenes", "1", "--clip-duration", "1", "--resolution", "480p", "--yes")


def rows(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as connection:
        return {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("projects", "takes", "provider_calls", "video_clips", "pipeline_runs")
        }


def test_generate_with_a_bad_takes_writes_nothing(vidpipe, tmp_path: Path) -> None:
    for bad in ("0", "5"):
        result = vidpipe("generate", "a red kite", *SMALL, "--takes", bad)
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip().splitlines() == [
            f"error: invalid --takes: Input should be "
            f"{'greater than or equal to 1' if bad == '0' else 'less than or equal to 4'}"
        ]
    assert not (tmp_path / "data" / "vidpipe.db").exists()
    assert not (tmp_path / "data" / "projects").exists()


def test_generate_two_takes_then_takes_shows_both_and_a_bad_redo_changes_nothing(
    vidpipe, tmp_path: Path
) -> None:
    made = vidpipe("generate", "a red kite over green hills", *SMALL, "--takes", "2", "--json")
    assert made.returncode == 0, made.stderr
    project_id = document(made)["id"]
    root = tmp_path / "data" / "projects" / project_id
    assert sorted(p.name for p in (root / "clips").iterdir()) == [
        "scene_00.mp4",
        "scene_00.t2.mp4",
    ]
    listed = document(vidpipe("takes", project_id, "--scene", "1", "--json"))
    assert listed["takes_per_clip"] == 2
    clips = [t for t in listed["takes"] if t["slot"] == "clip"]
    assert [t["take"] for t in clips] == [1, 2]
    assert all(t["exists"] and t["fidelity"] is not None for t in clips)
    best = max(clips, key=lambda t: (t["fidelity"], -t["take"]))
    assert [t["take"] for t in clips if t["selected"]] == [best["take"]]
    assert [t["take"] for t in clips if t["auto_selected"]] == [best["take"]]
    shown = vidpipe("takes", project_id, "--scene", "1")
    assert "(best fidelity of its round)" in shown.stdout

    database = tmp_path / "data" / "vidpipe.db"
    before, files, status = rows(database), artifacts(root), vidpipe("status", project_id, "--json")
    for args, line in (
        (["--clip", "--takes", "9"], "error: invalid --takes: 9; give 1 to 4"),
        (["--end-frame", "--takes", "2"], "error: invalid --takes: applies to a clip only"),
    ):
        result = vidpipe("redo", project_id, "--scene", "1", *args, "--yes")
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip().splitlines()[0].startswith(line), result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert rows(database) == before and artifacts(root) == files
    assert vidpipe("status", project_id, "--json").stdout == status.stdout
