"""The state machine of the seed and where resume re-enters it."""

import pytest

from vidpipe.orchestrator.state import (
    PIPELINE_STATES,
    RESUMABLE_STATES,
    STEP_TRANSITIONS,
    can_resume,
)


def test_states_and_transitions_follow_the_seed() -> None:
    assert list(PIPELINE_STATES) == [
        "pending", "storyboarding", "keyframing", "video_gen", "stitching", "complete", "failed",
        "paused", "stopped", "out_of_date",
    ]  # fmt: skip
    chain, state = [], "pending"
    while state in STEP_TRANSITIONS:
        state = STEP_TRANSITIONS[state]
        chain.append(state)
    assert chain == ["storyboarding", "keyframing", "video_gen", "stitching", "complete"]
    assert "complete" not in RESUMABLE_STATES and "failed" in RESUMABLE_STATES
    # resting statuses: a stop the user asked for, and an idle project edited since it was made
    assert {"stopped", "out_of_date"} <= RESUMABLE_STATES


@pytest.mark.parametrize("status", sorted(RESUMABLE_STATES))
def test_every_resumable_status_can_be_resumed(status: str) -> None:
    assert can_resume(status)


def test_complete_and_unknown_statuses_are_refused() -> None:
    assert not can_resume("complete")
    assert not can_resume("dancing")
