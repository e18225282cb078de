"""Small things a new user meets first: `--help` without type placeholders on flags and without
mid-sentence breaks; after `--pause-after` the exact next command; a free plan still shown by
`resume` before it runs."""

from __future__ import annotations

import json
import re

import pytest
from cli_helpers import Vidpipe

pytestmark = pytest.mark.slow


def test_help_shows_flags_without_a_type_and_keeps_sentences_whole(vidpipe: Vidpipe) -> None:
    top = vidpipe("--help", env={"COLUMNS": "160"})
    assert top.returncode == 0, top.stderr
    assert "<bool>" not in top.stdout
    # a command's help is one line when the terminal is wide enough (it used to break at the
    # docstring's source width)
    edit = next(line for line in top.stdout.splitlines() if "│ edit " in line)
    assert "reference images; prints the new plan." in edit, edit
    generate = vidpipe("generate", "--help", env={"COLUMNS": "160"})
    assert re.search(r"--yes\s+-y\s+Don't ask", generate.stdout), generate.stdout
    assert "<bool>" not in generate.stdout and "<float>" in generate.stdout  # values keep theirs


def test_pause_after_ends_with_the_next_command_and_resume_shows_a_free_plan(
    vidpipe: Vidpipe,
) -> None:
    made = vidpipe(
        "generate", "a paper boat on a pond", "--scenes", "1", "--clip-duration", "1",
        "--resolution", "480p", "--pause-after", "storyboard",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    project_id = re.search(r"[0-9a-f]{8}-[0-9a-f-]{27}", made.stdout).group(0)
    last = made.stderr.strip().splitlines()[-1]
    assert last.endswith(f"then run: vidpipe resume {project_id}"), made.stderr

    resumed = vidpipe("resume", project_id)
    assert resumed.returncode == 0, resumed.stderr
    assert "plan: " in resumed.stderr and "estimated $0.00" in resumed.stderr, resumed.stderr
    assert "complete" in resumed.stdout


def test_a_clip_redo_at_the_storyboard_gate_exits_2_and_runs_nothing(vidpipe: Vidpipe) -> None:
    made = vidpipe(
        "generate", "a paper boat on a pond", "--scenes", "1", "--clip-duration", "1",
        "--resolution", "480p", "--pause-after", "storyboard", "--json",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    project_id = json.loads(made.stdout)["id"]
    before = json.loads(vidpipe("status", project_id, "--json").stdout)

    for target in ("--clip", "--end-frame"):
        redo = vidpipe("redo", project_id, "--scene", "1", target, "--yes")
        assert redo.returncode == 2, (target, redo.stderr)
        assert redo.stdout == "" and len(redo.stderr.strip().splitlines()) == 1, redo.stderr
        assert "yet; resume it" in redo.stderr, redo.stderr
    after = json.loads(vidpipe("status", project_id, "--json").stdout)
    assert after == before and after["status"] == "paused"
