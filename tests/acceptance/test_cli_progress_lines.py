"""The progress lines `generate` prints when its output is not a terminal: the stages by the one
set of human names (Storyboard, Keyframes, Clips, Stitch), each take of a clip counted as it is
made, and no line said twice."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.slow


def test_generate_prints_stage_names_every_take_and_each_line_once(vidpipe) -> None:
    made = vidpipe(
        "generate", "a red kite over green hills", "--scenes", "2", "--clip-duration", "1",
        "--resolution", "480p", "--yes", "--takes", "3",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    lines = [line for line in made.stderr.splitlines() if line.startswith("[")]
    stages = {re.match(r"\[([^\]]+)\]", line).group(1) for line in lines}  # type: ignore[union-attr]
    assert stages == {"Storyboard", "Keyframes", "Clips", "Stitch", "complete"}
    assert not any(s in made.stderr for s in ("video_gen", "keyframing", "storyboarding"))
    assert sum("Writing the storyboard" in line for line in lines) == 1
    for scene in (1, 2):
        for take in (1, 2, 3):
            assert f"[Clips] Scene {scene}, take {take}/3" in lines
            assert f"[Clips] Scene {scene}, take {take}/3 done" in lines
    assert len(lines) == len(set(lines))
