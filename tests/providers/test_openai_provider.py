"""The openai provider through the real openai SDK against the fake OpenAI-compatible server."""

from __future__ import annotations

import pytest
from fake_openai import FakeOpenAI
from loopback import serve
from provider_env import OPENAI_KEY, openai_settings
from pydantic import SecretStr

from vidpipe.config import Settings
from vidpipe.errors import BadInputError, ContentFilteredError, ProviderError
from vidpipe.providers.base import StoryboardRequest
from vidpipe.providers.calls import ProviderAuthError
from vidpipe.providers.openai_compat import OpenAIStoryboardProvider

Fake = tuple[FakeOpenAI, str]


def story_request(scenes: int | None = 2) -> StoryboardRequest:
    return StoryboardRequest("a lighthouse in a storm", "noir", "9:16", 4.0, scenes)


async def test_strict_json_schema_output(openai_fake: Fake, base_settings: Settings) -> None:
    fake, url = openai_fake
    storyboard = await OpenAIStoryboardProvider(
        openai_settings(base_settings, url)
    ).write_storyboard(story_request(3))
    assert len(storyboard.scenes) == 3
    (sent,) = fake.requests
    assert sent.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert sent.body["model"] == "gpt-4o-mini"
    response_format = sent.body["response_format"]
    assert response_format["type"] == "json_schema"
    spec = response_format["json_schema"]
    assert spec["strict"] is True and spec["name"] == "storyboard"
    scenes = spec["schema"]["properties"]["scenes"]
    assert scenes["minItems"] == scenes["maxItems"] == 3
    assert scenes["items"]["additionalProperties"] is False
    assert "lighthouse" in sent.body["messages"][1]["content"]


async def test_servers_without_schemas_fall_back_to_json_mode(base_settings: Settings) -> None:
    fake = FakeOpenAI(api_key=OPENAI_KEY, schemas=False)
    with serve(fake.app()) as server:
        settings = openai_settings(base_settings, server.url, openai_model="llama3.1")
        provider = OpenAIStoryboardProvider(settings)
        assert provider.price_per_call == 0  # a self-hosted model costs nothing by default
        first = await provider.write_storyboard(story_request())
        second = await provider.write_storyboard(story_request())
    assert len(first.scenes) == len(second.scenes) == 2
    # refused once, then JSON mode; the fallback is remembered for the endpoint
    assert fake.formats() == ["json_schema", "json_object", "json_object"]
    assert "JSON schema" in fake.requests[1].body["messages"][0]["content"]


async def test_json_mode_can_be_forced(openai_fake: Fake, base_settings: Settings) -> None:
    fake, url = openai_fake
    settings = openai_settings(base_settings, url, openai_json_mode="json_object")
    await OpenAIStoryboardProvider(settings).write_storyboard(story_request())
    assert fake.formats() == ["json_object"]


async def test_forcing_schemas_on_a_server_without_them_says_so(base_settings: Settings) -> None:
    fake = FakeOpenAI(api_key=OPENAI_KEY, schemas=False)
    with serve(fake.app()) as server:
        settings = openai_settings(base_settings, server.url, openai_json_mode="json_schema")
        with pytest.raises(ProviderError, match="refused JSON-schema output.*OPENAI_JSON_MODE"):
            await OpenAIStoryboardProvider(settings).write_storyboard(story_request())


async def test_malformed_answers_are_retried_at_other_temperatures(
    openai_fake: Fake, base_settings: Settings
) -> None:
    fake, url = openai_fake
    fake.inject("malformed", "malformed", "malformed")
    storyboard = await OpenAIStoryboardProvider(
        openai_settings(base_settings, url)
    ).write_storyboard(story_request())
    assert len(storyboard.scenes) == 2
    temperatures = fake.temperatures()
    assert len(temperatures) == 4 and len(set(temperatures)) == 4


async def test_429_and_5xx_are_retried(openai_fake: Fake, base_settings: Settings) -> None:
    fake, url = openai_fake
    fake.inject(429, 500, 502)
    await OpenAIStoryboardProvider(openai_settings(base_settings, url)).write_storyboard(
        story_request()
    )
    assert fake.count() == 4


async def test_a_bad_key_fails_once_naming_the_setting(
    openai_fake: Fake, base_settings: Settings
) -> None:
    fake, url = openai_fake
    settings = openai_settings(base_settings, url, openai_api_key=SecretStr("sk-wrong"))
    with pytest.raises(ProviderAuthError) as caught:
        await OpenAIStoryboardProvider(settings).write_storyboard(story_request())
    assert "VIDPIPE_OPENAI_API_KEY" in str(caught.value) and "\n" not in str(caught.value)
    assert fake.count() == 1


async def test_a_content_filter_stop_is_a_content_safety_rejection(
    openai_fake: Fake, base_settings: Settings
) -> None:
    fake, url = openai_fake
    fake.inject("filtered")
    with pytest.raises(ContentFilteredError, match="content safety"):
        await OpenAIStoryboardProvider(openai_settings(base_settings, url)).write_storyboard(
            story_request()
        )


def test_api_openai_com_needs_a_key(base_settings: Settings) -> None:
    with pytest.raises(BadInputError, match="set VIDPIPE_OPENAI_API_KEY"):
        OpenAIStoryboardProvider(base_settings)


def test_prices(base_settings: Settings) -> None:
    keyed = base_settings.model_copy(update={"openai_api_key": SecretStr("k")})
    assert OpenAIStoryboardProvider(keyed).estimate_cost() == pytest.approx(0.002)
    override = keyed.model_copy(update={"prices": {"openai:storyboard": 0.05}})
    assert OpenAIStoryboardProvider(override).estimate_cost() == pytest.approx(0.05)


@pytest.mark.parametrize("role", ["storyboard", "narration"])
async def test_both_openai_roles_set_up_the_endpoint_one_way(
    role: str, openai_fake: Fake, base_settings: Settings
) -> None:
    """The storyboard writer and the narration voice share one set-up (providers/
    openai_client.py): no key on api.openai.com is refused with the same line; on an endpoint
    of your own none is needed; the SDK client never retries on its own."""
    from vidpipe.providers.openai_client import openai_client
    from vidpipe.providers.openai_speech import OpenAISpeechProvider

    make = {"storyboard": OpenAIStoryboardProvider, "narration": OpenAISpeechProvider}[role]
    with pytest.raises(BadInputError, match="needs an API key: set VIDPIPE_OPENAI_API_KEY"):
        make(base_settings.model_copy(update={"openai_api_key": None}))
    own = openai_settings(base_settings, openai_fake[1], openai_api_key=None)
    provider = make(own)
    async with provider._client() as client:
        assert client.max_retries == 0 and client.api_key == "not-needed"
        assert str(client.base_url) == str(openai_client(own, f"{openai_fake[1]}/v1").base_url)
