"""Which video models get dialogue and sound in their prompts, and in what form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from vidpipe.config import Settings
from vidpipe.providers import catalog
from vidpipe.providers.audio_prompt import audio_lines, with_audio
from vidpipe.providers.base import DialogueLine, VideoProvider
from vidpipe.providers.local import LocalVideoProvider


class _Options(BaseModel):
    model: str
    audio: bool = True


class _Catalogued(VideoProvider):
    provider_id = "acme"

    def __init__(self, settings: Settings, model: str, audio: bool = True) -> None:
        super().__init__(settings)
        self.options = _Options(model=model, audio=audio)

    async def submit(self, request: Any) -> str:  # pragma: no cover - never called
        raise NotImplementedError

    async def wait(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover
        raise NotImplementedError


def test_the_catalog_says_which_models_make_audio(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    entries = [
        catalog.ModelEntry(id="talkie", provider="acme", role="video", native_audio=True),
        catalog.ModelEntry(id="silent", provider="acme", role="video"),
    ]
    monkeypatch.setattr(catalog, "load_catalog", lambda: catalog.Catalog(entries))
    settings = Settings(data_dir=tmp_path)
    assert _Catalogued(settings, "talkie").makes_audio()
    assert not _Catalogued(settings, "talkie", audio=False).makes_audio()
    assert not _Catalogued(settings, "silent").makes_audio()
    assert not _Catalogued(settings, "not-catalogued").makes_audio()  # capabilities: no audio
    assert not LocalVideoProvider(settings).makes_audio()  # an ambient bed, not words


def test_the_veo_form_of_dialogue_and_sound() -> None:
    lines = [DialogueLine(speaker="Mara", line='Say "when"'), DialogueLine(speaker="Bo", line=" ")]
    assert audio_lines(lines, "") == ["Mara says: \"Say 'when'\""]
    assert audio_lines([], "rain on  the roof") == ["Ambient noise: rain on the roof"]
    assert audio_lines([], "SFX: a door slams. Ambient noise: wind") == [
        "SFX: a door slams. Ambient noise: wind"
    ]
    assert with_audio("pan left", [], "") == "pan left"
    assert with_audio("pan left", lines[:1], "hum") == (
        "pan left\nMara says: \"Say 'when'\"\nAmbient noise: hum"
    )
