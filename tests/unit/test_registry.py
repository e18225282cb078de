"""The provider registry: built-ins by a static table, imported on first use; plugins on demand."""

from __future__ import annotations

import importlib
import importlib.metadata
from pathlib import Path
from types import SimpleNamespace

import pytest

from vidpipe.config import Settings
from vidpipe.errors import BadInputError
from vidpipe.providers.base import Role
from vidpipe.providers.local import LocalImageProvider, LocalVideoProvider
from vidpipe.providers.registry import (
    BUILTIN_PROVIDERS,
    ENTRY_POINT_GROUP,
    BuiltIn,
    ProviderRegistry,
    load_registry,
)
from vidpipe.providers.sim import SimVideoProvider


class PluginVideo(LocalVideoProvider):
    provider_id = "plugin-video"


class ImpostorVideo(LocalVideoProvider):
    provider_id = "local"  # a plugin trying to take a built-in's name


@pytest.mark.parametrize("name", sorted(BUILTIN_PROVIDERS))
def test_builtin_table_matches_each_module(name: str) -> None:
    builtin = BUILTIN_PROVIDERS[name]
    classes = importlib.import_module(builtin.module).PROVIDERS
    assert {cls.provider_id for cls in classes} == {name}
    assert tuple(cls.role for cls in classes) == builtin.roles


def test_names_come_from_the_table_without_importing() -> None:
    registry = ProviderRegistry({"ghost": BuiltIn("no.such.module", (Role.VIDEO,))})
    assert registry.names(Role.VIDEO) == ["ghost"]
    assert registry.names(Role.IMAGE) == []
    with pytest.raises(ModuleNotFoundError):
        registry.get(Role.VIDEO, "ghost")  # only asking for it imports the module


def test_get_imports_only_the_named_builtin(tmp_path: Path) -> None:
    registry = ProviderRegistry(
        {
            "local": BUILTIN_PROVIDERS["local"],
            "broken": BuiltIn("no.such.module", (Role.IMAGE, Role.VIDEO)),
        }
    )
    providers = registry.build(Settings(data_dir=tmp_path), "local", "local", "local")
    assert isinstance(providers.video, LocalVideoProvider)
    assert registry.get(Role.IMAGE, "local") is LocalImageProvider


def test_unknown_name_lists_what_fills_the_role(tmp_path: Path) -> None:
    registry = load_registry(plugins=False)
    with pytest.raises(BadInputError) as caught:
        registry.get(Role.VIDEO, "nope")
    assert "known: comfyui, fal, google, local, sim" in str(caught.value)
    assert "VIDPIPE_VIDEO_PROVIDER" in str(caught.value)
    with pytest.raises(BadInputError, match="unknown storyboard provider 'comfyui'"):
        registry.get(Role.STORYBOARD, "comfyui")  # a built-in, but not for this role


def test_an_explicit_registration_wins_over_the_builtin() -> None:
    class FakeLocal(LocalVideoProvider):
        provider_id = "local"

    registry = load_registry(plugins=False)
    registry.register(FakeLocal)
    assert registry.get(Role.VIDEO, "local") is FakeLocal
    assert registry.get(Role.IMAGE, "local") is LocalImageProvider  # the rest still load
    assert registry.get(Role.VIDEO, "sim") is SimVideoProvider


def fake_entry_points(monkeypatch: pytest.MonkeyPatch, loaded: list[str]) -> None:
    def load() -> object:
        loaded.append("plugin")
        return SimpleNamespace(PROVIDERS=[PluginVideo, ImpostorVideo])

    entry = SimpleNamespace(name="example", load=load)

    def entry_points(*, group: str) -> list[SimpleNamespace]:
        return [entry] if group == ENTRY_POINT_GROUP else []

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)


def test_plugins_load_only_for_a_name_that_is_not_builtin(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded: list[str] = []
    fake_entry_points(monkeypatch, loaded)
    registry = load_registry(plugins=True)
    assert registry.get(Role.VIDEO, "local") is LocalVideoProvider
    assert loaded == []
    assert registry.get(Role.VIDEO, "plugin-video") is PluginVideo
    assert registry.get(Role.VIDEO, "local") is LocalVideoProvider  # not the impostor
    assert "plugin-video" in registry.names(Role.VIDEO)
    assert loaded == ["plugin"]  # once


def test_listing_loads_plugins_and_no_plugins_means_none(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded: list[str] = []
    fake_entry_points(monkeypatch, loaded)
    assert "plugin-video" in load_registry(plugins=True).names(Role.VIDEO)
    monkeypatch.setenv("VIDPIPE_NO_PLUGINS", "1")
    registry = load_registry()
    assert "plugin-video" not in registry.names(Role.VIDEO)
    with pytest.raises(BadInputError):
        registry.get(Role.VIDEO, "plugin-video")
    assert loaded == ["plugin"]
