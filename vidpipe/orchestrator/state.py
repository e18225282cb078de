"""The state machine (seed names) and where a resume re-enters it.

While work runs, status names the earliest stage not yet finished. Where a run re-enters is
the plan's first stage (pipeline/plan.py), decided from what the database and the files hold,
never from the status string alone.
"""

from __future__ import annotations

from vidpipe.db.statuses import ProjectStatus

PIPELINE_STATES: dict[str, str] = {
    ProjectStatus.PENDING: "created, nothing run yet",
    ProjectStatus.STORYBOARDING: "writing the storyboard",
    ProjectStatus.KEYFRAMING: "drawing the keyframe chain",
    ProjectStatus.VIDEO_GEN: "animating each scene",
    ProjectStatus.STITCHING: "joining the clips into output/final.mp4",
    ProjectStatus.COMPLETE: "finished",
    ProjectStatus.FAILED: "stopped by an error; resumable",
    ProjectStatus.PAUSED: "stopped at a review gate (--pause-after); resume continues",
    ProjectStatus.STOPPED: "stopped by you; resume continues",
    ProjectStatus.OUT_OF_DATE: (
        "changed since it was made, nothing running; resume brings it up to date"
    ),
}

# The one set of names people read for the working stages (CLI lines, the page, the docs). The
# keys stay the machine values of `status` in JSON and the database.
STAGE_NAMES: dict[str, str] = {
    ProjectStatus.STORYBOARDING: "Storyboard",
    ProjectStatus.KEYFRAMING: "Keyframes",
    ProjectStatus.VIDEO_GEN: "Clips",
    ProjectStatus.STITCHING: "Stitch",
}


def status_label(status: str) -> str:
    """How a person reads a status: a working stage by its stage name, others in plain words."""
    return STAGE_NAMES.get(status, status.replace("_", " "))


STEP_TRANSITIONS: dict[str, ProjectStatus] = {
    ProjectStatus.PENDING: ProjectStatus.STORYBOARDING,
    ProjectStatus.STORYBOARDING: ProjectStatus.KEYFRAMING,
    ProjectStatus.KEYFRAMING: ProjectStatus.VIDEO_GEN,
    ProjectStatus.VIDEO_GEN: ProjectStatus.STITCHING,
    ProjectStatus.STITCHING: ProjectStatus.COMPLETE,
}

RESUMABLE_STATES: frozenset[str] = frozenset(
    {
        ProjectStatus.PENDING,
        ProjectStatus.FAILED,
        ProjectStatus.PAUSED,
        ProjectStatus.STOPPED,
        ProjectStatus.OUT_OF_DATE,
        ProjectStatus.STORYBOARDING,
        ProjectStatus.KEYFRAMING,
        ProjectStatus.VIDEO_GEN,
        ProjectStatus.STITCHING,
    }
)

# Each working status and the step name used in logs and error messages.
STAGE_STEPS: dict[str, str] = {
    ProjectStatus.STORYBOARDING: "storyboard",
    ProjectStatus.KEYFRAMING: "keyframes",
    ProjectStatus.VIDEO_GEN: "video_gen",
    ProjectStatus.STITCHING: "stitch",
}


def can_resume(status: str) -> bool:
    return status in RESUMABLE_STATES
