"""Queue-mode progress (runners/progress_relay.py): the throttle, the notification size limit,
the publisher's order of sends, and the relaying hub (late subscribers, dead workers)."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from vidpipe.documents import Progress, ProgressPayload, SceneProgress
from vidpipe.pipeline.context import ProgressEvent
from vidpipe.runners.progress import ProgressHub
from vidpipe.runners.progress_relay import (
    MAX_NOTIFY_BYTES,
    Throttle,
    decode,
    encode,
    publish_progress,
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def payload(
    kind: str, stage: str, scene: int | None, fraction: float | None, **more: Any
) -> ProgressPayload:
    fields = {"message": "", "stage_fraction": 0.0, "overall_fraction": 0.0}
    fields |= {"eta_seconds": None, "elapsed_seconds": 0.0, **more}
    return ProgressPayload(kind=kind, stage=stage, scene=scene, fraction=fraction, **fields)


def item(scene: int, fraction: float, **more: Any) -> ProgressPayload:
    return payload("item", "video_gen", scene, fraction, **more)


def stage(name: str) -> ProgressPayload:
    return payload("stage", name, None, None)


def snapshot_of(scenes: int, fraction: float = 0.5) -> Progress:
    return Progress(
        stage="video_gen", message="", stage_fraction=0.0, overall_fraction=fraction,
        eta_seconds=None, elapsed_seconds=0.0,
        scenes=[SceneProgress(index=n, fraction=0.5) for n in range(scenes)],
    )  # fmt: skip


def test_the_throttle_keeps_every_stage_change_and_the_latest_of_each_item() -> None:
    clock = Clock()
    throttle = Throttle(interval=0.25, clock=clock)
    assert throttle.offer(stage("video_gen")) == [stage("video_gen")]
    assert throttle.offer(item(0, 0.1)) == []  # 0 s after the last send: waits
    assert throttle.due_in() == 0.25
    for fraction in (0.2, 0.3, 0.4):
        clock.now += 0.05
        assert throttle.offer(item(0, fraction)) == []
    assert throttle.offer(item(1, 0.1)) == []
    assert throttle.due_in() is not None and 0 < throttle.due_in() < 0.25  # type: ignore[operator]
    clock.now += 0.11  # 0.26 s since the stage change: the latest of each scene leaves, once
    assert throttle.offer(item(1, 0.2)) == [item(0, 0.4), item(1, 0.2)]
    assert throttle.due_in() is None and throttle.flush() == []
    clock.now += 0.01
    assert throttle.offer(item(0, 0.9)) == []
    # a stage change is never held back, and what waited goes before it
    assert throttle.offer(stage("stitching")) == [item(0, 0.9), stage("stitching")]
    # at most one send per interval whatever the rate of item updates
    sends = 0
    for _ in range(400):  # 4 s of updates every 10 ms
        clock.now += 0.01
        sends += bool(throttle.offer(item(2, 0.5)))
    assert 14 <= sends <= 16


def test_notifications_stay_under_the_postgres_payload_limit() -> None:
    project = uuid.uuid4()
    events = [
        item(n, 0.5, message="x" * 5000, eta_seconds=3.0) for n in range(40)
    ]  # a long provider message cut; 40 scenes split over several notifications
    snapshot = snapshot_of(900)
    messages = encode(project, events, snapshot)
    assert len(messages) > 1
    assert all(len(message.encode()) <= MAX_NOTIFY_BYTES for message in messages)
    decoded = [decode(message) for message in messages]
    assert [event.scene for _, batch, _, _ in decoded for event in batch] == list(range(40))
    assert all(pid == project for pid, *_ in decoded)
    assert [snap is not None for _, _, snap, _ in decoded] == [False] * (len(messages) - 1) + [True]
    assert decoded[-1][2] is not None and decoded[-1][2].stage == "video_gen"
    assert not any(end for *_, end in decoded)
    assert decode(encode(project, [], None, end=True)[0])[3] is True


async def test_the_publisher_sends_throttled_progress_then_the_end() -> None:
    hub, project = ProgressHub(), uuid.uuid4()
    sent: list[str] = []

    async def send(message: str) -> None:
        sent.append(message)

    async with publish_progress(hub, project, send, throttle=Throttle(interval=60)):
        report = hub.reporter(project)
        report(ProgressEvent("stage", "video_gen", "Animating", total=2))
        for step in range(1, 11):
            report(ProgressEvent("item", "video_gen", "Scene 1", 0, fraction=step / 10))
            await asyncio.sleep(0)
        await asyncio.sleep(0.05)
    messages = [decode(message) for message in sent]
    events = [event for _, batch, _, _ in messages for event in batch]
    # the stage change at once; the ten updates held back by the throttle, only the latest
    # sent when the run ended
    assert [(e.kind, e.fraction) for e in events] == [("stage", None), ("item", 1.0)]
    assert messages[-1][3] is True  # "ended"
    assert messages[-1][2] is not None
    assert messages[-1][2].scenes == [SceneProgress(index=0, fraction=1.0)]
    assert all(json.loads(message)["project"] == str(project) for message in sent)


async def test_the_hub_relays_a_workers_run_to_late_subscribers_until_it_ends_or_goes_silent() -> (
    None
):
    clock = Clock()
    hub, project = ProgressHub(clock=clock, stale_after=20), uuid.uuid4()
    snapshot = snapshot_of(0)
    with hub.subscribe(project) as queue:
        hub.relay(project, [stage("video_gen"), item(0, 0.5)], snapshot)
        assert [queue.get_nowait(), queue.get_nowait()] == [stage("video_gen"), item(0, 0.5)]
    assert hub.latest(project) == item(0, 0.5)  # what a subscriber arriving now starts from
    assert hub.snapshot(project) == snapshot
    hub.relay(project, [], None)  # a keepalive keeps what is known
    clock.now += 15
    assert hub.snapshot(project) == snapshot
    clock.now += 6  # 21 s of silence: the worker died
    assert hub.snapshot(project) is None and hub.latest(project) is None
    hub.relay(project, [item(1, 0.2)], snapshot)
    hub.finish(project)  # the worker said the run ended
    assert hub.snapshot(project) is None and hub.latest(project) is None


async def test_a_late_subscriber_is_given_the_stages_it_missed_then_where_the_run_stands() -> None:
    hub, project = ProgressHub(), uuid.uuid4()
    report = hub.reporter(project)
    for name in ("storyboarding", "keyframing"):
        report(ProgressEvent("stage", name, f"{name}…"))
        report(ProgressEvent("item", name, "one", scene_index=0, fraction=0.5, total=2))
    report(ProgressEvent("stage", "keyframing", "again"))  # a stage re-entered keeps its opening
    entered = hub.stages_entered(project)
    assert [(p.kind, p.stage, p.message) for p in entered] == [
        ("stage", "storyboarding", "storyboarding…"),
        ("stage", "keyframing", "keyframing…"),
    ]
    latest = hub.latest(project)
    assert latest is not None and latest.message == "again"
    hub.finish(project)
    assert hub.stages_entered(project) == [] and hub.latest(project) is None
