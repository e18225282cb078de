"""Where each spoken line lands in the final video.

A scene starts where its clip starts in the stitched picture: after the clips before it, less
one crossfade per join (a crossfade overlaps the end of one clip with the start of the next).
A scene's narration starts at its scene's start; its dialogue lines follow one after another,
`LINE_GAP` apart. A scene's span runs to the next scene's start (the last one to the end), and
lines that run past it are an overrun: reported, and heard over the next scene.
"""

from __future__ import annotations

from dataclasses import dataclass

LINE_GAP = 0.3  # seconds between consecutive lines of one scene


@dataclass(frozen=True)
class SpokenLine:
    """One line to place: its scene (0-based), its order in the scene, its measured length."""

    scene_index: int
    line_index: int
    duration: float
    text: str
    speaker: str | None = None


@dataclass(frozen=True)
class Placement:
    line: SpokenLine
    start: float  # seconds in the final video

    @property
    def end(self) -> float:
        return self.start + self.line.duration


def scene_spans(durations: list[float], crossfade: float) -> list[tuple[float, float]]:
    """(start, end) of each scene in the joined video, from its clip's duration."""
    spans: list[tuple[float, float]] = []
    start = 0.0
    for position, duration in enumerate(durations):
        last = position == len(durations) - 1
        end = start + duration if last else start + duration - crossfade
        spans.append((start, end))
        start = end
    return spans


def place_lines(lines: list[SpokenLine], spans: dict[int, tuple[float, float]]) -> list[Placement]:
    """Each line's start; lines of scenes with no span (no clip) are left out."""
    placements: list[Placement] = []
    for scene_index in sorted({line.scene_index for line in lines}):
        if scene_index not in spans:
            continue
        at = spans[scene_index][0]
        for line in sorted(
            (li for li in lines if li.scene_index == scene_index), key=lambda li: li.line_index
        ):
            placements.append(Placement(line, round(at, 3)))
            at += line.duration + LINE_GAP
    return placements


def speech_needed(durations: list[float]) -> float:
    """Seconds a scene needs for its lines, spoken one after another."""
    if not durations:
        return 0.0
    return sum(durations) + LINE_GAP * (len(durations) - 1)


def overruns(
    placements: list[Placement], spans: dict[int, tuple[float, float]]
) -> dict[int, float]:
    """Scene index → seconds by which its lines run past the scene's end (only positive)."""
    result: dict[int, float] = {}
    for placement in placements:
        scene = placement.line.scene_index
        over = placement.end - spans[scene][1]
        if over > 0.005:
            result[scene] = round(max(result.get(scene, 0.0), over), 2)
    return result
