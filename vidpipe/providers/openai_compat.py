"""The `openai` provider: storyboards from any OpenAI-compatible chat endpoint.

OpenAI, Ollama, vLLM, LM Studio, OpenRouter… through the `openai` SDK with a configurable base
URL (VIDPIPE_OPENAI_BASE_URL). Structured output first: `response_format` json_schema, strict.
A server that refuses schemas (HTTP 400/422 naming response_format or json_schema) is asked
again in JSON mode (`json_object`), and the answer is validated with pydantic; the fallback is
remembered for the endpoint and model. VIDPIPE_OPENAI_JSON_MODE forces either mode.
"""

from __future__ import annotations

import base64
import json
from typing import Any, ClassVar

import httpx
import openai
from pydantic import BaseModel, ConfigDict

from vidpipe.config import Settings
from vidpipe.errors import ContentFilteredError, ProviderError
from vidpipe.providers.base import (
    ReferenceImage,
    Storyboard,
    StoryboardProvider,
    StoryboardRequest,
)
from vidpipe.providers.calls import (
    RetryPolicy,
    TransientError,
    auth_error,
    is_transient_status,
    rate_limiter,
    retry_after_seconds,
    with_retries,
)
from vidpipe.providers.catalog import catalog_price
from vidpipe.providers.imaging import DESCRIBE_PROMPT
from vidpipe.providers.openai_client import hosted_endpoint, openai_client
from vidpipe.providers.openai_settings import OpenAISettings
from vidpipe.providers.screenplay import (
    storyboard_schema,
    system_prompt,
    user_prompt,
    write_with_retries,
)

# USD per storyboard call: the model catalog (catalog/openai.toml) has api.openai.com's models.
DEFAULT_PRICE_OPENAI = 0.01  # an unknown model on api.openai.com
# Endpoints not on api.openai.com (Ollama, vLLM, LM Studio) cost nothing unless `prices` says so.

_SCHEMA_REFUSED: set[tuple[str, str]] = set()  # (base_url, model) that refused json_schema


class OpenAIStoryboardProvider(StoryboardProvider):
    """Any OpenAI-compatible chat completions endpoint."""

    provider_id = "openai"
    needs_key = True
    key_env_var = "VIDPIPE_OPENAI_API_KEY"
    requests_per_minute: float | None = 60
    records_attempts: ClassVar[bool] = True

    class Options(BaseModel):
        model_config = ConfigDict(extra="forbid")

        model: str
        base_url: str | None
        json_mode: str

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        openai_settings = settings.provider(OpenAISettings)
        self.options = self.Options(
            model=openai_settings.model,
            base_url=openai_settings.base_url,
            json_mode=openai_settings.json_mode,
        )
        hosted = hosted_endpoint(settings, self.options.base_url)
        self.price_per_call = catalog_price(
            settings,
            "openai",
            "storyboard",
            self.options.model,
            DEFAULT_PRICE_OPENAI if hosted else 0.0,
        )
        self._policy = RetryPolicy.from_settings(settings)
        vision = openai_settings.vision
        self.sees_images = hosted if vision is None else vision

    def _client(self) -> openai.AsyncOpenAI:
        return openai_client(self.settings, self.options.base_url)

    async def health(self) -> str:
        """A free call (list models): the key is accepted and the endpoint reachable."""
        async with self._client() as client:
            try:
                page = await client.models.list()
            except openai.APIStatusError as exc:
                raise _translate(exc, False) from exc
            except openai.APIConnectionError as exc:
                raise ProviderError(f"openai: cannot reach {self._endpoint()[0]}: {exc}") from exc
        names = [model.id for model in page.data]
        found = "listed" if self.options.model in names else "not listed (it may still work)"
        return f"openai at {self._endpoint()[0]}: key accepted; model {self.options.model} {found}"

    def _endpoint(self) -> tuple[str, str]:
        return (self.options.base_url or "https://api.openai.com/v1", self.options.model)

    def _use_schema(self) -> bool:
        mode = self.options.json_mode
        if mode == "json_object":
            return False
        if mode == "json_schema":
            return True
        return self._endpoint() not in _SCHEMA_REFUSED

    async def write_storyboard(self, request: StoryboardRequest) -> Storyboard:
        schema = storyboard_schema(
            request.scene_count, [n.name for n in request.references], sound=request.wants_sound
        )
        user = user_prompt(request)
        instructions = system_prompt(request)

        async def attempt(temperature: float) -> str | None:
            async with self._client() as client:
                if self._use_schema():
                    try:
                        return await self._complete(client, instructions, user, temperature, schema)
                    except SchemaRefused:
                        if self.options.json_mode == "json_schema":
                            raise ProviderError(
                                f"{self._endpoint()[0]} refused JSON-schema output; set "
                                "VIDPIPE_OPENAI_JSON_MODE=auto or json_object"
                            ) from None
                        _SCHEMA_REFUSED.add(self._endpoint())
                return await self._complete(
                    client, instructions, user, temperature, None, sound=request.wants_sound
                )

        return await write_with_retries(self.options.model, request, attempt)

    async def describe_image(self, image: ReferenceImage) -> str:
        """The looks of a reference image in a sentence or two (a vision model), for the writer."""
        url = f"data:{image.media_type};base64,{base64.b64encode(image.path.read_bytes()).decode()}"
        content: list[dict[str, Any]] = [
            {"type": "text", "text": DESCRIBE_PROMPT},
            {"type": "image_url", "image_url": {"url": url}},
        ]

        async def once() -> str | None:
            async with self._client() as client:
                try:
                    completion = await client.chat.completions.create(
                        model=self.options.model,
                        messages=[{"role": "user", "content": content}],  # type: ignore[list-item,misc]
                        temperature=0.2,
                    )
                except openai.APIStatusError as exc:
                    raise _translate(exc, False) from exc
                except (openai.APITimeoutError, openai.APIConnectionError) as exc:
                    raise TransientError(
                        f"{self.options.model}: {type(exc).__name__}: {exc}"
                    ) from exc
            return completion.choices[0].message.content if completion.choices else None

        limiter = rate_limiter(self.settings, "openai:storyboard", self.requests_per_minute)
        text = await with_retries(
            once,
            self._policy,
            what=f"{self.options.model} describe",
            limiter=limiter,
            billable=True,
        )
        if not text or not text.strip():
            raise ProviderError(f"{self.options.model} returned no description of {image.name}")
        return text.strip()

    async def _complete(
        self,
        client: openai.AsyncOpenAI,
        instructions: str,
        user: str,
        temperature: float,
        schema: dict[str, Any] | None,
        *,
        sound: bool = False,
    ) -> str | None:
        if schema is not None:
            response_format: Any = {
                "type": "json_schema",
                "json_schema": {"name": "storyboard", "strict": True, "schema": schema},
            }
            system = instructions
        else:
            response_format = {"type": "json_object"}
            # JSON mode only promises *some* JSON object: the schema goes into the instructions
            system = (
                instructions
                + "\nThe JSON object must follow this JSON schema exactly:\n"
                + json.dumps(
                    storyboard_schema(None, sound=sound)["properties"], separators=(",", ":")
                )
            )

        async def once() -> str | None:
            try:
                completion = await client.chat.completions.create(
                    model=self.options.model,
                    messages=[
                        {"role": "system", "content": system},
                        {"role": "user", "content": user},
                    ],
                    response_format=response_format,
                    temperature=temperature,
                )
            except openai.APIStatusError as exc:
                raise _translate(exc, schema is not None) from exc
            except (openai.APITimeoutError, openai.APIConnectionError) as exc:
                unsent = not isinstance(exc, openai.APITimeoutError) and _never_sent(exc)
                raise TransientError(
                    f"{self.options.model}: {type(exc).__name__}: {exc}", certainly_unsent=unsent
                ) from exc
            if not completion.choices:
                return None
            choice = completion.choices[0]
            if choice.finish_reason == "content_filter" or getattr(choice.message, "refusal", None):
                detail = getattr(choice.message, "refusal", None) or "content_filter"
                raise ContentFilteredError(
                    f"{self.options.model} refused the storyboard for content safety: {detail}"
                )
            return choice.message.content

        limiter = rate_limiter(self.settings, "openai:storyboard", self.requests_per_minute)
        return await with_retries(
            once,
            self._policy,
            what=f"{self.options.model} storyboard",
            limiter=limiter,
            billable=True,
        )


def _never_sent(exc: openai.APIConnectionError) -> bool:
    """The connection was refused or never made: the server cannot have seen the request."""
    cause = exc.__cause__
    return isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout)


class SchemaRefused(ProviderError):
    """The server does not take response_format json_schema."""


def _translate(exc: openai.APIStatusError, with_schema: bool) -> Exception:
    status = exc.status_code
    message = _message_of(exc)
    if status in (401, 403):
        return auth_error("openai", status, message, "VIDPIPE_OPENAI_API_KEY")
    if is_transient_status(status):
        return TransientError(
            f"openai: HTTP {status}: {message}",
            status=status,
            retry_after=retry_after_seconds(exc.response.headers.get("retry-after")),
        )
    lowered = message.lower()
    if (
        with_schema
        and status in (400, 422)
        and any(word in lowered for word in ("response_format", "json_schema", "schema"))
    ):
        return SchemaRefused(message, status=status)
    if status == 404:
        return ProviderError(
            f"openai: HTTP 404: {message}; check VIDPIPE_OPENAI_MODEL", status=status
        )
    return ProviderError(f"openai: HTTP {status}: {message}", status=status)


def _message_of(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if isinstance(error, str):
            return error
    return str(exc.message)


from vidpipe.providers.openai_speech import OpenAISpeechProvider  # noqa: E402

PROVIDERS = [OpenAIStoryboardProvider, OpenAISpeechProvider]
