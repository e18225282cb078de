"""The options before the command (`vidpipe --data-dir DIR status ID`): they override the
environment for every command, which reads them through `settings_of(ctx)`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer


# no docstring: Typer would show it in place of the app's help
def root(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None, typer.Option(help="Data directory (VIDPIPE_DATA_DIR).", show_default=False)
    ] = None,
    database_url: Annotated[
        str | None, typer.Option(help="Database URL (VIDPIPE_DATABASE_URL).", show_default=False)
    ] = None,
) -> None:
    overrides: dict[str, Any] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    if database_url is not None:
        overrides["database_url"] = database_url
    ctx.obj = overrides


def register(app: typer.Typer) -> None:
    app.callback()(root)
