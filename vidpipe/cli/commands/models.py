"""`vidpipe models`: the model catalog (what `GET /api/models` serves), as a table or JSON."""

from __future__ import annotations

from typing import Annotated

import typer

from vidpipe.cli.runtime import EXIT_BAD_INPUT, EXIT_OK, fail, print_json, stdout
from vidpipe.cli.shared import Commands, JsonFlag

commands = Commands()


@commands.command()
def models(
    role: Annotated[str | None, typer.Option("--role", help="storyboard, image or video.")] = None,
    provider: Annotated[
        str | None, typer.Option("--provider", help="Only this provider's models (e.g. google).")
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """The models vidpipe can drive: id, status (shut-down ones with the replacement), price."""
    from rich.table import Table

    from vidpipe.providers.catalog import (
        capabilities_text,
        load_catalog,
        price_text,
        status_text,
    )

    catalog = load_catalog()
    if role is not None and role not in ("storyboard", "image", "video", "narration"):
        raise fail(f"invalid --role: {role}; roles: storyboard, image, video", EXIT_BAD_INPUT)
    if provider is not None and provider not in catalog.providers():
        known = ", ".join(catalog.providers())
        raise fail(f"invalid --provider: {provider}; known: {known}", EXIT_BAD_INPUT)
    if json_output:
        from vidpipe.documents import ModelsDocument

        entries = catalog.entries(role=role, provider=provider)
        print_json(ModelsDocument.of(entries).model_dump(mode="json"))
        raise typer.Exit(EXIT_OK)
    table = Table("model", "role", "status", "price", "capabilities", box=None)
    for entry in catalog.entries(role=role, provider=provider):
        table.add_row(
            entry.key, entry.role, status_text(entry), price_text(entry), capabilities_text(entry)
        )
    stdout.print(table)
