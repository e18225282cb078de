"""`vidpipe config show`: the effective settings, secrets masked."""

from __future__ import annotations

import typer

from vidpipe.cli import views
from vidpipe.cli.runtime import print_json, stdout
from vidpipe.cli.shared import JsonFlag, settings_of

config_app = typer.Typer(help="Configuration.", no_args_is_help=True)


@config_app.command("show")
def config_show(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """Effective settings, secrets masked."""
    shown = settings_of(ctx).masked()
    if json_output:
        print_json(shown)
    else:
        views.show_settings(stdout, shown)


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")
