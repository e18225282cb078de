"""Fake provider servers on loopback, and settings that point the real clients at them.

The fakes live in tests/fakes/ (protocol-faithful: the real google-genai, openai and httpx /
websockets clients do real HTTP to 127.0.0.1). Timings are shrunk so nothing waits for long.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fakes"))

from fake_comfyui import FakeComfyUI  # noqa: E402
from fake_fal import FakeFal  # noqa: E402
from fake_google import FakeGoogle  # noqa: E402
from fake_openai import FakeOpenAI  # noqa: E402
from loopback import serve  # noqa: E402
from provider_env import FAL_KEY, GOOGLE_KEY, OPENAI_KEY  # noqa: E402

from vidpipe.config import Settings  # noqa: E402


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Provider tests run on SQLite only: the database is not what they exercise. Already
    migrated (a copy) when the test opens it through `settings`, as in tests/conftest.py."""
    if "settings" in request.fixturenames:
        request.getfixturevalue("migrated_databases").copy_sqlite(tmp_path / "vidpipe.db")
    return f"sqlite+aiosqlite:///{tmp_path / 'vidpipe.db'}"


@pytest.fixture
def google_fake(tmp_path: Path) -> Iterator[tuple[FakeGoogle, str]]:
    workdir = tmp_path / "fake-google"
    workdir.mkdir()
    fake = FakeGoogle(workdir, api_key=GOOGLE_KEY)
    with serve(fake.app()) as server:
        yield fake, server.url


@pytest.fixture
def openai_fake() -> Iterator[tuple[FakeOpenAI, str]]:
    fake = FakeOpenAI(api_key=OPENAI_KEY)
    with serve(fake.app()) as server:
        yield fake, server.url


@pytest.fixture
def comfyui_fake(tmp_path: Path) -> Iterator[tuple[FakeComfyUI, str]]:
    fake = FakeComfyUI(tmp_path / "fake-comfyui")
    with serve(fake.app()) as server:
        yield fake, server.url


@pytest.fixture
def fal_fake(tmp_path: Path) -> Iterator[tuple[FakeFal, str]]:
    workdir = tmp_path / "fake-fal"
    workdir.mkdir()
    fake = FakeFal(workdir, key=FAL_KEY)
    with serve(fake.app()) as server:
        fake.base_url = server.url
        yield fake, server.url


@pytest.fixture
def base_settings(tmp_path: Path) -> Settings:
    """Settings without a database, for provider-level tests."""
    return Settings(data_dir=tmp_path / "data")
