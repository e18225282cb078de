"""`vidpipe doctor` says where a provider setting came from: the default, the environment,
vidpipe.toml, or a command-line option (it used to name the variable even when unset)."""

from __future__ import annotations

from pathlib import Path

import pytest

from vidpipe.cli.doctor import source_of
from vidpipe.config import Settings


@pytest.fixture
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("VIDPIPE_STORYBOARD_PROVIDER", "VIDPIPE_IMAGE_PROVIDER", "VIDPIPE_VIDEO_PROVIDER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_each_source_is_named_as_it_is(clean: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean / "vidpipe.toml").write_text('video_provider = "local"\n')
    monkeypatch.setenv("VIDPIPE_IMAGE_PROVIDER", "local")
    settings = Settings(data_dir=clean / "data")
    assert source_of(settings, "VIDPIPE_STORYBOARD_PROVIDER") == "the default"
    assert source_of(settings, "VIDPIPE_IMAGE_PROVIDER") == "set by VIDPIPE_IMAGE_PROVIDER"
    assert source_of(settings, "VIDPIPE_VIDEO_PROVIDER") == "set in vidpipe.toml"
    explicit = Settings(data_dir=clean / "data", storyboard_provider="local")
    assert source_of(explicit, "VIDPIPE_STORYBOARD_PROVIDER") == "set on the command line"


def test_the_environment_wins_over_the_file(clean: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean / "vidpipe.toml").write_text('video_provider = "local"\n')
    monkeypatch.setenv("VIDPIPE_VIDEO_PROVIDER", "local")
    settings = Settings(data_dir=clean / "data")
    assert source_of(settings, "VIDPIPE_VIDEO_PROVIDER") == "set by VIDPIPE_VIDEO_PROVIDER"
