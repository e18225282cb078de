"""Where lines land, what overruns, how long an auto scene is, and the subtitle text formats."""

from __future__ import annotations

import pytest

from vidpipe.media.sound.subtitles import cues_from, parse_srt, to_srt, to_vtt
from vidpipe.media.sound.timeline import (
    LINE_GAP,
    SpokenLine,
    overruns,
    place_lines,
    scene_spans,
    speech_needed,
)
from vidpipe.pipeline.sound import fit_duration
from vidpipe.providers.base import Capabilities


def test_scene_starts_lose_one_crossfade_per_join() -> None:
    assert scene_spans([3.0, 3.0, 3.0], 0.5) == [(0.0, 2.5), (2.5, 5.0), (5.0, 8.0)]
    assert scene_spans([2.0, 4.0], 0.0) == [(0.0, 2.0), (2.0, 6.0)]


def test_narration_at_the_scene_start_and_dialogue_after_it() -> None:
    spans = dict(enumerate(scene_spans([3.0, 3.0], 0.5)))
    lines = [
        SpokenLine(1, 1, 0.8, "Hold fast!", "Keeper"),
        SpokenLine(1, 0, 1.5, "He climbs."),
        SpokenLine(0, 0, 3.0, "The keeper wakes before the storm."),
        SpokenLine(5, 0, 1.0, "a scene without a clip"),
    ]
    placed = {(p.line.scene_index, p.line.line_index): p.start for p in place_lines(lines, spans)}
    assert placed == {(0, 0): 0.0, (1, 0): 2.5, (1, 1): pytest.approx(2.5 + 1.5 + LINE_GAP)}
    assert overruns(place_lines(lines, spans), spans) == {0: 0.5}
    assert speech_needed([1.5, 0.8]) == pytest.approx(2.3 + LINE_GAP)


def test_auto_duration_rounds_up_to_what_the_model_takes() -> None:
    assert fit_duration(4.2, Capabilities(min_duration=1, max_duration=10)) == 5.0
    assert fit_duration(12.0, Capabilities(min_duration=1, max_duration=10)) == 10.0
    veo = Capabilities(min_duration=4, max_duration=8, durations=(4.0, 6.0, 8.0))
    assert [fit_duration(s, veo) for s in (3.0, 4.0, 4.1, 7.9, 9.0)] == [4, 4, 6, 8, 8]


def test_vtt_and_srt_carry_the_cues_to_the_millisecond() -> None:
    lines = [SpokenLine(0, 0, 1.2345, "Hello  there."), SpokenLine(0, 1, 2.0, "Hi!", "Bo")]
    cues = cues_from(place_lines(lines, {0: (61.5, 70.0)}), video_end=64.0)
    vtt, srt = to_vtt(cues), to_srt(cues)
    assert vtt.startswith("WEBVTT\n\n1\n00:01:01.500 --> 00:01:02.734\nHello there.\n")
    assert "00:01:03.035 --> 00:01:04.000\nBo: Hi!" in vtt  # ends with the video
    assert [(c.start, c.end, c.text) for c in parse_srt(srt)] == [
        (61.5, 62.734, "Hello there."), (63.035, 64.0, "Bo: Hi!"),
    ]  # fmt: skip
