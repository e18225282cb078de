"""Takes: every keyframe and clip made is a take of its slot, kept beside the others."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.db.models import Project, Take, VideoClip
from vidpipe.db.statuses import ClipStatus

REDO = "redo"  # a fingerprint that matches nothing: the artifact is made again (a new take)


async def next_take_number(
    session: AsyncSession, project_id: uuid.UUID, scene_index: int, slot: str
) -> int:
    """One more than the slot's highest take, so a new take never reuses a file name."""
    highest = await session.scalar(
        select(func.max(Take.number)).where(
            Take.project_id == project_id, Take.scene_index == scene_index, Take.slot == slot
        )
    )
    return int(highest or 0) + 1


def split_direction(text: str | None, slot: str) -> str | None:
    """A scene's pending frame direction is stored as "<slot>:<text>"; the text for `slot`."""
    if not text or ":" not in text:
        return None
    stored_slot, direction = text.split(":", 1)
    return direction if stored_slot == slot else None


def with_direction(prompt: str, direction: str | None) -> str:
    return f"{prompt}\nDirection for this take: {direction}" if direction else prompt


MAX_TAKES = 4  # `--takes K`: K in 1..MAX_TAKES


def takes_wanted(project: Project, clip: VideoClip | None) -> int:
    """How many takes a round of this clip makes: a redo's own K, else the project's."""
    if clip is not None and clip.takes_wanted:
        return clip.takes_wanted
    return project.takes_per_clip or 1


def best_take(takes: Sequence[Take]) -> Take:
    """The take whose first/last frames match its keyframes best (highest fidelity; a take
    without a score ranks last; on a tie the earlier take)."""
    return max(takes, key=lambda t: (t.fidelity if t.fidelity is not None else -1e9, -t.number))


def point_clip_at(clip: VideoClip, take: Take) -> None:
    """Make `take` the scene's selected clip (its row's fingerprint is the caller's to set)."""
    clip.status, clip.provider, clip.take = ClipStatus.COMPLETE, take.provider, take.number
    clip.file_path, clip.content_hash = take.file_path, take.content_hash
    clip.duration_seconds, clip.has_audio = take.duration_seconds, take.has_audio
    clip.operation_id, clip.error_message = None, None
