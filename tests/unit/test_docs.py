"""Documentation must not drift: every setting and every command appears in the README."""

from pathlib import Path

import pytest
import typer.main

from vidpipe.cli.app import app
from vidpipe.config import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented(name: str) -> None:
    assert f"VIDPIPE_{name.upper()}" in README


def command_names() -> list[str]:
    group = typer.main.get_command(app)
    names = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        names += [f"{name} {sub}" for sub in subcommands] if subcommands else [name]
    return sorted(names)


@pytest.mark.parametrize("name", command_names())
def test_every_command_is_documented(name: str) -> None:
    assert f"vidpipe {name}" in README


def global_options() -> list[str]:
    group = typer.main.get_command(app)
    return sorted(name for param in group.params for name in param.opts if name not in ("--help",))


@pytest.mark.parametrize("option", global_options())
def test_every_global_option_is_documented(option: str) -> None:
    assert option in README
