"""The reference images of the New video form: rows of name, image and
description, posted with the form as multipart.

Each chosen file goes through the very function `POST /api/references` runs
(api/routes/references.receive: the same checks, the same upload pool, the same 422 message), and
the rows become the `references` list `POST /api/generate` takes. An accepted upload is kept
across a refused form as its id (a hidden field), so a person fixes the one field that was
wrong without choosing every file again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi.exceptions import RequestValidationError
from starlette.datastructures import UploadFile

from vidpipe.config import Settings
from vidpipe.errors import BadInputError
from vidpipe.orchestrator.references import UploadPool, check_description, check_name

MAX_ROWS = 12  # GenerateOptions.references' max_length
DUPLICATE = "duplicate reference name"


@dataclass
class Row:
    """One reference as the form shows it: what was typed, the kept upload, its field errors."""

    name: str = ""
    description: str = ""
    id: str = ""  # the upload's id (content hash) once its file was accepted
    about: str = ""  # e.g. "PNG, 64×48 px", shown next to a kept upload
    errors: dict[str, str] = field(default_factory=dict)

    def use(self) -> dict[str, Any]:
        """As `POST /api/generate` takes it (ReferenceUse)."""
        return {"name": self.name, "id": self.id, "description": self.description or None}


def describe(media_type: str, width: int, height: int) -> str:
    return f"{media_type.removeprefix('image/').upper()}, {width}×{height} px"


def message(exc: RequestValidationError) -> str:
    return "; ".join(str(error.get("msg", "invalid")) for error in exc.errors())


async def read_rows(
    settings: Settings, fields: dict[str, str], files: dict[str, UploadFile]
) -> list[Row]:
    """The filled rows, in order, each file uploaded (or refused) and each name checked."""
    pool = UploadPool(settings.data_dir)
    rows = []
    for index in range(MAX_ROWS):
        prefix = f"references-{index}-"
        row = Row(
            name=fields.get(f"{prefix}name", "").strip(),
            description=fields.get(f"{prefix}description", "").strip(),
        )
        kept = fields.get(f"{prefix}id", "").strip()
        upload = files.get(f"{prefix}file")
        chosen = upload is not None and bool(upload.filename)
        if not (row.name or row.description or kept or chosen):
            continue  # a blank row: no reference
        if chosen:
            assert upload is not None
            from vidpipe.api.routes.references import receive  # POST /api/references' own path

            try:
                stored = await receive(settings, upload)
            except RequestValidationError as exc:
                row.errors["file"] = message(exc)
            else:
                row.id = stored.id
                row.about = describe(stored.media_type, stored.width, stored.height)
        elif kept:
            try:
                image = pool.get(kept, "file")
            except BadInputError:
                row.errors["file"] = "choose the image again"
            else:
                row.id, row.about = kept, describe(image.media_type, image.width, image.height)
        else:
            row.errors["file"] = "choose an image (PNG, JPEG or WebP)"
        if not row.name:
            row.errors["name"] = "a name is needed (e.g. Mara)"
        else:
            try:
                check_name(row.name)
            except BadInputError as exc:
                row.errors["name"] = str(exc)
        try:
            check_description(row.description or None)
        except BadInputError as exc:
            row.errors["description"] = str(exc).removeprefix("reference description: ")
        rows.append(row)
    return rows


def place_errors(rows: list[Row], errors: list[Any]) -> list[Any]:
    """Put generate's 422 errors about references next to their row's field; returns the rest.

    A field of one reference comes back at `references.N.field`; a duplicate name as a rule
    over all of them (its message names it), shown at each later row that repeats a name."""
    rest = []
    for error in errors:
        location = [part for part in error.get("loc", ()) if part not in ("body", "query")]
        text = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        if location[:1] == ["references"] and len(location) >= 3 and location[1] < len(rows):
            rows[location[1]].errors.setdefault(str(location[2]), text)
        elif text.startswith(DUPLICATE):
            seen: set[str] = set()
            for row in rows:
                if row.name.casefold() in seen:
                    row.errors.setdefault("name", "another reference has this name")
                seen.add(row.name.casefold())
        else:
            rest.append(error)
    return rest
