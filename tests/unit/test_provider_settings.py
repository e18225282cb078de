"""Each provider declares its own settings; the names users set stay what they were.

A provider's part is read from VIDPIPE_<PROVIDER>_<FIELD>, from the `[provider]` table of
vidpipe.toml (or the old flat `provider_field` key), with explicit values over the environment
over the file over the defaults. A key vidpipe.toml has that no setting has is refused, naming
the closest one; a plugin declares its own settings the way the built-ins do.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar

import pytest
from processes import user_env
from pydantic import Field, SecretStr

from vidpipe.config import (
    ProviderSettings,
    Settings,
    UnknownSettingError,
    known_setting_names,
    unknown_environment,
)
from vidpipe.errors import BadInputError
from vidpipe.providers.base import Role
from vidpipe.providers.comfyui.settings import ComfyUISettings
from vidpipe.providers.fal.settings import FalSettings
from vidpipe.providers.google.settings import GoogleSettings
from vidpipe.providers.local import LocalVideoProvider
from vidpipe.providers.local.settings import LocalSettings
from vidpipe.providers.openai_settings import OpenAISettings
from vidpipe.providers.registry import (
    BUILTIN_PROVIDERS,
    ENTRY_POINT_GROUP,
    load_registry,
    provider_settings_classes,
)
from vidpipe.providers.sim_settings import SimSettings


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory of its own (vidpipe.toml is read from it)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_toml(folder: Path, text: str) -> None:
    (folder / "vidpipe.toml").write_text(text)


# ---------------------------------------------------------------- the names stay


# A sample of the names the README documented before the settings were split.
OLD_NAMES = {
    "VIDPIPE_GOOGLE_API_KEY": (GoogleSettings, "api_key"),
    "VIDPIPE_GOOGLE_VERTEXAI": (GoogleSettings, "vertexai"),
    "VIDPIPE_GOOGLE_VIDEO_MODEL": (GoogleSettings, "video_model"),
    "VIDPIPE_OPENAI_BASE_URL": (OpenAISettings, "base_url"),
    "VIDPIPE_OPENAI_MODEL": (OpenAISettings, "model"),
    "VIDPIPE_COMFYUI_URL": (ComfyUISettings, "url"),
    "VIDPIPE_COMFYUI_VIDEO_WORKFLOW": (ComfyUISettings, "video_workflow"),
    "VIDPIPE_FAL_KEY": (FalSettings, "key"),
    "VIDPIPE_FAL_VIDEO_MODEL": (FalSettings, "video_model"),
    "VIDPIPE_SIM_JITTER": (SimSettings, "jitter"),
    "VIDPIPE_LOCAL_AUDIO": (LocalSettings, "audio"),
}
ENV_VALUES = {"vertexai": "1", "jitter": "0.5", "audio": "1"}


@pytest.mark.parametrize("variable", sorted(OLD_NAMES))
def test_each_environment_name_still_sets_its_setting(
    here: Path, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    part, field = OLD_NAMES[variable]
    raw = ENV_VALUES.get(field, "http://value" if "url" in field else "value")
    monkeypatch.setenv(variable, raw)
    value = getattr(Settings().provider(part), field)
    shown = value.get_secret_value() if isinstance(value, SecretStr) else value
    assert str(shown) in (raw, "True", "0.5", "http://value")
    assert variable.removeprefix("VIDPIPE_").lower() in known_setting_names()
    assert Settings().is_set(variable.removeprefix("VIDPIPE_").lower())


def test_fal_also_reads_fals_own_variable_and_ours_wins(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAL_KEY", "theirs")
    assert Settings().provider(FalSettings).key == SecretStr("theirs")
    monkeypatch.setenv("VIDPIPE_FAL_KEY", "ours")
    assert Settings().provider(FalSettings).key == SecretStr("ours")


def test_secrets_stay_secret_and_show_masked_under_the_old_names(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIDPIPE_GOOGLE_API_KEY", "hunter2")
    monkeypatch.setenv("VIDPIPE_COMFYUI_API_KEY", "hunter3")
    settings = Settings()
    assert isinstance(settings.provider(GoogleSettings).api_key, SecretStr)
    shown = settings.masked()
    assert shown["google_api_key"] == shown["comfyui_api_key"] == "********"
    assert shown["fal_key"] is None and shown["openai_model"] == "gpt-4o-mini"
    assert shown["sim_latency"] == {"storyboard": 0.5, "image": 0.2, "video": 2.0}
    assert "hunter" not in str(shown)
    assert "google" not in shown  # flat names only, as before


def test_every_builtin_lists_its_settings_class_in_the_table() -> None:
    for name, builtin in BUILTIN_PROVIDERS.items():
        part = builtin.settings_class()
        assert part is not None and part.provider_id == name
        module = importlib.import_module(builtin.module)
        if hasattr(module, "SETTINGS"):  # packages export it beside PROVIDERS
            assert module.SETTINGS is part


# ---------------------------------------------------------------- vidpipe.toml and precedence


def test_a_provider_table_and_the_old_flat_keys_are_read(here: Path) -> None:
    write_toml(
        here,
        'google_api_key = "flat"\nsim_jitter = 0.3\n'
        '[google]\nvideo_model = "veo-2.0-generate-001"\nvertexai = true\n'
        '[fal]\nkey = "fal-from-file"\n',
    )
    settings = Settings()
    google = settings.provider(GoogleSettings)
    assert google.api_key == SecretStr("flat")
    assert (google.video_model, google.vertexai) == ("veo-2.0-generate-001", True)
    assert settings.provider(SimSettings).jitter == 0.3
    assert settings.provider(FalSettings).key == SecretStr("fal-from-file")
    assert settings.file.mentions("google_video_model") and settings.file.mentions("sim_jitter")
    assert not settings.file.mentions("google_voice")


def test_the_table_wins_over_a_flat_key(here: Path) -> None:
    write_toml(here, 'google_voice = "flat"\n[google]\nvoice = "table"\n')
    assert Settings().provider(GoogleSettings).voice == "table"


def test_precedence_explicit_over_environment_over_file_over_default(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_toml(here, '[openai]\nmodel = "file"\nvoice = "file"\nspeech_model = "file"\n')
    monkeypatch.setenv("VIDPIPE_OPENAI_MODEL", "env")
    monkeypatch.setenv("VIDPIPE_OPENAI_VOICE", "env")
    for settings in (
        Settings(openai_model="explicit"),  # by setting name
        Settings(openai={"model": "explicit"}),  # as a table
    ):
        openai = settings.provider(OpenAISettings)
        assert openai.model == "explicit"
        assert openai.voice == "env"
        assert openai.speech_model == "file"
        assert openai.json_mode == "auto"  # the default
        assert openai.base_url is None


def test_a_part_keeps_the_file_it_was_read_with(
    here: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Parts are built on first use; they read the file the Settings read, wherever the process
    has moved since."""
    write_toml(here, '[comfyui]\nurl = "http://from-the-file"\n')
    settings = Settings()
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    write_toml(elsewhere, '[comfyui]\nurl = "http://another-file"\n')
    monkeypatch.chdir(elsewhere)
    assert settings.provider(ComfyUISettings).url == "http://from-the-file"


def test_an_invalid_provider_value_is_bad_input_naming_the_variable(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIDPIPE_OPENAI_JSON_MODE", "yaml")
    settings = Settings()  # reading a project needs no provider settings
    with pytest.raises(BadInputError, match="VIDPIPE_OPENAI_JSON_MODE"):
        settings.provider(OpenAISettings)


def test_doctor_names_the_file_for_a_setting_in_a_provider_table(here: Path) -> None:
    from vidpipe.cli.doctor import source_of

    write_toml(here, '[google]\nvideo_model = "veo-2.0-generate-001"\n')
    settings = Settings()
    assert source_of(settings, "VIDPIPE_GOOGLE_VIDEO_MODEL") == "set in vidpipe.toml"
    assert source_of(settings, "VIDPIPE_GOOGLE_VOICE") == "the default"


def test_copies_change_provider_settings_by_name_and_leave_the_original(here: Path) -> None:
    settings = Settings(google_api_key="one")
    copy = settings.model_copy(update={"google_api_key": SecretStr("two"), "fps": 30})
    assert copy.provider(GoogleSettings).api_key == SecretStr("two") and copy.fps == 30
    assert settings.provider(GoogleSettings).api_key == SecretStr("one") and settings.fps == 24
    assert copy.get("google_api_key") == SecretStr("two") and copy.get("no_such") is None
    with pytest.raises(ValueError, match="gogle_api_key"):
        settings.model_copy(update={"gogle_api_key": "x"})


# ---------------------------------------------------------------- unknown keys


@pytest.mark.parametrize(
    ("text", "key", "closest"),
    [
        ('vide_provider = "local"\n', "vide_provider", "video_provider"),
        ('google_api_kye = "k"\n', "google_api_kye", "google_api_key"),
        ('[google]\napi_kye = "k"\n', "google.api_kye", "google.api_key"),
        ('[goggle]\napi_key = "k"\n', "goggle", "google"),
    ],
)
def test_an_unknown_key_is_refused_with_the_closest_name(
    here: Path, text: str, key: str, closest: str
) -> None:
    write_toml(here, text)
    with pytest.raises(UnknownSettingError) as refused:
        Settings()
    message = str(refused.value)
    assert "\n" not in message
    assert "vidpipe.toml" in message and repr(key) in message and repr(closest) in message


def test_a_provider_name_must_be_a_table(here: Path) -> None:
    write_toml(here, 'google = "yes"\n')
    with pytest.raises(UnknownSettingError, match=r"\[google\]"):
        Settings()


@pytest.mark.parametrize(
    "command", [["generate", "a lighthouse", "--yes"], ["serve", "--port", "0"]], ids=str
)
def test_the_cli_and_the_server_refuse_an_unknown_key_with_exit_2_and_write_nothing(
    tmp_path: Path, command: list[str]
) -> None:
    data_dir = tmp_path / "data"
    write_toml(tmp_path, 'fps = 30\nvideo_provder = "local"\n')
    done = subprocess.run(
        [sys.executable, "-m", "vidpipe", *command],
        cwd=tmp_path,
        env=user_env(data_dir),
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "vidpipe.toml" in lines[0] and "'video_provder'" in lines[0]
    assert "'video_provider'" in lines[0]
    assert not data_dir.exists()  # no database, no project


def test_unknown_environment_names_are_a_warning_naming_the_closest() -> None:
    lines = unknown_environment(
        {
            "VIDPIPE_GOOGLE_API_KYE": "k",
            "VIDPIPE_TEST_POSTGRES_URL": "postgresql+asyncpg://x/y",  # the test suite's
            "VIDPIPE_NO_PLUGINS": "1",  # the registry's
            "VIDPIPE_FAL_KEY": "k",
            "VIDPIPE_FPS": "30",
            "PATH": "/bin",
        }
    )
    assert lines == [
        "VIDPIPE_GOOGLE_API_KYE is not a vidpipe setting; did you mean VIDPIPE_GOOGLE_API_KEY?"
    ]


# ---------------------------------------------------------------- a plugin's own settings


class AcmeSettings(ProviderSettings):
    """What a third-party provider declares: its id and fields, nothing in vidpipe's core."""

    provider_id: ClassVar[str] = "acme"

    token: SecretStr | None = Field(default=None, description="Acme API token.")
    speed: float = Field(default=1.0, gt=0, description="How fast Acme paints.")


class AcmeVideo(LocalVideoProvider):
    provider_id = "acme"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.speed = settings.provider(AcmeSettings).speed


@pytest.fixture
def acme_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    """The `acme` plugin, installed for this test: a module with PROVIDERS and SETTINGS under
    the entry-point group."""
    module = SimpleNamespace(PROVIDERS=[AcmeVideo], SETTINGS=AcmeSettings)
    entry = SimpleNamespace(name="acme", load=lambda: module)

    def entry_points(*, group: str) -> list[SimpleNamespace]:
        return [entry] if group == ENTRY_POINT_GROUP else []

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    monkeypatch.delenv("VIDPIPE_NO_PLUGINS")


def test_a_plugin_declares_its_own_settings(
    here: Path, monkeypatch: pytest.MonkeyPatch, acme_plugin: None
) -> None:
    write_toml(here, "[acme]\nspeed = 2.5\n")
    monkeypatch.setenv("VIDPIPE_ACME_TOKEN", "acme-secret")
    settings = Settings(data_dir=here / "data")
    acme = settings.provider(AcmeSettings)
    assert acme.speed == 2.5 and acme.token == SecretStr("acme-secret")
    assert settings.provider("acme") is acme
    assert AcmeSettings in provider_settings_classes()
    shown = settings.masked()
    assert shown["acme_speed"] == 2.5 and shown["acme_token"] == "********"
    assert unknown_environment({"VIDPIPE_ACME_TOKEN": "x"}) == []
    video = load_registry().get(Role.VIDEO, "acme")(settings)
    assert isinstance(video, AcmeVideo) and video.speed == 2.5
    assert Settings(acme_speed=4.0).provider(AcmeSettings).speed == 4.0  # explicit, by name


def test_a_plugins_table_is_checked_like_a_builtins(here: Path, acme_plugin: None) -> None:
    write_toml(here, "[acme]\nsped = 2.5\n")
    with pytest.raises(UnknownSettingError, match=r"'acme\.sped'.*'acme\.speed'"):
        Settings()


def test_without_the_plugin_its_table_is_unknown(here: Path) -> None:
    write_toml(here, "[acme]\nspeed = 2.5\n")
    with pytest.raises(UnknownSettingError, match="'acme'"):
        Settings()
