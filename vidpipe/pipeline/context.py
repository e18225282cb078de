"""What a step needs besides the session and the project: settings, providers, storage, progress.

Passed in by the orchestrator (never looked up globally), so tests swap any part of it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.config import Settings
from vidpipe.db.models import Project, ProviderCall
from vidpipe.errors import BudgetExceededError
from vidpipe.providers.base import Provider, ProviderSet
from vidpipe.storage import ProjectStorage


@dataclass(frozen=True)
class ProgressEvent:
    """One progress report. `str(event)` is a plain status line (the seed's message)."""

    kind: str  # "stage" | "item" | "done"
    stage: str
    message: str
    scene_index: int | None = None
    fraction: float | None = None  # 0..1 for the item, when known
    total: int | None = None  # number of items in the stage

    def __str__(self) -> str:
        return self.message


ProgressCallback = Callable[[ProgressEvent], None]


@dataclass
class StepStats:
    seconds: float = 0.0
    provider_calls: int = 0
    estimated_cost: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 3),
            "provider_calls": self.provider_calls,
            "estimated_cost": round(self.estimated_cost, 4),
        }


class SceneGate:
    """Which scenes have both keyframes, so their clips may start (pipelined scheduling).

    Open by default (every scene ready): a step run on its own never waits. The orchestrator
    closes it while keyframes are still being drawn, and the keyframe step opens it scene by
    scene as each end frame lands.
    """

    def __init__(self, *, open_all: bool = True) -> None:
        self._all = open_all
        self._ready: dict[int, asyncio.Event] = {}

    def _event(self, scene_index: int) -> asyncio.Event:
        return self._ready.setdefault(scene_index, asyncio.Event())

    def mark(self, scene_index: int) -> None:
        self._event(scene_index).set()

    def open_all(self) -> None:
        self._all = True
        for event in self._ready.values():
            event.set()

    async def wait(self, scene_index: int) -> None:
        if not self._all:
            await self._event(scene_index).wait()


@dataclass
class PipelineContext:
    settings: Settings
    providers: ProviderSet
    storage: ProjectStorage
    progress_callback: ProgressCallback | None = None
    run_id: uuid.UUID | None = None
    stats: dict[str, StepStats] = field(default_factory=dict)
    db_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    scenes_ready: SceneGate = field(default_factory=SceneGate)

    def report(self, event: ProgressEvent) -> None:
        if self.progress_callback is not None:
            self.progress_callback(event)

    def step_stats(self, step: str) -> StepStats:
        return self.stats.setdefault(step, StepStats())

    async def ensure_budget(self, session: AsyncSession, project: Project, cost: float) -> None:
        """Refuse a call that would take the project past --max-cost, before it is made (PROV-4)."""
        if cost <= 0 or project.max_cost is None:
            return
        spent = await spent_so_far(session, project.id)
        if spent + cost > project.max_cost + 1e-9:
            raise BudgetExceededError(
                f"budget exceeded: spent ${spent:.2f}, next call ${cost:.2f}, "
                f"max ${project.max_cost:.2f}; resume with a larger --max-cost"
            )

    def record_call(
        self,
        session: AsyncSession,
        project: Project,
        *,
        step: str,
        provider: Provider,
        cost: float,
        detail: str = "",
    ) -> None:
        """Add a made call to the ledger; it commits with the row of what the call produced."""
        session.add(
            ProviderCall(
                project_id=project.id,
                run_id=self.run_id,
                step=step,
                role=provider.role.value,
                provider=provider.provider_id,
                cost=cost,
                detail=detail,
            )
        )
        stats = self.step_stats(step)
        stats.provider_calls += 1
        stats.estimated_cost += cost


async def spent_so_far(session: AsyncSession, project_id: uuid.UUID) -> float:
    total = await session.scalar(
        select(func.coalesce(func.sum(ProviderCall.cost), 0.0)).where(
            ProviderCall.project_id == project_id
        )
    )
    return float(total or 0.0)


class Stopwatch:
    def __init__(self) -> None:
        self.started = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started
