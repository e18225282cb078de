"""The local voice: eSpeak NG from the wheel speaks offline into a real WAV."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from vidpipe.config import Settings
from vidpipe.errors import ProviderError
from vidpipe.providers.base import Role, SpeechRequest
from vidpipe.providers.registry import ProviderRegistry
from vidpipe.providers.sim import SimNarrationProvider


def voice(tmp_path: Path):  # type: ignore[no-untyped-def]
    return ProviderRegistry().narrator(Settings(data_dir=tmp_path), "local")


async def test_local_voice_writes_speech_of_the_measured_length(tmp_path: Path) -> None:
    dest = tmp_path / "line.wav"
    result = await voice(tmp_path).speak(
        SpeechRequest(text="A lighthouse keeper climbs the stairs at dawn.", voice=""), dest
    )
    with wave.open(str(dest)) as audio:
        frames, rate = audio.getnframes(), audio.getframerate()
        data = audio.readframes(frames)
    assert rate == result.sample_rate == 22050
    assert result.duration_seconds == pytest.approx(frames / rate)
    assert 1.0 < result.duration_seconds < 5.0
    assert max(data) > 0  # not silence


async def test_speed_shortens_the_line(tmp_path: Path) -> None:
    text = "The quick brown fox jumps over the lazy dog."
    normal = await voice(tmp_path).speak(SpeechRequest(text, ""), tmp_path / "a.wav")
    fast = await voice(tmp_path).speak(SpeechRequest(text, "", speed=1.6), tmp_path / "b.wav")
    assert fast.duration_seconds < 0.8 * normal.duration_seconds


async def test_unknown_voice_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ProviderError, match="no voice named"):
        await voice(tmp_path).speak(SpeechRequest("hello", "no-such-voice"), tmp_path / "x.wav")


def test_local_and_sim_serve_narration(tmp_path: Path) -> None:
    registry = ProviderRegistry()
    assert {"local", "sim"} <= set(registry.names(Role.NARRATION))
    assert isinstance(registry.narrator(Settings(data_dir=tmp_path), "sim"), SimNarrationProvider)


async def test_each_speaker_gets_a_voice_of_their_own(tmp_path: Path) -> None:
    local = voice(tmp_path)
    assert local.voice_for("", None) == "en"
    assert local.voice_for("", "Keeper") == local.voice_for("", "Keeper") == "en+m3"
    assert local.voice_for("", "Mara") == "en+f1"
    assert local.voice_for("de+f2", "Mara") == "de+f2"  # a variant given by the user is kept
    text = "Hold fast, the storm is coming."
    plain = await local.speak(SpeechRequest(text, ""), tmp_path / "plain.wav")
    spoken = await local.speak(SpeechRequest(text, "", speaker="Mara"), tmp_path / "mara.wav")
    assert (tmp_path / "mara.wav").read_bytes() != (tmp_path / "plain.wav").read_bytes()
    assert spoken.duration_seconds == pytest.approx(plain.duration_seconds, rel=0.2)
