"""The mix with real ffmpeg: loudness on target, music ducked under speech, lines where placed."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from vidpipe.config import Settings
from vidpipe.media.sound.mix import (
    LineInput,
    MixSettings,
    audio_duration,
    measure_loudness,
    mux_final,
    normalise,
    premix,
)
from vidpipe.media.sound.subtitles import cues_from, parse_srt, to_srt
from vidpipe.media.sound.timeline import Placement, SpokenLine
from vidpipe.providers.base import SpeechRequest
from vidpipe.providers.local import LocalNarrationProvider

MUSIC = Path(__file__).resolve().parents[1] / "data" / "music_bed.mp3"


async def speak(tmp_path: Path, text: str, name: str) -> tuple[Path, float]:
    voice = LocalNarrationProvider(Settings(data_dir=tmp_path))
    dest = tmp_path / f"{name}.wav"
    result = await voice.speak(SpeechRequest(text, ""), dest)
    return dest, result.duration_seconds


def levels_db(path: Path, windows: list[tuple[float, float]]) -> list[float]:
    """RMS level (dBFS) of a 16-bit WAV in each (start, end) window."""
    with wave.open(str(path)) as audio:
        rate, channels = audio.getframerate(), audio.getnchannels()
        samples = np.frombuffer(audio.readframes(audio.getnframes()), "<i2") / 32768.0
    samples = samples.reshape(-1, channels).mean(axis=1)
    out = []
    for start, end in windows:
        chunk = samples[int(start * rate) : int(end * rate)]
        out.append(20 * np.log10(np.sqrt(np.mean(chunk**2)) + 1e-12))
    return out


async def test_mix_hits_the_loudness_target_and_ducks_the_music(
    ffmpeg: str, tmp_path: Path
) -> None:
    line, length = await speak(tmp_path, "The keeper climbs the stairs as the storm comes in.", "a")
    start, duration = 3.0, 9.0
    lines = [LineInput(line, start)]
    settings = MixSettings()

    async def mix(dest: Path, stem: str | None = None) -> dict[str, float] | None:
        return await premix(
            ffmpeg, dest, duration=duration, picture=None, lines=lines, music=MUSIC,
            settings=settings, stem=stem,
        )  # fmt: skip

    stem = tmp_path / "music.wav"
    await mix(stem, stem="music")
    # well inside the fades: before speech, under speech (after the attack)
    before, under = levels_db(stem, [(1.7, 2.9), (start + 0.4, start + length - 0.3)])
    assert before - under >= 8.0, (before, under)

    premixed = tmp_path / "premix.wav"
    measured = await mix(premixed)
    assert measured is not None and "input_i" in measured
    final = tmp_path / "mix.m4a"
    reported = await normalise(ffmpeg, premixed, measured, final, settings)
    loudness = await measure_loudness(ffmpeg, final)
    assert reported == loudness
    assert loudness.integrated == pytest.approx(-14.0, abs=1.0)
    assert loudness.true_peak <= -1.0
    assert audio_duration(final) == pytest.approx(duration, abs=0.1)


async def test_soft_subtitles_are_muxed_with_the_cue_times(
    ffmpeg: str,
    make_clip,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    picture = make_clip(duration=3.0, audio=False)
    spoken = SpokenLine(0, 0, 1.25, "Hello there.")
    cues = cues_from([Placement(spoken, 0.5)], video_end=3.0)
    srt = tmp_path / "subs.srt"
    srt.write_text(to_srt(cues))
    final = tmp_path / "final.mp4"
    await mux_final(ffmpeg, picture, final, audio=None, subtitles=srt, mode="soft")
    back = tmp_path / "back.srt"
    import subprocess

    subprocess.run([ffmpeg, "-v", "error", "-y", "-i", str(final), "-map", "0:s:0", str(back)],
                   check=True)  # fmt: skip
    (cue,) = parse_srt(back.read_text())
    assert cue.start == pytest.approx(0.5, abs=0.05) and cue.end == pytest.approx(1.75, abs=0.05)
    assert cue.text == "Hello there."


async def test_burnt_in_subtitles_draw_at_the_bottom_only_while_the_cue_lasts(
    ffmpeg: str,
    make_clip,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    from vidpipe.media.frames import read_frame
    from vidpipe.media.probe import probe

    picture = make_clip(duration=2.0, audio=False, color="navy", size=(320, 240))
    srt = tmp_path / "subs.srt"
    srt.write_text(to_srt(cues_from([Placement(SpokenLine(0, 0, 0.8, "HELLO WORLD"), 0.2)], 2.0)))
    final = tmp_path / "burnt.mp4"
    await mux_final(ffmpeg, picture, final, audio=None, subtitles=srt, mode="burn")
    assert probe(final).duration == pytest.approx(2.0, abs=0.05)
    before, during, after = (read_frame(final, n) for n in (0, 12, 36))  # 0 s, 0.5 s, 1.5 s
    original = read_frame(picture, 12)

    def changed(frame, rows: slice) -> float:  # type: ignore[no-untyped-def]
        return float(np.abs(frame[rows].astype(int) - original[rows].astype(int)).mean())

    assert changed(during, slice(170, 240)) > 2  # text in the bottom band
    assert changed(during, slice(0, 120)) < 1  # nothing at the top
    assert changed(before, slice(170, 240)) < 1 and changed(after, slice(170, 240)) < 1
