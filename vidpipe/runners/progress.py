"""Live progress of the runs in this process: a per-project hub of ProgressEvents for the API.

Pipeline steps report ProgressEvents through a callback, sometimes from worker threads. The hub
moves each event onto the event loop, folds it into a RunProgress (stage fractions and an ETA),
and fans it out to subscribers (Server-Sent Events streams). Nothing here touches the database:
the database stays the truth about status; this is only the fine-grained, in-memory view.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from vidpipe.pipeline.context import ProgressCallback, ProgressEvent

# Rough share of a run's wall time per stage, for one overall fraction and an ETA. Clips dominate
# (see docs/PERFORMANCE.md); the ETA is an estimate, refined as the run goes.
STAGE_WEIGHTS: dict[str, float] = {
    "storyboarding": 0.05,
    "keyframing": 0.20,
    "video_gen": 0.70,
    "stitching": 0.05,
}
STAGES = tuple(STAGE_WEIGHTS)
SUBSCRIBER_QUEUE = 256  # events buffered per subscriber; the oldest are dropped beyond it
MIN_PROGRESS_FOR_ETA = 0.02


class RunProgress:
    """Folds one run's events into per-stage fractions, an overall fraction and an ETA."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.started = clock()
        self.stage = "pending"
        self.message = ""
        self.stage_fraction: dict[str, float] = dict.fromkeys(STAGES, 0.0)
        self.scene_fractions: dict[int, float] = {}
        self.scene_total: int | None = None
        self._baseline: tuple[float, float] | None = None  # (time, overall) at the first stage
        self._clips_since: float | None = None  # when the first clip reported progress

    def update(self, event: ProgressEvent) -> dict[str, Any]:
        """Fold in one event; return the progress payload for it."""
        self.message = event.message
        if event.kind == "stage":
            self._enter(event)
        elif event.stage == "video_gen" and event.scene_index is not None:
            fraction = min(max(event.fraction or 0.0, 0.0), 1.0)
            self.scene_fractions[event.scene_index] = fraction
            if self._clips_since is None:
                self._clips_since = self._clock()
            self._video_fraction()
        elif event.stage in self.stage_fraction:
            if event.stage == "keyframing" and event.total and self.scene_total is None:
                self.scene_total = event.total - 1  # N scenes have N+1 keyframes
            if event.kind == "done":
                self.stage_fraction[event.stage] = 1.0
            elif event.fraction is not None:
                self.stage_fraction[event.stage] = max(
                    self.stage_fraction[event.stage], min(max(event.fraction, 0.0), 1.0)
                )
        return {
            "kind": event.kind,
            "stage": event.stage,
            "message": event.message,
            "scene": event.scene_index,
            "fraction": event.fraction,
            **self._totals(),
        }

    def snapshot(self) -> dict[str, Any]:
        """Where the run stands now, for status polling."""
        return {
            "stage": self.stage,
            "message": self.message,
            **self._totals(),
            "scenes": [
                {"index": index, "fraction": round(fraction, 4)}
                for index, fraction in sorted(self.scene_fractions.items())
            ],
        }

    def _enter(self, event: ProgressEvent) -> None:
        if event.stage == "complete":
            self.stage_fraction = dict.fromkeys(STAGES, 1.0)
        elif event.stage in self.stage_fraction:
            for earlier in STAGES[: STAGES.index(event.stage)]:
                self.stage_fraction[earlier] = 1.0  # a later stage starts only when they are done
        if event.stage == "video_gen" and event.total:
            self.scene_total = event.total
        self.stage = event.stage
        if self._baseline is None:
            self._baseline = (self._clock(), self.overall())

    def _video_fraction(self) -> None:
        total = self.scene_total or len(self.scene_fractions)
        if total:
            done = sum(self.scene_fractions.values()) / total
            self.stage_fraction["video_gen"] = min(done, 1.0)

    def overall(self) -> float:
        return sum(STAGE_WEIGHTS[s] * f for s, f in self.stage_fraction.items())

    def eta_seconds(self) -> float | None:
        """Seconds left. Clips dominate a run, so once they move: the clip work left at the clip
        throughput seen so far (concurrent clips included); before that, the overall pace."""
        overall = self.overall()
        if overall >= 1.0:
            return 0.0
        now = self._clock()
        done = sum(self.scene_fractions.values())
        since = self._clips_since
        clips_running = since is not None and self.stage_fraction["video_gen"] < 1.0
        if since is not None and clips_running and done > 0 and now - since > 0.2:
            total = max(self.scene_total or 0, len(self.scene_fractions))
            rate = done / (now - since)
            return round(max(total - done, 0.0) / rate, 1)
        if self._baseline is None:
            return None
        since, at_start = self._baseline
        gained = overall - at_start
        if gained < MIN_PROGRESS_FOR_ETA:
            return None
        return round((now - since) * (1.0 - overall) / gained, 1)

    def _totals(self) -> dict[str, Any]:
        return {
            "stage_fraction": round(
                1.0 if self.stage == "complete" else self.stage_fraction.get(self.stage, 0.0), 4
            ),
            "overall_fraction": round(self.overall(), 4),
            "eta_seconds": self.eta_seconds(),
            "elapsed_seconds": round(self._clock() - self.started, 1),
        }


class ProgressHub:
    """Per-project fan-out of progress payloads to subscribers, on one event loop.

    Payloads come from runs in this process (`reporter`) or, in queue mode, from runs in workers
    (`relay`, fed by vidpipe.runners.progress_relay). Either way the hub keeps each live run's
    latest payload, and the payload that opened each stage, so a subscriber arriving late sees the
    stages the run went through and starts from where it stands."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, stale_after: float | None = None
    ) -> None:
        self._clock = clock
        self._stale_after = stale_after  # relayed runs silent this long are forgotten
        self._runs: dict[uuid.UUID, RunProgress] = {}
        self._relayed: dict[uuid.UUID, tuple[float, dict[str, Any] | None]] = {}
        self._latest: dict[uuid.UUID, dict[str, Any]] = {}
        self._stages: dict[uuid.UUID, dict[str, dict[str, Any]]] = {}  # stage → its opening payload
        self._subscribers: dict[uuid.UUID, set[asyncio.Queue[dict[str, Any]]]] = {}

    def reporter(self, project_id: uuid.UUID) -> ProgressCallback:
        """A thread-safe progress callback for one run of `project_id` (call on the loop)."""
        loop = asyncio.get_running_loop()
        loop_thread = threading.get_ident()
        tracker = self._runs[project_id] = RunProgress()

        def report(event: ProgressEvent) -> None:
            if threading.get_ident() == loop_thread:
                self._publish(project_id, tracker, event)
            else:
                with contextlib.suppress(RuntimeError):  # the loop closed under a late thread
                    loop.call_soon_threadsafe(self._publish, project_id, tracker, event)

        return report

    def relay(
        self,
        project_id: uuid.UUID,
        payloads: list[dict[str, Any]],
        snapshot: dict[str, Any] | None,
    ) -> None:
        """Payloads of a run in another process (a worker), with its snapshot when known."""
        _, known = self._relayed.get(project_id, (0.0, None))
        self._relayed[project_id] = (self._clock(), snapshot or known)
        for payload in payloads:
            self._fan_out(project_id, payload)

    def finish(self, project_id: uuid.UUID) -> None:
        """The run ended; its snapshot is no longer live."""
        self._runs.pop(project_id, None)
        self._relayed.pop(project_id, None)
        self._latest.pop(project_id, None)
        self._stages.pop(project_id, None)

    def snapshot(self, project_id: uuid.UUID) -> dict[str, Any] | None:
        tracker = self._runs.get(project_id)
        if tracker is not None:
            return tracker.snapshot()
        return self._relayed[project_id][1] if self._is_live(project_id) else None

    def latest(self, project_id: uuid.UUID) -> dict[str, Any] | None:
        """The last payload of the project's live run, for a subscriber arriving late."""
        if project_id in self._runs or self._is_live(project_id):
            return self._latest.get(project_id)
        return None

    def stages_entered(self, project_id: uuid.UUID) -> list[dict[str, Any]]:
        """The payload that opened each stage of the project's live run so far, in order: what a
        subscriber arriving late missed of the run's course (a fast storyboard, say)."""
        if project_id in self._runs or self._is_live(project_id):
            return list(self._stages.get(project_id, {}).values())
        return []

    def _is_live(self, project_id: uuid.UUID) -> bool:
        relayed = self._relayed.get(project_id)
        if relayed is None:
            return False
        if self._stale_after is not None and self._clock() - relayed[0] > self._stale_after:
            self.finish(project_id)  # its worker died without saying so
            return False
        return True

    @contextlib.contextmanager
    def subscribe(self, project_id: uuid.UUID) -> Iterator[asyncio.Queue[dict[str, Any]]]:
        """A queue receiving every payload published for the project while the block runs."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(SUBSCRIBER_QUEUE)
        self._subscribers.setdefault(project_id, set()).add(queue)
        try:
            yield queue
        finally:
            queues = self._subscribers.get(project_id)
            if queues is not None:
                queues.discard(queue)
                if not queues:
                    del self._subscribers[project_id]

    def _publish(self, project_id: uuid.UUID, tracker: RunProgress, event: ProgressEvent) -> None:
        self._fan_out(project_id, tracker.update(event), keep=self._runs.get(project_id) is tracker)

    def _fan_out(self, project_id: uuid.UUID, payload: dict[str, Any], keep: bool = True) -> None:
        if keep:  # not for a late report of a run that has finished
            self._latest[project_id] = payload
            if payload.get("kind") == "stage":
                self._stages.setdefault(project_id, {}).setdefault(str(payload["stage"]), payload)
        for queue in self._subscribers.get(project_id, ()):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()  # a slow reader loses the oldest, never blocks the run
            queue.put_nowait(payload)
