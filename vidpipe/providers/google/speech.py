"""The `google` narration voice: Gemini speech generation (generateContent, AUDIO modality).

The model (VIDPIPE_GOOGLE_SPEECH_MODEL, default gemini-3.8-flash-lite-tts) speaks the line in a
prebuilt voice (`speechConfig.voiceConfig.prebuiltVoiceConfig.voiceName`, VIDPIPE_GOOGLE_VOICE or
the request's) and answers 16-bit mono PCM inline (`audio/L16;codec=pcm;rate=24000`), which is
wrapped as a WAV. Gemini TTS has no speed setting: a slower or faster line is asked for as the
part's `speech_metadata.style` — Gemini 3.8 TTS reads the text verbatim, so a direction written
into the text ("Say slowly: …") would be spoken. Works in both Google modes; every attempt is a
ledger row before it is sent.
"""

from __future__ import annotations

from pathlib import Path

from google.genai import types
from pydantic import BaseModel, ConfigDict

from vidpipe.config import Settings
from vidpipe.errors import BadInputError, ContentFilteredError, ProviderError
from vidpipe.providers.base import NarrationProvider, SpeechRequest, SpeechResult
from vidpipe.providers.calls import price
from vidpipe.providers.google.client import GoogleClientMixin
from vidpipe.providers.google.settings import GoogleSettings
from vidpipe.providers.wav import Pcm, rate_of, write_wav

# USD per character (list prices checked 2026-12-06, see docs/providers.md): text in at $0.50
# per million tokens (~4 characters a token) and audio out at $6 (Flash-Lite TTS) or $20
# (Flash TTS) per million tokens, 25 audio tokens a second, ~15 characters a second.
PRICES_PER_CHARACTER: dict[str, float] = {
    "gemini-3.8-flash-lite-tts": 0.5e-6 / 4 + 6e-6 * 25 / 15,  # ≈ $10 per million characters
    "gemini-3.8-flash-tts": 0.5e-6 / 4 + 20e-6 * 25 / 15,  # ≈ $33 per million characters
}
DEFAULT_PRICE_PER_CHARACTER = PRICES_PER_CHARACTER["gemini-3.8-flash-tts"]


class GoogleSpeechProvider(GoogleClientMixin, NarrationProvider):
    """Gemini text to speech."""

    class Options(BaseModel):
        model_config = ConfigDict(extra="forbid")

        model: str
        voice: str

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        google = settings.provider(GoogleSettings)
        self.options = self.Options(
            model=google.speech_model,
            voice=google.voice,
        )
        self._init_client()
        model = self.options.model
        self.price_per_character = price(
            settings,
            (model, "google:narration"),
            PRICES_PER_CHARACTER.get(model, DEFAULT_PRICE_PER_CHARACTER),
        )

    async def speak(self, request: SpeechRequest, dest: Path) -> SpeechResult:
        text = " ".join(request.text.split())
        if not text:
            raise BadInputError("nothing to say: the line is empty")
        speech = types.SpeechConfig(
            voice_config=types.VoiceConfig(
                prebuilt_voice_config=types.PrebuiltVoiceConfig(
                    voice_name=request.voice or self.options.voice
                )
            ),
            language_code=request.language if "-" in request.language else None,
        )
        config = types.GenerateContentConfig(response_modalities=["AUDIO"], speech_config=speech)
        model = self.options.model
        async with self._aio() as aio:
            response = await self._call(
                f"{model} speech",
                lambda: aio.models.generate_content(
                    model=model, contents=_paced(text, request.speed), config=config
                ),
                rpm=self.requests_per_minute,
            )
        pcm = _pcm_of(response, model)
        seconds = write_wav(pcm, dest)
        return SpeechResult(duration_seconds=seconds, sample_rate=pcm.rate)


def _paced(text: str, speed: float) -> list[types.Content]:
    """The line as one part; a pace other than the usual one goes in its speech style."""
    style = "slow, unhurried" if speed < 0.9 else "fast-paced" if speed > 1.1 else None
    metadata = types.SpeechMetadata(style=style) if style else None
    part = types.Part(text=text, speech_metadata=metadata)
    return [types.Content(role="user", parts=[part])]


def _pcm_of(response: types.GenerateContentResponse, model: str) -> Pcm:
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason:
        raise ContentFilteredError(f"{model} refused the line for content safety")
    for candidate in response.candidates or []:
        for part in (candidate.content.parts if candidate.content else None) or []:
            blob = part.inline_data
            mime_type = (blob.mime_type if blob is not None else None) or ""
            if blob is not None and blob.data and mime_type.startswith("audio/"):
                if "L16" not in mime_type and "pcm" not in mime_type:
                    raise ProviderError(f"{model} answered {blob.mime_type}, not 16-bit PCM")
                data = blob.data[: len(blob.data) // 2 * 2]
                return Pcm(data, rate_of(blob.mime_type))
    raise ProviderError(f"{model} answered without audio")
