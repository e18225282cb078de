"""Storyboards from Gemini with structured output (responseJsonSchema)."""

from __future__ import annotations

from google.genai import types
from pydantic import BaseModel, ConfigDict

from vidpipe.config import Settings
from vidpipe.errors import ContentFilteredError, ProviderError
from vidpipe.providers.base import (
    ReferenceImage,
    Storyboard,
    StoryboardProvider,
    StoryboardRequest,
)
from vidpipe.providers.catalog import catalog_price
from vidpipe.providers.google.client import GoogleClientMixin
from vidpipe.providers.google.models import DEFAULT_TEXT_PRICE
from vidpipe.providers.google.settings import GoogleSettings
from vidpipe.providers.imaging import DESCRIBE_PROMPT
from vidpipe.providers.screenplay import (
    storyboard_schema,
    system_prompt,
    user_prompt,
    write_with_retries,
)

BLOCKING_FINISH = {"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION"}


class GoogleStoryboardProvider(GoogleClientMixin, StoryboardProvider):
    """Gemini writes the storyboard as JSON that must match the storyboard schema."""

    sees_images = True  # Gemini text models take images: references get described

    class Options(BaseModel):
        model_config = ConfigDict(extra="forbid")

        model: str

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.options = self.Options(model=settings.provider(GoogleSettings).storyboard_model)
        self._init_client()
        model = self.options.model
        self.price_per_call = catalog_price(
            settings, "google", "storyboard", model, DEFAULT_TEXT_PRICE
        )

    async def write_storyboard(self, request: StoryboardRequest) -> Storyboard:
        schema = storyboard_schema(
            request.scene_count, [n.name for n in request.references], sound=request.wants_sound
        )
        prompt = user_prompt(request)
        instructions = system_prompt(request)

        async def attempt(temperature: float) -> str | None:
            config = types.GenerateContentConfig(
                system_instruction=instructions,
                response_mime_type="application/json",
                response_json_schema=schema,
                temperature=temperature,
            )
            async with self._aio() as aio:
                response = await self._call(
                    "gemini storyboard",
                    lambda: aio.models.generate_content(
                        model=self.options.model, contents=prompt, config=config
                    ),
                    rpm=self.requests_per_minute,
                )
            _refuse_if_blocked(response)
            return response.text

        return await write_with_retries("gemini", request, attempt)

    async def describe_image(self, image: ReferenceImage) -> str:
        """The looks of a reference image in a sentence or two, for the character bible."""
        contents: list[types.PartUnion] = [
            types.Part.from_bytes(data=image.path.read_bytes(), mime_type=image.media_type),
            types.Part.from_text(text=DESCRIBE_PROMPT),
        ]
        config = types.GenerateContentConfig(temperature=0.2)
        async with self._aio() as aio:
            response = await self._call(
                "gemini describe reference",
                lambda: aio.models.generate_content(
                    model=self.options.model, contents=contents, config=config
                ),
                rpm=self.requests_per_minute,
            )
        _refuse_if_blocked(response)
        text = (response.text or "").strip()
        if not text:
            raise ProviderError(f"{self.options.model} returned no description of {image.name}")
        return text


def _refuse_if_blocked(response: types.GenerateContentResponse) -> None:
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason:
        reason = feedback.block_reason_message or str(feedback.block_reason.value)
        raise ContentFilteredError(f"gemini blocked the prompt for content safety: {reason}")
    for candidate in response.candidates or []:
        finish = candidate.finish_reason.value if candidate.finish_reason else ""
        if finish in BLOCKING_FINISH:
            detail = f"{finish}: {candidate.finish_message}" if candidate.finish_message else finish
            raise ContentFilteredError(f"gemini stopped for content safety: {detail}")
