"""Live progress (runners/progress.py): stage fractions, the ETA, and the thread-safe hub."""

from __future__ import annotations

import asyncio
import threading
import uuid

import pytest

from vidpipe.pipeline.context import ProgressEvent
from vidpipe.runners.progress import ProgressHub, RunProgress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_fractions_and_eta_follow_a_run() -> None:
    clock = Clock()
    run = RunProgress(clock)
    assert run.snapshot().eta_seconds is None
    run.update(ProgressEvent("stage", "storyboarding", "Writing"))
    run.update(ProgressEvent("done", "storyboarding", "Storyboard: 2 scenes", fraction=1.0))
    run.update(ProgressEvent("stage", "keyframing", "Drawing"))
    first = run.update(ProgressEvent("item", "keyframing", "1/3", 0, fraction=0.0, total=3))
    assert first.overall_fraction == pytest.approx(0.05)
    clock.now += 1
    run.update(ProgressEvent("done", "keyframing", "Keyframes: 3 drawn", fraction=1.0))
    assert run.overall() == pytest.approx(0.25)
    assert run.scene_total == 2  # learnt from the keyframe count
    # clips: two scenes at once, a quarter each after 1 s -> 1.5 clips left at 0.5 clip/s
    run.update(ProgressEvent("item", "video_gen", "Scene 1", 0, fraction=0.0))
    clock.now += 1
    run.update(ProgressEvent("item", "video_gen", "Scene 1", 0, fraction=0.25))
    payload = run.update(ProgressEvent("item", "video_gen", "Scene 2", 1, fraction=0.25))
    assert payload.scene == 1 and payload.fraction == 0.25
    # each clip's rate is measured over its own progress: a quarter more each in the next second
    clock.now += 1
    run.update(ProgressEvent("item", "video_gen", "Scene 1", 0, fraction=0.5))
    payload = run.update(ProgressEvent("item", "video_gen", "Scene 2", 1, fraction=0.5))
    assert payload.eta_seconds == pytest.approx(2.0)
    assert [(s.index, s.fraction) for s in run.snapshot().scenes] == [(0, 0.5), (1, 0.5)]
    run.update(ProgressEvent("stage", "stitching", "Joining"))
    assert run.stage_fraction["video_gen"] == 1.0 and run.overall() == pytest.approx(0.95)
    done = run.update(ProgressEvent("stage", "complete", "Complete"))
    assert done.overall_fraction == 1.0 and done.eta_seconds == 0.0
    assert done.stage_fraction == 1.0


def test_a_resumed_run_starts_its_eta_from_where_it_entered() -> None:
    clock = Clock()
    run = RunProgress(clock)
    run.update(ProgressEvent("stage", "stitching", "Joining"))  # everything before was done
    assert run.overall() == pytest.approx(0.95) and run.eta_seconds() is None
    clock.now += 2
    run.update(ProgressEvent("done", "stitching", "Wrote output/final.mp4", fraction=1.0))
    assert run.eta_seconds() == 0.0


def clips_begin(run: RunProgress, scenes: int) -> None:
    run.update(ProgressEvent("stage", "storyboarding", "Writing"))
    run.update(ProgressEvent("done", "storyboarding", "Storyboard", fraction=1.0))
    run.update(ProgressEvent("stage", "keyframing", "Drawing"))
    run.update(ProgressEvent("done", "keyframing", "Keyframes", fraction=1.0))
    run.update(ProgressEvent("stage", "video_gen", "Animating", total=scenes))


def test_the_first_clip_eta_counts_clips_running_side_by_side() -> None:
    """4 clips of 10 s, two at a time, the second begun 0.5 s after the first: 19.5 s are left
    at t=1 (the old throughput-since-the-first-clip estimate said 39 s, twice that)."""
    clock = Clock()
    run = RunProgress(clock)
    clips_begin(run, 4)
    start = clock.now
    run.update(ProgressEvent("item", "video_gen", "Scene 1", 0, fraction=0.0))
    clock.now = start + 0.5
    run.update(ProgressEvent("item", "video_gen", "Scene 1", 0, fraction=0.05))
    run.update(ProgressEvent("item", "video_gen", "Scene 2", 1, fraction=0.0))
    clock.now = start + 1.0
    payload = run.update(ProgressEvent("item", "video_gen", "Scene 1", 0, fraction=0.1))
    assert payload.eta_seconds == pytest.approx(19.5, abs=0.1)
    # once a clip has finished its measured time is the clip time for the scenes not begun
    clock.now = start + 10.0
    run.update(ProgressEvent("item", "video_gen", "Scene 1 done", 0, fraction=1.0))
    payload = run.update(ProgressEvent("item", "video_gen", "Scene 3", 2, fraction=0.0))
    assert payload.eta_seconds == pytest.approx(10.5, abs=0.1)


def test_the_eta_never_reads_zero_or_less_while_work_remains() -> None:
    clock = Clock()
    run = RunProgress(clock)
    clips_begin(run, 1)
    run.update(ProgressEvent("item", "video_gen", "Scene 1", 0, fraction=0.0))
    clock.now += 0.3
    run.update(ProgressEvent("item", "video_gen", "Scene 1", 0, fraction=0.5))
    clock.now += 0.3
    payload = run.update(ProgressEvent("item", "video_gen", "Scene 1", 0, fraction=0.999))
    assert payload.eta_seconds >= 1.0  # a thousandth left, but not "about 0.0 s left"
    clock.now += 0.01
    run.update(ProgressEvent("item", "video_gen", "Scene 1 done", 0, fraction=1.0))
    payload = run.update(ProgressEvent("stage", "stitching", "Joining"))
    assert payload.overall_fraction < 1.0 and payload.eta_seconds >= 1.0
    clock.now += 5  # a slow stitch: still a positive estimate, never negative
    assert run.eta_seconds() >= 1.0
    done = run.update(ProgressEvent("stage", "complete", "Complete"))
    assert done.eta_seconds == 0.0


async def test_the_hub_moves_thread_reports_onto_the_loop_and_fans_out() -> None:
    hub = ProgressHub()
    project_id = uuid.uuid4()
    with hub.subscribe(project_id) as first, hub.subscribe(project_id) as second:
        report = hub.reporter(project_id)
        worker = threading.Thread(
            target=lambda: report(ProgressEvent("item", "video_gen", "Scene 1", 0, fraction=0.5))
        )
        worker.start()
        worker.join()
        report(ProgressEvent("stage", "stitching", "Joining"))  # from the loop itself
        got = [await asyncio.wait_for(first.get(), 5) for _ in range(2)]
        assert sorted(p.stage for p in got) == ["stitching", "video_gen"]
        assert second.qsize() == 2
        assert hub.snapshot(project_id).stage == "stitching"
    hub.finish(project_id)
    assert hub.snapshot(project_id) is None
    assert not hub._subscribers  # noqa: SLF001  (unsubscribed on exit)


async def test_a_slow_subscriber_loses_the_oldest_events_not_the_run() -> None:
    hub = ProgressHub()
    project_id = uuid.uuid4()
    with hub.subscribe(project_id) as queue:
        report = hub.reporter(project_id)
        for n in range(queue.maxsize + 10):
            report(ProgressEvent("item", "video_gen", f"frame {n}", 0, fraction=n / 1000))
        assert queue.qsize() == queue.maxsize
        assert queue.get_nowait().message == "frame 10"
