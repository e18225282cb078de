"""Live progress of the runs in this process: a per-project hub of ProgressEvents for the API.

Pipeline steps report ProgressEvents through a callback, sometimes from worker threads. The hub
moves each event onto the event loop, folds it into a RunProgress (stage fractions and an ETA),
and fans it out to subscribers (Server-Sent Events streams). Nothing here touches the database:
the database stays the truth about status; this is only the fine-grained, in-memory view.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import threading
import time
import uuid
from collections.abc import Callable, Iterator

from vidpipe.db.statuses import ProjectStatus
from vidpipe.documents import Progress, ProgressPayload, SceneProgress
from vidpipe.pipeline.context import ProgressCallback, ProgressEvent

# Rough share of a run's wall time per stage, for one overall fraction and an ETA. Clips dominate
# (see docs/PERFORMANCE.md); the ETA is an estimate, refined as the run goes.
STAGE_WEIGHTS: dict[str, float] = {
    ProjectStatus.STORYBOARDING: 0.05,
    ProjectStatus.KEYFRAMING: 0.20,
    ProjectStatus.VIDEO_GEN: 0.70,
    ProjectStatus.STITCHING: 0.05,
}
STAGES = tuple(STAGE_WEIGHTS)
SUBSCRIBER_QUEUE = 256  # events buffered per subscriber; the oldest are dropped beyond it
MIN_PROGRESS_FOR_ETA = 0.02
MIN_ETA_SECONDS = 1.0  # while work remains the ETA never reads "0.0 s"
MIN_RATE_WINDOW = 0.2  # seconds of a clip's own progress before its rate counts


class RunProgress:
    """Folds one run's events into per-stage fractions, an overall fraction and an ETA."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.started = clock()
        self.stage: str = ProjectStatus.PENDING
        self.message = ""
        self.stage_fraction: dict[str, float] = dict.fromkeys(STAGES, 0.0)
        self.scene_fractions: dict[int, float] = {}
        self.scene_total: int | None = None
        self._baseline: tuple[float, float] | None = None  # (time, overall) at the first stage
        self._clips_since: float | None = None  # when the first clip reported progress
        # per scene: (time, fraction) of its first report with some progress, to measure its rate
        self._scene_first: dict[int, tuple[float, float]] = {}
        self._scene_started: dict[int, float] = {}  # when each scene's clip first reported
        self._peak_in_flight = 0  # most clips seen running at once: the run's concurrency

    def update(self, event: ProgressEvent) -> ProgressPayload:
        """Fold in one event; return the progress payload for it."""
        self.message = event.message
        if event.kind == "stage":
            self._enter(event)
        elif event.stage == ProjectStatus.VIDEO_GEN and event.scene_index is not None:
            fraction = min(max(event.fraction or 0.0, 0.0), 1.0)
            self.scene_fractions[event.scene_index] = fraction
            now = self._clock()
            if self._clips_since is None:
                self._clips_since = now
            self._scene_started.setdefault(event.scene_index, now)
            if fraction > 0.0:
                self._scene_first.setdefault(event.scene_index, (now, fraction))
            in_flight = sum(1 for f in self.scene_fractions.values() if f < 1.0)
            self._peak_in_flight = max(self._peak_in_flight, in_flight)
            self._video_fraction()
        elif event.stage in self.stage_fraction:
            if event.stage == ProjectStatus.KEYFRAMING and event.total and self.scene_total is None:
                self.scene_total = event.total - 1  # N scenes have N+1 keyframes
            if event.kind == "done":
                self.stage_fraction[event.stage] = 1.0
            elif event.fraction is not None:
                self.stage_fraction[event.stage] = max(
                    self.stage_fraction[event.stage], min(max(event.fraction, 0.0), 1.0)
                )
        return ProgressPayload(
            kind=event.kind,
            stage=event.stage,
            message=event.message,
            scene=event.scene_index,
            fraction=event.fraction,
            **self._totals(),
        )

    def snapshot(self) -> Progress:
        """Where the run stands now, for status polling."""
        return Progress(
            stage=self.stage,
            message=self.message,
            **self._totals(),
            scenes=[
                SceneProgress(index=index, fraction=round(fraction, 4))
                for index, fraction in sorted(self.scene_fractions.items())
            ],
        )

    def _enter(self, event: ProgressEvent) -> None:
        if event.stage == ProjectStatus.COMPLETE:
            self.stage_fraction = dict.fromkeys(STAGES, 1.0)
        elif event.stage in self.stage_fraction:
            for earlier in STAGES[: STAGES.index(event.stage)]:
                self.stage_fraction[earlier] = 1.0  # a later stage starts only when they are done
        if event.stage == ProjectStatus.VIDEO_GEN and event.total:
            self.scene_total = event.total
        self.stage = event.stage
        if self._baseline is None:
            self._baseline = (self._clock(), self.overall())

    def _video_fraction(self) -> None:
        total = self.scene_total or len(self.scene_fractions)
        if total:
            done = sum(self.scene_fractions.values()) / total
            self.stage_fraction[ProjectStatus.VIDEO_GEN] = min(done, 1.0)

    def overall(self) -> float:
        return sum(STAGE_WEIGHTS[s] * f for s, f in self.stage_fraction.items())

    def eta_seconds(self) -> float | None:
        """Seconds left, from rates this run measured. Clips dominate a run, so once each running
        clip has moved for a moment: its own rate gives its time left, the scenes not begun take
        the measured clip time each, spread over as many slots as ran at once; before that, the
        overall pace. Never below MIN_ETA_SECONDS while work remains, 0.0 once done."""
        overall = self.overall()
        if overall >= 1.0:
            return 0.0
        clips = self._clip_eta() if self.stage_fraction[ProjectStatus.VIDEO_GEN] < 1.0 else None
        if clips is not None:
            return round(max(clips, MIN_ETA_SECONDS), 1)
        if self._baseline is None:
            return None
        since, at_start = self._baseline
        gained = overall - at_start
        if gained < MIN_PROGRESS_FOR_ETA:
            return None
        return round(max((self._clock() - since) * (1.0 - overall) / gained, MIN_ETA_SECONDS), 1)

    def _clip_eta(self) -> float | None:
        """Seconds until the last clip lands, or None until a clip's rate has been measured."""
        now = self._clock()
        rates: dict[int, float] = {}
        for index, (at, first) in self._scene_first.items():
            fraction = self.scene_fractions[index]
            if fraction < 1.0 and now - at >= MIN_RATE_WINDOW and fraction > first:
                rates[index] = (fraction - first) / (now - at)
        finished = [
            now - self._scene_started[i] for i, f in self.scene_fractions.items() if f >= 1.0
        ]
        if not rates and not finished:
            return None
        # one clip's whole time: the ones that finished, else the running ones' measured rates
        per_clip = sum(finished) / len(finished) if finished else len(rates) / sum(rates.values())
        running = []
        for index, fraction in self.scene_fractions.items():
            if fraction >= 1.0:
                continue
            if index in rates:
                running.append((1.0 - fraction) / rates[index])
            else:  # just begun: a whole clip from its start
                running.append(max(per_clip - (now - self._scene_started[index]), 0.0))
        total = max(self.scene_total or 0, len(self.scene_fractions))
        waiting = total - len(self.scene_fractions)
        slots = max(self._peak_in_flight, 1)
        finish = sorted(running)[-slots:] if len(running) > slots else list(running)
        finish += [0.0] * (slots - len(finish))
        heapq.heapify(finish)
        for _ in range(max(waiting, 0)):  # each scene not begun takes the next free slot
            heapq.heappush(finish, heapq.heappop(finish) + per_clip)
        return max(finish)

    def _totals(self) -> dict[str, float | None]:
        """The fields a payload and a snapshot share: stage and overall fraction, ETA, time."""
        return {
            "stage_fraction": round(
                1.0
                if self.stage == ProjectStatus.COMPLETE
                else self.stage_fraction.get(self.stage, 0.0),
                4,
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
        self._relayed: dict[uuid.UUID, tuple[float, Progress | None]] = {}
        self._latest: dict[uuid.UUID, ProgressPayload] = {}
        self._stages: dict[
            uuid.UUID, dict[str, ProgressPayload]
        ] = {}  # stage → its opening payload
        self._subscribers: dict[uuid.UUID, set[asyncio.Queue[ProgressPayload]]] = {}

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
        payloads: list[ProgressPayload],
        snapshot: Progress | None,
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

    def snapshot(self, project_id: uuid.UUID) -> Progress | None:
        tracker = self._runs.get(project_id)
        if tracker is not None:
            return tracker.snapshot()
        return self._relayed[project_id][1] if self._is_live(project_id) else None

    def latest(self, project_id: uuid.UUID) -> ProgressPayload | None:
        """The last payload of the project's live run, for a subscriber arriving late."""
        if project_id in self._runs or self._is_live(project_id):
            return self._latest.get(project_id)
        return None

    def stages_entered(self, project_id: uuid.UUID) -> list[ProgressPayload]:
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
    def subscribe(self, project_id: uuid.UUID) -> Iterator[asyncio.Queue[ProgressPayload]]:
        """A queue receiving every payload published for the project while the block runs."""
        queue: asyncio.Queue[ProgressPayload] = asyncio.Queue(SUBSCRIBER_QUEUE)
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

    def _fan_out(self, project_id: uuid.UUID, payload: ProgressPayload, keep: bool = True) -> None:
        if keep:  # not for a late report of a run that has finished
            self._latest[project_id] = payload
            if payload.kind == "stage":
                self._stages.setdefault(project_id, {}).setdefault(payload.stage, payload)
        for queue in self._subscribers.get(project_id, ()):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()  # a slow reader loses the oldest, never blocks the run
            queue.put_nowait(payload)
