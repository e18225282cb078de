"""Small things a new user meets first: `--help` without type placeholders on flags and without
mid-sentence breaks; after `--pause-after` the exact next command; a free plan still shown by
`resume` before it runs."""

from __future__ import annotations

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
