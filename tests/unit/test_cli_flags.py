"""Only the CLI speaks in flags and commands: an error below it carries a field and next steps as
data; `flagged` shows the field as the flag and each step as the command to type, while the
error's own text (what the API and the page show) says both in words."""

from __future__ import annotations

import pytest

from vidpipe.cli.edit_options import parse_edits
from vidpipe.cli.flags import command_of, flagged
from vidpipe.errors import GuidedError, NextStep

PROJECT = "0f3c"


@pytest.mark.parametrize(
    ("step", "words", "command"),
    [
        (NextStep("select", PROJECT, 2, "end", 3), "select take 3 of scene 2's end frame",
         "vidpipe select 0f3c --scene 2 --end-frame --take 3"),
        (NextStep("select", PROJECT, 1, "clip", 2), "select take 2 of scene 1's clip",
         "vidpipe select 0f3c --scene 1 --take 2"),
        (NextStep("redo", PROJECT, 4), "redo scene 4's clip", "vidpipe redo 0f3c --scene 4 --clip"),
        (NextStep("redo", PROJECT, 1, "end"), "redo scene 1's end frame",
         "vidpipe redo 0f3c --scene 1 --end-frame"),
        (NextStep("edit", PROJECT, clip_duration=1.5), "set the clip duration back to 1.5 s",
         "vidpipe edit 0f3c --clip-duration 1.5"),
        (NextStep("force", PROJECT), "by forcing the selection", "with --force"),
        (NextStep("stitch", PROJECT), "stitch", "vidpipe stitch 0f3c"),
    ],
)  # fmt: skip
def test_a_next_step_in_words_and_as_a_command(step: NextStep, words: str, command: str) -> None:
    assert step.words() == words
    assert command_of(step) == command


def test_a_guided_refusal_reads_in_words_and_the_cli_gives_the_commands() -> None:
    refused = GuidedError("it does not fit; ", NextStep("redo", PROJECT, 2), "; or keep it")
    assert str(refused) == "it does not fit; redo scene 2's clip; or keep it"
    assert flagged(refused) == "it does not fit; vidpipe redo 0f3c --scene 2 --clip; or keep it"


def test_edit_options_name_the_flag_of_a_bad_value(capsys: pytest.CaptureFixture[str]) -> None:
    from typer import Exit

    with pytest.raises(Exit) as exited:
        parse_edits(crossfade=-1.0)
    assert exited.value.exit_code == 2
    assert "error: invalid --crossfade: Input should be greater than or equal to 0" in (
        capsys.readouterr().err
    )


def test_edit_and_fork_take_their_shared_options_from_one_list() -> None:
    """`edit` and `fork` get the same options, in the same order, from edit_options.SHARED_OPTIONS
    (one list, so the two commands cannot drift apart); each keeps its own after them."""
    import typer

    from vidpipe.cli.edit_options import SHARED_OPTIONS
    from vidpipe.cli.main import build_app

    group = typer.main.get_command(build_app())
    commands = group.commands  # type: ignore[attr-defined]
    shared = list(SHARED_OPTIONS)
    for name, own in (("edit", ["subtitles", "music", "loudness"]), ("fork", ["yes"])):
        params = [p.name for p in commands[name].params]
        assert params[: len(shared) + 1] == ["project", *shared], name
        assert params[len(shared) + 1 : len(shared) + 1 + len(own)] == own, name
