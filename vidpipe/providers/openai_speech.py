"""The `openai` narration voice: POST /v1/audio/speech through the `openai` SDK.

Any OpenAI-compatible speech endpoint (OpenAI, or a local server that offers the same route)
at VIDPIPE_OPENAI_BASE_URL with VIDPIPE_OPENAI_API_KEY, like the storyboard writer; the model is
VIDPIPE_OPENAI_SPEECH_MODEL and the voice VIDPIPE_OPENAI_VOICE (or the request's). WAV is asked
for and written back clean (a streamed WAV's header carries placeholder sizes). Each attempt is a
ledger row before it is sent (billable `with_retries`).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import openai
from pydantic import BaseModel, ConfigDict

from vidpipe.config import Settings
from vidpipe.errors import BadInputError, ProviderError
from vidpipe.providers.base import NarrationProvider, SpeechRequest, SpeechResult
from vidpipe.providers.calls import RetryPolicy, TransientError, price, rate_limiter, with_retries
from vidpipe.providers.openai_client import hosted_endpoint, openai_client
from vidpipe.providers.openai_settings import OpenAISettings
from vidpipe.providers.wav import BadAudioError, read_wav, write_wav

# USD per character of input (list prices, checked 2026-12-06; see docs/providers.md).
PRICES_PER_CHARACTER: dict[str, float] = {
    "tts-1": 15e-6,  # $15 per million characters
    "tts-1-hd": 30e-6,  # $30 per million characters
    # billed by tokens ($0.60/M text in, $12/M audio out): about $0.015 a minute of speech,
    # which at ~15 characters a second is about $17 per million characters
    "gpt-4o-mini-tts": 17e-6,
}
DEFAULT_PRICE_PER_CHARACTER = 17e-6
MAX_INPUT = 4096  # characters the endpoint takes
SPEEDS = (0.25, 4.0)


class OpenAISpeechProvider(NarrationProvider):
    """Text to speech at an OpenAI-compatible /v1/audio/speech."""

    provider_id = "openai"
    needs_key = True
    key_env_var = "VIDPIPE_OPENAI_API_KEY"
    requests_per_minute: float | None = 60
    records_attempts: ClassVar[bool] = True

    class Options(BaseModel):
        model_config = ConfigDict(extra="forbid")

        model: str
        voice: str
        base_url: str | None

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        openai_settings = settings.provider(OpenAISettings)
        self.options = self.Options(
            model=openai_settings.speech_model,
            voice=openai_settings.voice,
            base_url=openai_settings.base_url,
        )
        hosted = hosted_endpoint(settings, self.options.base_url)
        default = PRICES_PER_CHARACTER.get(
            self.options.model, DEFAULT_PRICE_PER_CHARACTER if hosted else 0.0
        )
        self.price_per_character = price(
            settings, (self.options.model, "openai:narration"), default
        )
        self._policy = RetryPolicy.from_settings(settings)

    def _client(self) -> openai.AsyncOpenAI:
        return openai_client(self.settings, self.options.base_url)

    async def speak(self, request: SpeechRequest, dest: Path) -> SpeechResult:
        text = " ".join(request.text.split())
        if not text:
            raise BadInputError("nothing to say: the line is empty")
        if len(text) > MAX_INPUT:
            raise BadInputError(f"the line is {len(text)} characters; the limit is {MAX_INPUT}")
        if not SPEEDS[0] <= request.speed <= SPEEDS[1]:
            raise BadInputError(f"invalid speed {request.speed:g}; give 0.25 to 4")
        voice = request.voice or self.options.voice
        model = self.options.model

        async def once() -> bytes:
            from vidpipe.providers.openai_compat import _never_sent, _translate

            async with self._client() as client:
                try:
                    response = await client.audio.speech.create(
                        model=model,
                        voice=voice,
                        input=text,
                        response_format="wav",
                        speed=request.speed,
                    )
                except openai.APIStatusError as exc:
                    raise _translate(exc, False) from exc
                except (openai.APITimeoutError, openai.APIConnectionError) as exc:
                    unsent = not isinstance(exc, openai.APITimeoutError) and _never_sent(exc)
                    raise TransientError(
                        f"{model}: {type(exc).__name__}: {exc}", certainly_unsent=unsent
                    ) from exc
                return response.content

        limiter = rate_limiter(self.settings, "openai:narration", self.requests_per_minute)
        data = await with_retries(
            once, self._policy, what=f"{model} speech", limiter=limiter, billable=True
        )
        try:
            pcm = read_wav(data)
        except BadAudioError as exc:
            raise ProviderError(f"{model} returned unreadable audio: {exc}") from None
        seconds = write_wav(pcm, dest)
        return SpeechResult(duration_seconds=seconds, sample_rate=pcm.rate)
