"""What a step needs besides the session and the project: settings, providers, storage, progress.

Passed in by the orchestrator (never looked up globally), so tests swap any part of it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.config import Settings
from vidpipe.db.models import PipelineRun, Project, ProviderCall, utcnow
from vidpipe.errors import (
    BudgetExceededError,
    ContentFilteredError,
    OperationFailedError,
    PipelineError,
)
from vidpipe.providers.base import Provider, ProviderSet
from vidpipe.providers.billing import BILLED_OUTCOMES, Ledger, Outcome, billing_scope, outcome_of
from vidpipe.storage import ProjectStorage

if TYPE_CHECKING:
    from vidpipe.pipeline.plan import Plan


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
T = TypeVar("T")


@dataclass
class StepStats:
    """Wall time of a step in one run; its calls and cost come from the ledger (ledger_stats)."""

    seconds: float = 0.0


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
    # What this run makes, computed once by the orchestrator (again only when the storyboard or
    # the scenes' durations changed): the steps make its items and decide nothing themselves.
    plan: Plan | None = None
    # requests this run stopped waiting on that the service confirmed it dropped unmade (a clip
    # cancelled while queued): settled as not billed when the run's end is recorded
    dropped: set[str] = field(default_factory=set)

    def planned(self) -> Plan:
        """The run's plan; a step is only ever run by the orchestrator, which sets it."""
        if self.plan is None:
            raise PipelineError("a step was run without a plan; run it through run_pipeline")
        return self.plan

    def report(self, event: ProgressEvent) -> None:
        if self.progress_callback is not None:
            self.progress_callback(event)

    def step_stats(self, step: str) -> StepStats:
        return self.stats.setdefault(step, StepStats())

    async def ensure_budget(self, session: AsyncSession, project: Project, cost: float) -> None:
        """Refuse a call that would take the project past --max-cost, before it is made.

        The ledger counts everything the project may have been billed for, across all runs."""
        if cost <= 0 or project.max_cost is None:
            return
        spent = await spent_so_far(session, project.id)
        if spent + cost > project.max_cost + 1e-9:
            raise BudgetExceededError(
                f"budget exceeded: spent ${spent:.2f}, next call ${cost:.2f}, "
                f"max ${project.max_cost:.2f}; resume with a larger budget (max cost)"
            )

    async def paid(
        self,
        session: AsyncSession,
        project: Project,
        provider: Provider,
        call: Callable[[], Awaitable[T]],
        *,
        step: str,
        cost: float,
        detail: str,
        settle_with: list[ProviderCall] | None = None,
        submission: str | None = None,
    ) -> T:
        """Make a provider call with every billable attempt in the ledger before it is sent.

        Providers that record their own attempts (retries, re-asks) do so in this scope; for the
        others the whole call is one attempt, recorded here. With `settle_with`, a successful
        attempt is not settled here but handed over: the caller settles it (`settle_ok`) in the
        same commit as the rows of what it received, so no moment has it paid but not kept.
        `submission` is written on each attempt's row (a clip's submission key). A call whose
        accepted request the service then failed with an error it does not bill (a keyframe
        polled inside the call) has that attempt settled `server_error`."""
        ledger = ProjectLedger(
            self, session, project, provider, step=step, cost=cost, detail=detail
        )
        ledger.submission = submission
        ledger.held = settle_with
        with billing_scope(ledger):
            try:
                if provider.records_attempts:
                    return await call()
                async with ledger.attempt(detail):
                    return await call()
            except Exception as exc:
                note = f"{type(exc).__name__}: {exc}"[:500]
                if outcome_of(exc) is Outcome.SERVER_ERROR:
                    await ledger.settle_last_accepted(Outcome.SERVER_ERROR, note)
                elif isinstance(exc, OperationFailedError | ContentFilteredError):
                    # the service answered the request it accepted with a failure: `failed`
                    # (it may bill it), not left `sent` to be read as unanswered
                    await ledger.settle_last_accepted(Outcome.FAILED, note)
                raise


class ProjectLedger(Ledger):
    """Ledger rows of one project: `sent` committed before a request leaves, then settled."""

    def __init__(
        self,
        ctx: PipelineContext,
        session: AsyncSession,
        project: Project,
        provider: Provider,
        *,
        step: str,
        cost: float,
        detail: str,
    ) -> None:
        self.ctx, self.session, self.project, self.provider = ctx, session, project, provider
        self.step, self.cost, self.detail = step, cost, detail
        self.held: list[ProviderCall] | None = None
        self.submission: str | None = None
        self.accepted: list[ProviderCall] = []  # attempts settled (or held) `ok`, in order

    async def open(self, what: str) -> ProviderCall:
        async with self.ctx.db_lock:
            await self.ctx.ensure_budget(self.session, self.project, self.cost)
            row = ProviderCall(
                project_id=self.project.id,
                run_id=self.ctx.run_id,
                step=self.step,
                role=self.provider.role.value,
                provider=self.provider.provider_id,
                cost=self.cost,
                detail=self.detail,
                request=what[:200],
                status=Outcome.SENT.value,
                submission=self.submission,
            )
            self.session.add(row)
            await self.session.commit()
        return row

    async def close(self, handle: ProviderCall, outcome: Outcome, note: str = "") -> None:
        if outcome is Outcome.OK:
            self.accepted.append(handle)
        if outcome is Outcome.OK and self.held is not None:
            self.held.append(handle)  # settled by the caller, with what it received
            return
        async with self.ctx.db_lock:
            handle.status, handle.settled_at = outcome.value, utcnow()
            handle.note = note or None
            await self.session.commit()

    async def settle_last_accepted(self, outcome: Outcome, note: str) -> None:
        """The service failed the last request it accepted in this call (the earlier ones,
        re-asks, were answered): `server_error` when it does not bill that error, else
        `failed`. An attempt already settled `ok` is settled again only as `server_error`."""
        if not self.accepted:
            return
        handle = self.accepted[-1]
        held = self.held if self.held is not None and handle in self.held else None
        if held is None and outcome is not Outcome.SERVER_ERROR:
            return  # settled `ok` when it was accepted: a model's error may be billed
        if held is not None:
            held.remove(handle)
        await self.close(handle, outcome, note)


def settle_ok(handles: list[ProviderCall]) -> None:
    """Mark held attempts `ok`; the caller commits it with the rows of what they returned."""
    for handle in handles:
        handle.status, handle.settled_at, handle.note = Outcome.OK.value, utcnow(), None


async def spent_so_far(session: AsyncSession, project_id: uuid.UUID) -> float:
    """USD the project may have been billed for: every attempt not certainly refused."""
    total = await session.scalar(
        select(func.coalesce(func.sum(ProviderCall.cost), 0.0)).where(
            ProviderCall.project_id == project_id,
            ProviderCall.status.in_(sorted(BILLED_OUTCOMES)),
        )
    )
    return float(total or 0.0)


async def settle_unanswered_attempts(
    session: AsyncSession,
    run_id: uuid.UUID | None = None,
    *,
    project_id: uuid.UUID | None = None,
    dropped: set[str] | None = None,
) -> None:
    """Attempts still `sent` when their run ended (stopped or killed mid-request): `unknown`.
    Those that started a request in `dropped` (PipelineContext.dropped): `cancelled`."""
    condition = (
        ProviderCall.run_id == run_id
        if run_id is not None
        else ProviderCall.project_id == project_id
    )
    project = (
        select(PipelineRun.project_id).where(PipelineRun.id == run_id).scalar_subquery()
        if run_id is not None
        else project_id
    )
    for operation_id in sorted(dropped or ()):  # submitted by this run or an earlier one
        await settle_dropped_request(
            session, operation_id=operation_id, condition=ProviderCall.project_id == project
        )
    await session.execute(
        update(ProviderCall)
        .where(condition, ProviderCall.status == Outcome.SENT.value)
        .values(status=Outcome.UNKNOWN.value, note="the run stopped before the answer came")
        .execution_options(synchronize_session=False)
    )


async def maybe_sent(session: AsyncSession, project_id: uuid.UUID, submission: str) -> bool:
    """Whether an attempt of `submission` may have reached the provider: a row is written before
    each attempt leaves, so a submission with none (stopped while uploading its frames, waiting
    for a rate limit or the budget) was certainly never sent."""
    found = await session.scalar(
        select(func.count()).where(
            ProviderCall.project_id == project_id,
            ProviderCall.submission == submission,
            ProviderCall.status.in_(sorted(BILLED_OUTCOMES)),
        )
    )
    return bool(found)


async def settle_dropped_request(
    session: AsyncSession,
    project_id: uuid.UUID | None = None,
    *,
    operation_id: str,
    condition: Any = None,
) -> None:
    """The service no longer has the request `operation_id` (it was cancelled while queued, or
    it never made it): the attempt that started it is not billed. The caller commits."""
    if condition is None:
        condition = ProviderCall.project_id == project_id
    await _unbill_request(
        session,
        condition,
        operation_id,
        Outcome.CANCELLED,
        "the provider dropped the request before making it (cancelled while queued)",
    )


async def settle_unbilled_failure(
    session: AsyncSession, project_id: uuid.UUID, *, operation_id: str, note: str
) -> None:
    """The service failed the request `operation_id` with its own server error, which it does
    not bill (UnbilledFailureError): the attempt that started it is `server_error`. The caller
    commits."""
    await _unbill_request(
        session, ProviderCall.project_id == project_id, operation_id, Outcome.SERVER_ERROR, note
    )


async def _unbill_request(
    session: AsyncSession, condition: Any, operation_id: str, outcome: Outcome, note: str
) -> None:
    await session.execute(
        update(ProviderCall)
        .where(
            condition,
            ProviderCall.operation_id == operation_id,
            ProviderCall.status.in_(sorted(BILLED_OUTCOMES)),
        )
        .values(status=outcome.value, settled_at=utcnow(), note=note[:500])
        .execution_options(synchronize_session=False)
    )


async def ledger_stats(session: AsyncSession, run_id: uuid.UUID) -> dict[str, dict[str, Any]]:
    """Per step of one run: attempts sent, of which refused / unknown / server_error, and
    their cost."""
    rows = await session.execute(
        select(ProviderCall.step, ProviderCall.status, func.count(), func.sum(ProviderCall.cost))
        .where(ProviderCall.run_id == run_id)
        .group_by(ProviderCall.step, ProviderCall.status)
    )
    stats: dict[str, dict[str, Any]] = {}
    for step, status, count, cost in rows:
        entry = stats.setdefault(step, {"provider_calls": 0, "estimated_cost": 0.0})
        if status == "reused":  # an identical take selected: a note, no call
            entry["reused"] = entry.get("reused", 0) + count
            continue
        entry["provider_calls"] += count
        if status in BILLED_OUTCOMES:
            entry["estimated_cost"] = round(entry["estimated_cost"] + float(cost or 0.0), 4)
        if status in (Outcome.REFUSED, Outcome.UNKNOWN, Outcome.SENT, Outcome.SERVER_ERROR):
            entry[status] = entry.get(status, 0) + count
    return stats


class Stopwatch:
    def __init__(self) -> None:
        self.started = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started
