"""The docs generator itself: what a cell shows, and that `--check` catches a stale file."""

from pathlib import Path

import pytest
from pydantic import AliasChoices, Field, SecretStr

from vidpipe import docs_gen


def test_a_secret_default_is_masked_and_unset_is_empty() -> None:
    assert docs_gen.default_text("x", Field(default=SecretStr("hunter2"))) == "`********`"
    assert docs_gen.default_text("x", Field(default=None)) == ""
    assert docs_gen.default_text("x", Field(default=False)) == "`0`"
    assert docs_gen.default_text("x", Field(default=1800.0)) == "`1800`"
    assert docs_gen.default_text("x", Field(default_factory=lambda: {"a": 1})) == '`{"a": 1}`'


def test_a_machine_dependent_default_shows_the_rule_not_this_machine() -> None:
    table = docs_gen.settings_markdown()
    assert str(Path.home()) not in table
    assert "`$XDG_DATA_HOME/vidpipe`" in table


def test_other_environment_names_of_a_field_are_shown() -> None:
    field = Field(
        default=None, validation_alias=AliasChoices("fal_key", "VIDPIPE_FAL_KEY", "FAL_KEY")
    )
    assert docs_gen.env_names("fal_key", field) == "`VIDPIPE_FAL_KEY` (or `FAL_KEY`)"


def test_a_pipe_in_a_description_does_not_break_the_table() -> None:
    assert docs_gen.cell("a | b\n c") == "a \\| b c"


def test_check_exits_1_on_a_stale_file_and_writing_fixes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        f"# x\n\nprose\n\n{docs_gen.START}\nold table\n{docs_gen.END}\n\nmore prose\n"
    )
    monkeypatch.setattr(docs_gen, "ROOT", tmp_path)
    monkeypatch.setattr(docs_gen, "README", readme)
    monkeypatch.setattr(docs_gen, "CLI_PAGE", tmp_path / "docs" / "cli.md")
    (tmp_path / "docs").mkdir()
    providers = tmp_path / "docs" / "providers.md"
    providers.write_text(f"# p\n\n{docs_gen.PROVIDERS_START}\n{docs_gen.PROVIDERS_END}\n")
    monkeypatch.setattr(docs_gen, "PROVIDERS_PAGE", providers)

    assert docs_gen.main(["--check"]) == 1
    assert "README.md is stale: run python -m vidpipe.docs_gen" in capsys.readouterr().err
    assert "old table" in readme.read_text()  # --check writes nothing

    assert docs_gen.main([]) == 0
    text = readme.read_text()
    assert text.startswith("# x\n\nprose\n\n") and text.endswith("\n\nmore prose\n")
    assert "old table" not in text and "`VIDPIPE_FPS` | `24` |" in text
    assert (tmp_path / "docs" / "cli.md").read_text() == docs_gen.cli_markdown()
    assert "`VIDPIPE_FAL_KEY` (or `FAL_KEY`)" in providers.read_text()
    assert docs_gen.main(["--check"]) == 0
