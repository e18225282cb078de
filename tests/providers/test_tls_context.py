"""The providers load the CA bundle once per process, not once per request.

A client per request is kept (no socket outlives its event loop), but building one used to load
the whole CA bundle into a new TLS context: 20-70 ms of CPU per status poll. These tests count the
loads (`load_verify_locations` and `set_default_verify_paths` on any `ssl.SSLContext`) while the
real clients talk to the loopback fakes.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_fal import FakeFal
from fake_google import FakeGoogle
from fake_openai import FakeOpenAI
from provider_env import fal_settings, google_settings, openai_settings
from test_fal_provider import clip_request
from test_openai_provider import story_request

from vidpipe.config import Settings
from vidpipe.providers import tls
from vidpipe.providers.fal import FalVideoProvider
from vidpipe.providers.google import GoogleStoryboardProvider
from vidpipe.providers.google import client as google_client
from vidpipe.providers.openai_compat import OpenAIStoryboardProvider

POLLS = 20


@pytest.fixture
def ca_loads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Each CA load from now on, by method name; the shared contexts are built afresh."""
    loads: list[str] = []
    for name in ("load_verify_locations", "set_default_verify_paths"):
        original = getattr(ssl.SSLContext, name)

        def spy(
            self: ssl.SSLContext, *args: Any, _o: Any = original, _n: str = name, **kw: Any
        ) -> Any:
            loads.append(_n)
            return _o(self, *args, **kw)

        monkeypatch.setattr(ssl.SSLContext, name, spy)
    tls.clear()
    google_client._sdk_tls_contexts.cache_clear()
    yield loads
    tls.clear()
    google_client._sdk_tls_contexts.cache_clear()


async def test_fal_status_polls_load_the_ca_bundle_once(
    ca_loads: list[str],
    base_settings: Settings,
    fal_fake: tuple[FakeFal, str],
    tmp_path: Path,
) -> None:
    fake, url = fal_fake
    provider = FalVideoProvider(fal_settings(base_settings, url))
    operation = await provider.submit(clip_request(tmp_path))  # uploads, a token, the submit
    assert len(ca_loads) == 1
    for _ in range(POLLS):
        assert await provider.operation_state(operation) is not None
    assert fake.count("status") == POLLS
    assert len(ca_loads) == 1


@pytest.mark.parametrize("vertex", [False, True], ids=["gemini-api", "vertex-express"])
async def test_google_calls_load_the_ca_bundle_once(
    vertex: bool,
    ca_loads: list[str],
    base_settings: Settings,
    google_fake: tuple[FakeGoogle, str],
) -> None:
    fake, url = google_fake
    provider = GoogleStoryboardProvider(google_settings(base_settings, url, vertex=vertex))
    await provider.health()
    first = len(ca_loads)  # the SDK's two contexts (httpx, websocket), each loaded once
    assert 1 <= first <= 2
    for _ in range(5):
        assert "credentials accepted" in await provider.health()
    assert fake.count("models.list") == 6
    assert len(ca_loads) == first


async def test_openai_calls_load_the_ca_bundle_once(
    ca_loads: list[str], base_settings: Settings, openai_fake: tuple[FakeOpenAI, str]
) -> None:
    fake, url = openai_fake
    provider = OpenAIStoryboardProvider(openai_settings(base_settings, url))
    for _ in range(3):
        await provider.write_storyboard(story_request(2))
    assert len(fake.requests) == 3
    assert len(ca_loads) == 1


def test_the_shared_context_trusts_what_httpx_trusts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Built by httpx's own default builder, and again when SSL_CERT_FILE changes."""
    import httpx

    tls.clear()
    default = httpx.create_ssl_context()
    shared = tls.tls_context()
    assert shared is tls.tls_context()
    assert shared.verify_mode == default.verify_mode == ssl.CERT_REQUIRED
    assert shared.check_hostname and shared.cert_store_stats() == default.cert_store_stats()
    monkeypatch.setenv("SSL_CERT_FILE", str(Path(__file__)))  # no certificates in it
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with pytest.raises(ssl.SSLError):
        tls.tls_context()
    tls.clear()
