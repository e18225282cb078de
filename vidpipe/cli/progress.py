"""Progress display: Rich bars (stage, per scene, ETA) on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
import threading
from typing import TextIO, cast

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from vidpipe.pipeline.context import ProgressEvent

STAGES = ("storyboarding", "keyframing", "video_gen", "stitching")


class PlainProgress:
    """One line per stage change and finished item, for logs and pipes."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self._lock = threading.Lock()

    def __call__(self, event: ProgressEvent) -> None:
        if (
            event.kind == "item"
            and event.fraction not in (None, 0.0)
            and event.stage == "video_gen"
        ):
            return  # per-frame chatter is for the bars, not for logs
        with self._lock:
            print(f"[{event.stage}] {event.message}", file=self.stream, flush=True)

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class RichProgress:
    """Overall stage bar plus one bar per scene while clips render, each with an ETA."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.overall: TaskID | None = None
        self.items: dict[int, TaskID] = {}

    def __enter__(self) -> RichProgress:
        self.progress.__enter__()
        self.overall = self.progress.add_task("Starting", total=len(STAGES))
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def __call__(self, event: ProgressEvent) -> None:
        assert self.overall is not None
        if event.kind == "stage":
            done = STAGES.index(event.stage) if event.stage in STAGES else len(STAGES)
            self.progress.update(self.overall, completed=done, description=event.message)
        elif event.stage == "video_gen" and event.scene_index is not None:
            task = self.items.get(event.scene_index)
            if task is None:
                task = self.progress.add_task(f"  scene {event.scene_index + 1}", total=1.0)
                self.items[event.scene_index] = task
            self.progress.update(task, completed=event.fraction or 0.0)
        else:
            self.progress.update(self.overall, description=event.message)


def make_progress(console: Console, *, quiet: bool) -> PlainProgress | RichProgress | None:
    if console.is_terminal:
        return RichProgress(console)
    return None if quiet else PlainProgress(cast(TextIO, console.file))
