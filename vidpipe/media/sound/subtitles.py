"""Subtitle files from the placed lines: WebVTT and SRT sidecars, and a burn-in style.

Cue times are the lines' real placements in the final video (start, start + spoken length).
"""

from __future__ import annotations

from dataclasses import dataclass

from vidpipe.media.sound.timeline import Placement


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class BurnStyle:
    """How burnt-in subtitles look (libass force_style): size in points at a 288-line script
    height, outline in pixels, position bottom/top with a margin."""

    font_size: int = 18
    outline: float = 2.0
    position: str = "bottom"  # "bottom" | "top"
    margin: int = 24

    def force_style(self) -> str:
        alignment = 2 if self.position == "bottom" else 8  # numpad layout: 2 bottom, 8 top
        return (
            f"FontName=DejaVu Sans,FontSize={self.font_size},Outline={self.outline:g},"
            f"BorderStyle=1,Shadow=0,Alignment={alignment},MarginV={self.margin}"
        )


def cues_from(placements: list[Placement], video_end: float) -> list[Cue]:
    """One cue per line; dialogue shows who speaks. Cues end by the video's end."""
    cues: list[Cue] = []
    for placement in sorted(placements, key=lambda p: p.start):
        line = placement.line
        text = f"{line.speaker}: {line.text}" if line.speaker else line.text
        end = min(placement.end, video_end)
        if end > placement.start:
            cues.append(Cue(placement.start, end, " ".join(text.split())))
    return cues


def _clock(seconds: float, separator: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def to_vtt(cues: list[Cue]) -> str:
    blocks = ["WEBVTT\n"]
    for number, cue in enumerate(cues, 1):
        blocks.append(
            f"{number}\n{_clock(cue.start, '.')} --> {_clock(cue.end, '.')}\n{cue.text}\n"
        )
    return "\n".join(blocks)


def to_srt(cues: list[Cue]) -> str:
    blocks = [
        f"{number}\n{_clock(cue.start, ',')} --> {_clock(cue.end, ',')}\n{cue.text}\n"
        for number, cue in enumerate(cues, 1)
    ]
    return "\n".join(blocks)


def parse_srt(text: str) -> list[Cue]:
    """Cues of an SRT file (what ffmpeg reads back out of the MP4's subtitle track)."""
    cues: list[Cue] = []
    for block in text.replace("\r\n", "\n").strip().split("\n\n"):
        rows = block.strip().splitlines()
        timing = next((row for row in rows if "-->" in row), None)
        if timing is None:
            continue
        start, end = (_seconds(part.strip()) for part in timing.split("-->"))
        body = rows[rows.index(timing) + 1 :]
        cues.append(Cue(start, end, " ".join(body)))
    return cues


def _seconds(clock: str) -> float:
    clock = clock.replace(",", ".")
    hours, minutes, seconds = clock.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
