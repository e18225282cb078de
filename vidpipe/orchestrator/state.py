"""The state machine (seed names) and where a resume re-enters it.

While work runs, status names the earliest stage not yet finished (CORE-1). Where to resume is
decided from what the database and the files hold, never from the status string alone (CORE-2).
"""

from __future__ import annotations

from collections.abc import Mapping

from vidpipe.db.statuses import ProjectStatus as S

PIPELINE_STATES: dict[str, str] = {
    S.PENDING: "created, nothing run yet",
    S.STORYBOARDING: "writing the storyboard",
    S.KEYFRAMING: "drawing the keyframe chain",
    S.VIDEO_GEN: "animating each scene",
    S.STITCHING: "joining the clips into output/final.mp4",
    S.COMPLETE: "finished",
    S.FAILED: "stopped by an error; resumable",
    S.PAUSED: "stopped at a review gate (--pause-after); resume continues",
}

STEP_TRANSITIONS: dict[str, str] = {
    S.PENDING: S.STORYBOARDING,
    S.STORYBOARDING: S.KEYFRAMING,
    S.KEYFRAMING: S.VIDEO_GEN,
    S.VIDEO_GEN: S.STITCHING,
    S.STITCHING: S.COMPLETE,
}

RESUMABLE_STATES: frozenset[str] = frozenset(
    {S.PENDING, S.FAILED, S.PAUSED, S.STORYBOARDING, S.KEYFRAMING, S.VIDEO_GEN, S.STITCHING}
)

# Each working status and the step name used in logs and error messages.
STAGE_STEPS: dict[str, str] = {
    S.STORYBOARDING: "storyboard",
    S.KEYFRAMING: "keyframes",
    S.VIDEO_GEN: "video_gen",
    S.STITCHING: "stitch",
}

COMPLETED_STEP_KEYS = ("has_storyboard", "has_keyframes", "has_clips", "has_output")


def can_resume(status: str) -> bool:
    return status in RESUMABLE_STATES


def get_resume_step(status: str, completed_steps: Mapping[str, bool]) -> str:
    """The working status to re-enter at: the first stage whose work is not all done.

    `completed_steps` holds `has_storyboard`, `has_keyframes`, `has_clips` and optionally
    `has_output`, each checked against the database *and* the files. The status string only
    decides whether resuming is allowed at all.
    """
    if status not in PIPELINE_STATES:
        raise ValueError(f"unknown status {status!r}")
    if not can_resume(status):
        raise ValueError(f"a {status} project cannot be resumed")
    if not completed_steps.get("has_storyboard"):
        return "storyboarding"
    if not completed_steps.get("has_keyframes"):
        return "keyframing"
    if not completed_steps.get("has_clips"):
        return "video_gen"
    return "stitching"
