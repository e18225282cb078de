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

from vidpipe.orchestrator.state import status_label
from vidpipe.pipeline.context import ProgressEvent

STAGES = ("storyboarding", "keyframing", "video_gen", "stitching")


class PlainProgress:
    """One line per stage change and new item (each take of a clip), for logs and pipes; the
    stage in its human name (the JSON keeps the machine value)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self._lock = threading.Lock()
        self._last = ""
        self._scene_lines: dict[int, str] = {}

    def __call__(self, event: ProgressEvent) -> None:
        if event.stage == "stopped":
            return  # the command's last line says it, with the command that continues
        with self._lock:
            if event.stage == "video_gen" and event.scene_index is not None:
                if self._scene_lines.get(event.scene_index) == event.message:
                    return  # per-frame chatter is for the bars; a new take is a new line
                self._scene_lines[event.scene_index] = event.message
            text = event.message.removesuffix("...")
            if text == self._last:
                return  # the stage's own line already said it
            self._last = text
            print(f"[{status_label(event.stage)}] {event.message}", file=self.stream, flush=True)

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
