"""Takes (ITER-5): every keyframe and clip made is a take of its slot, kept beside the others."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.db.models import Take

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
