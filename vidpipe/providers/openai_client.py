"""What the `openai` provider's two roles (storyboards in openai_compat.py, narration in
openai_speech.py) share: whether the endpoint is OpenAI's own (which needs a key and has list
prices) and the SDK client, built one way (vidpipe retries, so the SDK does not)."""

from __future__ import annotations

import openai

from vidpipe.config import Settings
from vidpipe.errors import BadInputError
from vidpipe.providers.openai_settings import OpenAISettings
from vidpipe.providers.tls import httpx2_tls_context


def hosted_endpoint(settings: Settings, base_url: str | None) -> bool:
    """True for api.openai.com (no base URL, or one naming it); there a key is required, so its
    absence is refused here, before any request."""
    hosted = base_url is None or "api.openai.com" in base_url
    if hosted and not settings.provider(OpenAISettings).api_key:
        raise BadInputError("the openai provider needs an API key: set VIDPIPE_OPENAI_API_KEY")
    return hosted


def openai_client(settings: Settings, base_url: str | None) -> openai.AsyncOpenAI:
    """An SDK client for one call; a key is optional on endpoints of your own."""
    key = settings.provider(OpenAISettings).api_key
    return openai.AsyncOpenAI(
        api_key=key.get_secret_value() if key else "not-needed",
        base_url=base_url,
        max_retries=0,  # vidpipe retries (tenacity), so the policy is one and visible
        timeout=settings.provider_timeout_seconds,
        # the SDK's own client with its defaults, but the process's TLS context: a client per
        # call otherwise loads the CA bundle per call
        http_client=openai.DefaultAsyncHttpxClient(
            timeout=settings.provider_timeout_seconds, verify=httpx2_tls_context()
        ),
    )
