"""The remote narration voices through the real SDKs against the fakes: the request each service
receives, the WAV written, the ledger row before every attempt, and what the service bills."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import pytest
from fake_google import FakeGoogle, field
from fake_openai import FakeOpenAI
from provider_env import OPENAI_KEY, google_settings, openai_settings
from pydantic import SecretStr

from vidpipe.config import Settings
from vidpipe.errors import BadInputError
from vidpipe.providers.base import Role, SpeechRequest
from vidpipe.providers.billing import Ledger, Outcome, billing_scope
from vidpipe.providers.calls import ProviderAuthError
from vidpipe.providers.google import GoogleSpeechProvider
from vidpipe.providers.openai_speech import OpenAISpeechProvider
from vidpipe.providers.registry import load_registry
from vidpipe.providers.wav import BadAudioError, read_wav

LINE = "The storm is almost here, and the light is going out."  # 11 words, 53 characters


class RecordingLedger(Ledger):
    """Each attempt with how many requests the fake had received when it was written down."""

    def __init__(self, received: Any) -> None:
        self.received = received
        self.rows: list[dict[str, Any]] = []

    async def open(self, what: str) -> int:
        self.rows.append({"what": what, "seen_before": self.received(), "outcome": None})
        return len(self.rows) - 1

    async def close(self, handle: int, outcome: Outcome, note: str = "") -> None:
        self.rows[handle]["outcome"] = outcome


def voice_name(config: dict[str, Any]) -> Any:
    """speechConfig.voiceConfig.prebuiltVoiceConfig.voiceName, in either spelling."""
    for name in ("speechConfig", "voiceConfig", "prebuiltVoiceConfig", "voiceName"):
        config = field(config, name)
    return config


def wav_of(path: Path) -> tuple[int, int, int, float]:
    with wave.open(str(path)) as audio:
        frames = audio.getnframes()
        rate = audio.getframerate()
        return audio.getnchannels(), audio.getsampwidth(), rate, frames / rate


async def test_openai_speech(
    openai_fake: tuple[FakeOpenAI, str], base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = openai_fake
    provider = OpenAISpeechProvider(openai_settings(base_settings, url))
    ledger = RecordingLedger(lambda: fake.count("speech"))
    dest = tmp_path / "line.wav"
    with billing_scope(ledger):
        result = await provider.speak(SpeechRequest(LINE, voice="", speed=1.25), dest)

    (sent,) = fake.requests
    assert sent.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert sent.body == {
        "model": "gpt-4o-mini-tts",
        "voice": "alloy",
        "input": LINE,
        "response_format": "wav",
        "speed": 1.25,
    }
    # the streamed WAV's placeholder sizes were replaced by true ones
    assert wav_of(dest) == (1, 2, 24_000, pytest.approx(11 / 2.5 / 1.25, abs=0.01))
    assert result.sample_rate == 24_000
    assert result.duration_seconds == pytest.approx(4.4 / 1.25, abs=0.01)
    assert ledger.rows == [{"what": "gpt-4o-mini-tts speech", "seen_before": 0, "outcome": "ok"}]
    assert fake.billed_characters == len(LINE)
    assert provider.estimate_speech(LINE) == pytest.approx(len(LINE) * 17e-6)


async def test_openai_speech_retries_a_429_as_an_attempt_of_its_own(
    openai_fake: tuple[FakeOpenAI, str], base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = openai_fake
    fake.inject(429)
    provider = OpenAISpeechProvider(openai_settings(base_settings, url, openai_voice="nova"))
    ledger = RecordingLedger(lambda: fake.count("speech"))
    with billing_scope(ledger):
        await provider.speak(SpeechRequest("Run!", voice="coral"), tmp_path / "a.wav")
    assert [(r["seen_before"], r["outcome"]) for r in ledger.rows] == [(0, "refused"), (1, "ok")]
    assert [r.body["voice"] for r in fake.requests] == ["coral", "coral"]  # the request's voice
    assert fake.billed_characters == 4  # the refused one was not billed


async def test_openai_speech_refusals(
    openai_fake: tuple[FakeOpenAI, str], base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = openai_fake
    bad_key = openai_settings(base_settings, url, openai_api_key=SecretStr("sk-wrong"))
    with pytest.raises(ProviderAuthError, match="VIDPIPE_OPENAI_API_KEY"):
        await OpenAISpeechProvider(bad_key).speak(SpeechRequest("Hi", ""), tmp_path / "x.wav")
    assert fake.count("speech") == 1  # never retried
    provider = OpenAISpeechProvider(openai_settings(base_settings, url))
    with pytest.raises(BadInputError, match="speed"):
        await provider.speak(SpeechRequest("Hi", "", speed=5), tmp_path / "x.wav")
    with pytest.raises(BadInputError, match="limit is 4096"):
        await provider.speak(SpeechRequest("x" * 4097, ""), tmp_path / "x.wav")
    assert fake.count("speech") == 1  # refused before anything was sent
    assert not (tmp_path / "x.wav").exists()


async def test_gemini_speech(
    google_fake: tuple[FakeGoogle, str], base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = google_fake
    provider = GoogleSpeechProvider(google_settings(base_settings, url, vertex=False))
    ledger = RecordingLedger(lambda: fake.count("generateContent:speech"))
    dest = tmp_path / "line.wav"
    with billing_scope(ledger):
        result = await provider.speak(SpeechRequest(LINE, voice="Puck", speed=0.8), dest)

    (sent,) = fake.of_kind("generateContent:speech")
    assert sent.path.endswith("models/gemini-3.8-flash-lite-tts:generateContent")
    config = sent.body["generationConfig"]
    assert config["responseModalities"] == ["AUDIO"]
    assert voice_name(config) == "Puck"
    assert sent.body["contents"][0]["parts"][0]["text"] == LINE  # read verbatim by 3.8 TTS
    assert fake.speech_styles == ["slow, unhurried"]  # the pace as the part's speech style
    assert wav_of(dest) == (1, 2, 24_000, pytest.approx(result.duration_seconds, abs=0.001))
    assert result.duration_seconds == pytest.approx(11 / 2.5, abs=0.01)
    assert ledger.rows == [
        {"what": "gemini-3.8-flash-lite-tts speech", "seen_before": 0, "outcome": "ok"}
    ]
    assert fake.billed("generateContent:speech") == 1
    assert fake.billed_tokens == {"text": 14, "audio": 110}
    # the estimate: ~$10 per million characters
    assert provider.estimate_speech(LINE) == pytest.approx(len(LINE) * 10.125e-6)


async def test_gemini_speech_on_vertex_with_the_default_voice_and_a_retry(
    google_fake: tuple[FakeGoogle, str], base_settings: Settings, tmp_path: Path
) -> None:
    fake, url = google_fake
    fake.inject("generateContent:speech", 500)
    settings = google_settings(base_settings, url, google_speech_model="gemini-3.8-flash-tts")
    provider = GoogleSpeechProvider(settings)
    ledger = RecordingLedger(lambda: fake.count("generateContent:speech"))
    with billing_scope(ledger):
        await provider.speak(SpeechRequest("Hello there.", voice=""), tmp_path / "a.wav")
    first, second = fake.of_kind("generateContent:speech")
    assert second.path.startswith("/v1beta1/") and "gemini-3.8-flash-tts" in second.path
    assert voice_name(second.body["generationConfig"]) == "Kore"
    assert second.body["contents"][0]["parts"][0]["text"] == "Hello there."
    # a 500 may have been carried out: an attempt of its own, outcome unknown, then the retry
    assert [(r["seen_before"], r["outcome"]) for r in ledger.rows] == [(0, "unknown"), (1, "ok")]
    assert fake.billed("generateContent:speech") == 1


def test_the_registry_knows_both_voices() -> None:
    registry = load_registry(plugins=False)
    assert registry.get(Role.NARRATION, "openai") is OpenAISpeechProvider
    assert registry.get(Role.NARRATION, "google") is GoogleSpeechProvider
    assert {"openai", "google"} <= set(registry.names(Role.NARRATION))


def test_unreadable_audio_is_refused() -> None:
    with pytest.raises(BadAudioError):
        read_wav(b"ID3 not a wav at all")
