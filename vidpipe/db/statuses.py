"""The statuses a project, a clip and a run can have, in one place. StrEnums: a member is equal
to its string, so rows, JSON documents and older code that spell them as text all agree."""

from __future__ import annotations

from enum import StrEnum


class ProjectStatus(StrEnum):
    """A project's status: the earliest stage not yet finished, or how it stopped."""

    PENDING = "pending"
    STORYBOARDING = "storyboarding"
    KEYFRAMING = "keyframing"
    VIDEO_GEN = "video_gen"
    STITCHING = "stitching"
    COMPLETE = "complete"
    FAILED = "failed"
    PAUSED = "paused"
    STOPPED = "stopped"
    OUT_OF_DATE = "out_of_date"


class ClipStatus(StrEnum):
    """A clip's status. `submitting` is committed before the request leaves; a lost answer
    leaves `submit_unknown`, sent again only with the user's consent."""

    PENDING = "pending"
    SUBMITTING = "submitting"
    SUBMITTED = "submitted"
    SUBMIT_UNKNOWN = "submit_unknown"
    COMPLETE = "complete"
    FAILED = "failed"
    RAI_FILTERED = "rai_filtered"
    TIMED_OUT = "timed_out"


class RunStatus(StrEnum):
    """A pipeline run's status: `running` while its runner works, then how it ended
    (`interrupted`: Ctrl+C or SIGTERM; `abandoned`: its runner died and a later run closed it)."""

    RUNNING = "running"
    COMPLETE = "complete"
    PAUSED = "paused"
    STOPPED = "stopped"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    ABANDONED = "abandoned"
