"""Documentation must not drift: every setting and every command appears in the README."""

from pathlib import Path

import pytest
import typer.main

from vidpipe.cli.main import build_app
from vidpipe.config import known_setting_names
from vidpipe.docs_gen import all_settings

app = build_app()
README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
# every setting by name: the core ones and each provider's own (`google_api_key`)
SETTINGS = known_setting_names()


@pytest.mark.parametrize("name", sorted(SETTINGS))
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


def cli_options() -> set[str]:
    group = typer.main.get_command(app)
    options: set[str] = set()
    commands = list(group.commands.values())  # type: ignore[attr-defined]
    while commands:
        command = commands.pop()
        commands += list(getattr(command, "commands", {}).values())
        for param in command.params:
            options.update(o for o in param.opts if o.startswith("--"))
    return options


@pytest.mark.parametrize("option", sorted(cli_options()))
def test_every_command_option_is_documented(option: str) -> None:
    """Each command's options (e.g. `--takes`) appear in the README, not only in `--help`."""
    assert f"`{option}" in README or f" {option} " in README, option


def test_known_limits_name_no_option_that_exists() -> None:
    """A "known limit" that was fixed is a defect: none may call an existing option missing."""
    providers = (Path(__file__).resolve().parents[2] / "docs" / "providers.md").read_text()
    limits = providers.split("## Known limits", 1)[1].split("\n## ", 1)[0]
    existing = cli_options() | {f"VIDPIPE_{name.upper()}" for name in SETTINGS}
    assert "--max-cost" in existing  # the collection itself works
    for item in limits.split("\n- ")[1:]:
        says_missing = any(
            word in item.lower() for word in ("no option", "not yet", "has no option", "missing")
        )
        if says_missing:
            named = {name for name in existing if name in item}
            assert not named, f"known limit names existing {named}: {item[:80]}"


def global_options() -> list[str]:
    group = typer.main.get_command(app)
    return sorted(name for param in group.params for name in param.opts if name not in ("--help",))


@pytest.mark.parametrize("option", global_options())
def test_every_global_option_is_documented(option: str) -> None:
    assert option in README


def test_every_endpoint_is_in_the_readme_table() -> None:
    """Each operation of /openapi.json appears as `METHOD /api/...` (with `{id}`) in the README."""
    from vidpipe.api import create_app

    spelled = {"{project_id}": "{id}", "{position}": "{start\\|end}"}
    missing = []
    for path, operations in create_app().openapi()["paths"].items():
        for name, value in spelled.items():
            path = path.replace(name, value)
        named = [f"{method.upper()} {path}" for method in operations]
        missing += [operation for operation in named if operation not in README]
    assert not missing, missing


SCALE_OUT_SETTINGS = [
    name for name in SETTINGS if name.startswith(("worker_", "slot_", "execution"))
]


@pytest.mark.parametrize("name", [*SCALE_OUT_SETTINGS, "database_url", "data_dir"])
def test_the_deploy_guide_names_every_scale_out_setting(name: str) -> None:
    deploy = (Path(__file__).resolve().parents[2] / "docs" / "deploy.md").read_text()
    assert f"VIDPIPE_{name.upper()}" in deploy


def test_the_deploy_guide_shows_the_scale_out_commands() -> None:
    deploy = (Path(__file__).resolve().parents[2] / "docs" / "deploy.md").read_text()
    for command in ("vidpipe worker --concurrency", "vidpipe workers", "vidpipe serve", "--detach"):
        assert command in deploy
    assert {"execution", "worker_concurrency"} <= set(SCALE_OUT_SETTINGS)  # the filter works


def test_the_models_page_is_generated_from_the_catalog() -> None:
    """docs/models.md is `python -m vidpipe.providers.catalog`'s output for the catalog in the
    package (every provider's TOML file, so a new file's models appear by regenerating it)."""
    from vidpipe.providers.catalog import load_catalog, markdown

    page = (Path(__file__).resolve().parents[2] / "docs" / "models.md").read_text()
    assert page == markdown(), "docs/models.md is stale: run python -m vidpipe.providers.catalog"
    for entry in load_catalog().entries():
        assert f"`{entry.key}`" in page


def test_the_settings_table_is_generated_from_the_settings() -> None:
    """README's settings table is `python -m vidpipe.docs_gen`'s rendering of `Settings`: each
    field's env name, default and description, between the settings markers."""
    from vidpipe.docs_gen import END, START, readme_with_settings

    assert README.count(START) == 1 and README.count(END) == 1
    assert README == readme_with_settings(README), (
        "README.md's settings table is stale: run python -m vidpipe.docs_gen"
    )
    for name, field in all_settings():
        assert field.description, f"Settings.{name} has no description (the README shows it)"


def test_the_cli_reference_is_generated_from_the_typer_app() -> None:
    """docs/cli.md is `python -m vidpipe.docs_gen`'s rendering of the Typer app: every command,
    argument and option with its help and default."""
    from vidpipe.docs_gen import CLI_PAGE, cli_markdown

    page = CLI_PAGE.read_text()
    assert page == cli_markdown(), "docs/cli.md is stale: run python -m vidpipe.docs_gen"
    for name in command_names():
        assert f"`vidpipe {name}`" in page
    for option in cli_options():
        assert f"`{option}`" in page


def test_the_providers_page_settings_table_is_generated() -> None:
    """docs/providers.md's "Every setting" table is `python -m vidpipe.docs_gen`'s too."""
    from vidpipe.docs_gen import PROVIDERS_PAGE, providers_page_with_settings

    page = PROVIDERS_PAGE.read_text()
    assert page == providers_page_with_settings(page), (
        "docs/providers.md's settings table is stale: run python -m vidpipe.docs_gen"
    )
    assert "`VIDPIPE_FAL_VIDEO_MODEL`" in page and "`VIDPIPE_PROVIDER_RETRIES`" in page


def test_the_providers_page_names_only_settings_that_exist() -> None:
    """docs/providers.md is prose around the generated table: every `VIDPIPE_*` it names is a
    setting (a renamed or removed one would leave it advising a variable that does nothing)."""
    import re

    providers = (Path(__file__).resolve().parents[2] / "docs" / "providers.md").read_text()
    known = {f"VIDPIPE_{name.upper()}" for name in SETTINGS}
    named = set(re.findall(r"VIDPIPE_[A-Z0-9_]*[A-Z0-9]", providers))
    assert named and named <= known, sorted(named - known)
