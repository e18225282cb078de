"""Precedence: explicit value > VIDPIPE_* environment > vidpipe.toml > default."""

from pathlib import Path

import pytest

from vidpipe.config import Settings


def test_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("vidpipe.toml").write_text('video_provider = "toml"\nimage_provider = "toml"\nfps = 30\n')
    monkeypatch.setenv("VIDPIPE_IMAGE_PROVIDER", "env")
    monkeypatch.setenv("VIDPIPE_VIDEO_PROVIDER", "env")
    settings = Settings(video_provider="flag")
    assert settings.video_provider == "flag"
    assert settings.image_provider == "env"
    assert settings.fps == 30
    assert settings.storyboard_provider == "local"


def test_required_names_exist_and_secrets_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    names = {
        "VIDPIPE_DATA_DIR": "/tmp/x",
        "VIDPIPE_DATABASE_URL": "postgresql+asyncpg://u:hunter2@h/db",
        "VIDPIPE_FFMPEG": "/usr/bin/ffmpeg",
        "VIDPIPE_STORYBOARD_PROVIDER": "a",
        "VIDPIPE_IMAGE_PROVIDER": "b",
        "VIDPIPE_VIDEO_PROVIDER": "c",
        "VIDPIPE_GOOGLE_BASE_URL": "http://g",
        "VIDPIPE_OPENAI_BASE_URL": "http://o",
        "VIDPIPE_COMFYUI_URL": "http://c",
        "VIDPIPE_GOOGLE_API_KEY": "secret-key",
        "VIDPIPE_API_TOKEN": "secret-token",
    }
    for name, value in names.items():
        monkeypatch.setenv(name, value)
    shown = Settings().masked()
    assert shown["data_dir"] == "/tmp/x" and shown["ffmpeg"] == "/usr/bin/ffmpeg"
    assert (shown["storyboard_provider"], shown["image_provider"], shown["video_provider"]) == (
        "a", "b", "c",
    )  # fmt: skip
    assert shown["comfyui_url"] == "http://c"
    assert "hunter2" not in str(shown) and "secret" not in str(shown)
    assert shown["google_api_key"] == "********"


def test_default_database_lives_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{tmp_path / 'vidpipe.db'}"
