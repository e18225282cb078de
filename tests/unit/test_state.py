"""The state machine of the seed and where resume re-enters it."""

import pytest

from vidpipe.orchestrator.state import (
    PIPELINE_STATES,
    RESUMABLE_STATES,
    STEP_TRANSITIONS,
    can_resume,
    get_resume_step,
)

NOTHING = {"has_storyboard": False, "has_keyframes": False, "has_clips": False}


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
def test_resume_step_comes_from_completed_work_not_from_status(status: str) -> None:
    assert can_resume(status)
    assert get_resume_step(status, NOTHING) == "storyboarding"
    assert get_resume_step(status, {**NOTHING, "has_storyboard": True}) == "keyframing"
    done_frames = {"has_storyboard": True, "has_keyframes": True, "has_clips": False}
    assert get_resume_step(status, done_frames) == "video_gen"
    assert get_resume_step(status, {**done_frames, "has_clips": True}) == "stitching"


def test_a_status_that_claims_progress_cannot_skip_missing_work() -> None:
    # status says stitching, but the keyframe files are gone: go back and draw them
    assert get_resume_step("stitching", {"has_storyboard": True}) == "keyframing"


def test_complete_and_unknown_statuses_are_refused() -> None:
    assert not can_resume("complete")
    with pytest.raises(ValueError, match="cannot be resumed"):
        get_resume_step("complete", NOTHING)
    with pytest.raises(ValueError, match="unknown status"):
        get_resume_step("dancing", NOTHING)
