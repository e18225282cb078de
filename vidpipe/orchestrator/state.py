"""The state machine (seed names) and where a resume re-enters it.

While work runs, status names the earliest stage not yet finished. Where to resume is
decided from what the database and the files hold, never from the status string alone.
"""

from __future__ import annotations

from collections.abc import Mapping

PIPELINE_STATES: dict[str, str] = {
    "pending": "created, nothing run yet",
    "storyboarding": "writing the storyboard",
    "keyframing": "drawing the keyframe chain",
    "video_gen": "animating each scene",
    "stitching": "joining the clips into output/final.mp4",
    "complete": "finished",
    "failed": "stopped by an error; resumable",
    "paused": "stopped at a review gate (--pause-after); resume continues",
    "stopped": "stopped by you; resume continues",
    "out_of_date": "changed since it was made, nothing running; resume brings it up to date",
}

# The one set of names people read for the working stages (CLI lines, the page, the docs). The
# keys stay the machine values of `status` in JSON and the database.
STAGE_NAMES: dict[str, str] = {
    "storyboarding": "Storyboard",
    "keyframing": "Keyframes",
    "video_gen": "Clips",
    "stitching": "Stitch",
}


def status_label(status: str) -> str:
    """How a person reads a status: a working stage by its stage name, others in plain words."""
    return STAGE_NAMES.get(status, status.replace("_", " "))


STEP_TRANSITIONS: dict[str, str] = {
    "pending": "storyboarding",
    "storyboarding": "keyframing",
    "keyframing": "video_gen",
    "video_gen": "stitching",
    "stitching": "complete",
}

RESUMABLE_STATES: frozenset[str] = frozenset(
    {
        "pending",
        "failed",
        "paused",
        "stopped",
        "out_of_date",
        "storyboarding",
        "keyframing",
        "video_gen",
        "stitching",
    }
)

# Each working status and the step name used in logs and error messages.
STAGE_STEPS: dict[str, str] = {
    "storyboarding": "storyboard",
    "keyframing": "keyframes",
    "video_gen": "video_gen",
    "stitching": "stitch",
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
