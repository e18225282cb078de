"""The `local` narration voice: eSpeak NG, offline, free, no download.

The engine ships inside the `espeakng-loader` wheel (the shared library and its voice data, about
20 MB); it needs nothing at run time but the C++ runtime every Linux has. It is called through
ctypes in synchronous mode: samples come back through a callback, so no audio device is involved.
The library keeps global state and is not thread-safe, so one line is spoken at a time (a line
takes well under a second). Robotic, but fine for an animatic.
"""

from __future__ import annotations

import asyncio
import ctypes
import hashlib
import threading
import wave
from array import array
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from vidpipe.errors import ProviderError
from vidpipe.providers.base import NarrationProvider, SpeechRequest, SpeechResult

ENGINE = "espeak-ng"
BASE_RATE = 175  # eSpeak's default words per minute; speed 1.0
# speak_lib.h constants
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_RATE = 1


class LocalVoiceOptions(BaseModel):
    """What decides the sound besides the request: the engine (part of every line's fingerprint)."""

    model_config = ConfigDict(extra="forbid")

    engine: str = ENGINE
    # Each dialogue speaker gets one of these eSpeak variants (by a stable hash of the name), so
    # two characters do not sound alike; the narrator keeps the plain voice.
    speaker_variants: tuple[str, ...] = ("m3", "f2", "m1", "f4", "m7", "f1")


class LocalNarrationProvider(NarrationProvider):
    """eSpeak NG voices by name (`en`, `en-us`, `de`, `en+f2`...); speed scales 175 words a
    minute; dialogue speakers get a variant of the voice each."""

    provider_id = "local"
    default_voice = "en"

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.options = LocalVoiceOptions()

    async def speak(self, request: SpeechRequest, dest: Path) -> SpeechResult:
        voice = self.voice_for(request.voice, request.speaker)
        return await asyncio.to_thread(_speak, request.text, voice, request.speed, dest)

    def voice_for(self, voice: str, speaker: str | None) -> str:
        """The eSpeak voice name of a line: the narrator's plain, a speaker's with a variant."""
        voice = voice or self.default_voice
        if not speaker or "+" in voice:
            return voice
        variants = self.options.speaker_variants
        index = int(hashlib.sha256(speaker.encode()).hexdigest(), 16) % len(variants)
        return f"{voice}+{variants[index]}"


class _Engine:
    """The loaded library, initialised once per process."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as exc:  # pragma: no cover - a dependency of vidpipe
            raise ProviderError(
                "the local voice needs the espeakng-loader package (pip install espeakng-loader)"
            ) from exc
        try:
            self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
            data = espeakng_loader.get_data_path().encode()
        except (OSError, RuntimeError) as exc:
            raise ProviderError(f"the local voice (eSpeak NG) could not be loaded: {exc}") from exc
        self.lib.espeak_Initialize.restype = ctypes.c_int
        self.lib.espeak_Synth.argtypes = [
            ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
            ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]  # fmt: skip
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.sample_rate = self.lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data, 0)
        if self.sample_rate <= 0:
            raise ProviderError("the local voice (eSpeak NG) failed to initialise")
        self.samples = array("h")
        callback_type = ctypes.CFUNCTYPE(
            ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
        )
        self._callback = callback_type(self._collect)  # kept alive as long as the engine
        self.lib.espeak_SetSynthCallback(self._callback)

    def _collect(self, wav: Any, count: int, _events: Any) -> int:
        if count > 0 and wav:
            self.samples.extend(ctypes.cast(wav, ctypes.POINTER(ctypes.c_short * count)).contents)
        return 0  # go on

    def speak(self, text: str, voice: str, speed: float) -> array[int]:
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise ProviderError(f"the local voice has no voice named {voice!r} (try en, en-us, de)")
        rate = round(min(max(BASE_RATE * speed, 80), 450))
        self.lib.espeak_SetParameter(_RATE, rate, 0)
        self.samples = array("h")
        encoded = text.encode()
        status = self.lib.espeak_Synth(
            encoded, len(encoded) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
        )
        self.lib.espeak_Synchronize()
        if status != 0:
            raise ProviderError(f"the local voice failed on a line (eSpeak NG status {status})")
        return self.samples


_engine: _Engine | None = None
_lock = threading.Lock()


def _speak(text: str, voice: str, speed: float, dest: Path) -> SpeechResult:
    global _engine
    with _lock:
        if _engine is None:
            _engine = _Engine()
        samples = _engine.speak(text, voice, speed)
        rate = _engine.sample_rate
    with wave.open(str(dest), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return SpeechResult(duration_seconds=len(samples) / rate, sample_rate=rate)
