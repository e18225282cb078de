"""The rules of `--takes K` that need no run: which take wins a round, and which K is valid."""

from __future__ import annotations

import pytest

from vidpipe.cli.flags import flagged
from vidpipe.db.models import Project, Take, VideoClip
from vidpipe.errors import BadInputError
from vidpipe.orchestrator.edits import check_takes
from vidpipe.pipeline.takes import best_take, takes_wanted


def take(number: int, fidelity: float | None) -> Take:
    return Take(number=number, fidelity=fidelity, slot="clip", file_path=f"clips/{number}.mp4")


def test_the_highest_fidelity_wins_ties_go_to_the_earlier_take_unscored_last() -> None:
    assert best_take([take(1, 31.0), take(2, 35.5), take(3, 33.0)]).number == 2
    assert best_take([take(4, 30.0), take(5, 30.0)]).number == 4
    assert best_take([take(6, None), take(7, 12.0)]).number == 7
    assert best_take([take(8, None)]).number == 8


def test_a_redo_round_has_its_own_k_else_the_projects() -> None:
    project = Project(takes_per_clip=3)
    assert takes_wanted(project, None) == 3
    assert takes_wanted(project, VideoClip(takes_wanted=None)) == 3
    assert takes_wanted(project, VideoClip(takes_wanted=2)) == 2


@pytest.mark.parametrize(
    ("takes", "slot", "message"),
    [
        (0, "clip", "invalid --takes: 0; give 1 to 4"),
        (5, "clip", "invalid --takes: 5; give 1 to 4"),
        (2, "end", "invalid --takes: applies to a clip only"),
    ],
)
def test_bad_k_is_refused(takes: int, slot: str, message: str) -> None:
    with pytest.raises(BadInputError) as caught:
        check_takes(takes, slot)
    assert message in flagged(caught.value)  # the error names the field; the CLI, its flag


def test_good_k_passes() -> None:
    for takes in (None, 1, 4):
        check_takes(takes, "clip")
    check_takes(1, "end")
