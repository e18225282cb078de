"""Reference images: checked by content, stored by content hash, named once per project.

Every check runs before anything is written: a missing file, a text file named `.png`, an image
over 20 MiB or 4096 px a side, or a name used twice is one line of BadInputError and no row, no
file. The CLI reads files (`NAME=PATH[::description]`); the API uploads them to a pool first
(`POST /api/references`, its id is the content hash) and names them when a project is made.
"""

from __future__ import annotations

import io
import os
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vidpipe.config import Settings
from vidpipe.db.models import Project, Reference, Scene
from vidpipe.errors import BadInputError
from vidpipe.orchestrator.texts import MAX_REFERENCES
from vidpipe.pipeline.fingerprints import bytes_hash
from vidpipe.storage import ProjectStorage

MIB = 1024 * 1024
MAX_BYTES = 20 * MIB
MAX_SIDE = 4096
MAX_DESCRIPTION = 1000
# Pillow's format name → (media type, file extension): decided by content, never by file name
FORMATS = {
    "PNG": ("image/png", "png"),
    "JPEG": ("image/jpeg", "jpg"),
    "WEBP": ("image/webp", "webp"),
}
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9 _'.-]{0,39}")
_ID = re.compile(r"[0-9a-f]{40}")
UPLOADS = "uploads/references"  # under the data directory: the pool of uploaded images


@dataclass(frozen=True)
class CheckedImage:
    """An image that decodes, of an accepted type and size; `content_hash` names it."""

    data: bytes
    media_type: str
    extension: str
    width: int
    height: int
    content_hash: str


@dataclass(frozen=True)
class ReferenceSpec:
    """A reference to add: a name, a checked image, an optional description."""

    name: str
    image: CheckedImage
    description: str | None = None


def check_image(data: bytes, label: str) -> CheckedImage:
    """Decode `data` fully; refuse what is not a PNG, JPEG or WebP within the limits."""
    from PIL import Image, UnidentifiedImageError  # only commands that take images need Pillow

    if len(data) > MAX_BYTES:
        raise BadInputError(
            f"{label}: {len(data) / MIB:.1f} MiB; reference images may be at most "
            f"{MAX_BYTES / MIB:.1f} MiB"
        )
    if not data:
        raise BadInputError(f"{label}: the file is empty, not an image")
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format or ""
            width, height = image.size
            if kind in FORMATS and max(width, height) <= MAX_SIDE:
                image.load()  # decodes every pixel: a truncated file fails here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise BadInputError(f"{label}: not a readable PNG, JPEG or WebP image") from None
    if kind not in FORMATS:
        raise BadInputError(f"{label}: a {kind or 'unknown'} image; use PNG, JPEG or WebP")
    if max(width, height) > MAX_SIDE:
        raise BadInputError(
            f"{label}: {width}×{height} px; reference images may be at most {MAX_SIDE} px a side"
        )
    media_type, extension = FORMATS[kind]
    return CheckedImage(data, media_type, extension, width, height, bytes_hash(data))


def _header(data: bytes, content_hash: str) -> CheckedImage | None:
    """An image that was fully checked when it was stored (its name is its content hash), known
    by its header alone: a project with twelve references does not decode twelve images again
    while a request waits. None when the header is not what a check would have passed."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, (width, height) = image.format or "", image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None
    if kind not in FORMATS or max(width, height) > MAX_SIDE or len(data) > MAX_BYTES:
        return None
    media_type, extension = FORMATS[kind]
    return CheckedImage(data, media_type, extension, width, height, content_hash)


def read_image(path: Path, label: str) -> CheckedImage:
    """A reference image from a file: missing, unreadable or too big is refused unread."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise BadInputError(f"{label}: {path} is not a file")
        if size > MAX_BYTES:
            raise BadInputError(
                f"{label}: {size / MIB:.1f} MiB; reference images may be at most "
                f"{MAX_BYTES / MIB:.1f} MiB"
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise BadInputError(f"{label}: no such file: {path}") from None
    except OSError as exc:
        raise BadInputError(f"{label}: cannot read {path}: {exc.strerror or exc}") from None
    return check_image(data, label)


NAME_RULE = "a letter, then up to 39 letters, digits, spaces or _'.-"


def check_name(name: str, label: str = "reference name") -> str:
    cleaned = name.strip()
    if not _NAME.fullmatch(cleaned):
        raise BadInputError(f"invalid {label} {name!r}: {NAME_RULE}")
    return cleaned


def parse_name(name: str, field: str) -> str:
    """A reference's name as a door's option gives it; a refusal carries `field`."""
    cleaned = name.strip()
    if not _NAME.fullmatch(cleaned):
        raise BadInputError(f"name {name!r}: {NAME_RULE}", field=field)
    return cleaned


def check_description(description: str | None) -> str | None:
    if description is None:
        return None
    cleaned = " ".join(description.split())
    if len(cleaned) > MAX_DESCRIPTION:
        raise BadInputError(f"reference description: at most {MAX_DESCRIPTION} characters")
    return cleaned or None


def parse_option(text: str, field: str = "references") -> ReferenceSpec:
    """`NAME=PATH[::description]`, checked (the file is read and decoded); a refusal carries
    `field` (the CLI's --reference is `references`, --add-reference `add_references`)."""
    name, sep, rest = text.partition("=")
    if not sep or not rest.strip():
        raise BadInputError(f"{text!r}: expected NAME=PATH[::description]", field=field)
    path_text, _, description = rest.partition("::")
    name = parse_name(name, field)
    try:
        image = read_image(Path(path_text.strip()).expanduser(), name)
        return ReferenceSpec(name, image, check_description(description or None))
    except BadInputError as exc:
        raise BadInputError(str(exc), field=field) from None


def check_unique(specs: list[ReferenceSpec], taken: Iterable[str] = ()) -> None:
    """Names are unique per project (compared without case: 'Mara' and 'mara' are one), and a
    project has at most MAX_REFERENCES of them (a scene may list them all: more would make a
    storyboard that no edit takes back)."""
    seen = {name.casefold() for name in taken}
    for spec in specs:
        if spec.name.casefold() in seen:
            raise BadInputError(f"duplicate reference name {spec.name!r}")
        seen.add(spec.name.casefold())
    if len(seen) > MAX_REFERENCES:
        raise BadInputError(
            f"{len(seen)} reference images; a project may have at most {MAX_REFERENCES}"
        )


def attach(project: Project, storage: ProjectStorage, spec: ReferenceSpec) -> Reference:
    """Store the image in the project folder under its content hash (once) and add the row."""
    relative = storage.reference_name(spec.image.content_hash, spec.image.extension)
    if not storage.resolve(relative).is_file():
        storage.write_bytes(relative, spec.image.data)
    reference = Reference(
        name=spec.name,
        file_path=relative,
        content_hash=spec.image.content_hash,
        media_type=spec.image.media_type,
        width=spec.image.width,
        height=spec.image.height,
        description=spec.description,
        description_source="user" if spec.description else None,
    )
    project.references.append(reference)
    return reference


def drop_from_scenes(scenes: list[Scene], names: set[str]) -> None:
    """A removed reference no longer appears in any scene."""
    for scene in scenes:
        kept = [name for name in scene.references or [] if name not in names]
        if kept != list(scene.references or []):
            scene.references = kept


def check_scene_names(scene_names: list[list[str]], known: set[str]) -> None:
    """Every name a storyboard lists must be one of the project's references."""
    for number, names in enumerate(scene_names, start=1):
        unknown = sorted(set(names) - known)
        if unknown:
            listed = ", ".join(sorted(known)) or "none"
            raise BadInputError(
                f"invalid storyboard at scenes.{number - 1}.references: unknown reference "
                f"{unknown[0]!r} (the project's references: {listed})"
            )


def reference_changes(
    project: Project, settings: Settings, uses: Sequence[Any]
) -> tuple[list[ReferenceSpec], list[str]]:
    """A whole new set of references (name, id, description) as additions and removals: a
    name kept with its id and description is left alone, one with another id or description is
    replaced, a new name added, a name left out removed. Ids are content hashes: the project's
    own images, or uploads."""
    pool = UploadPool(settings.data_dir)
    storage = ProjectStorage(settings.projects_dir, project.id)
    current = {ref.name: ref for ref in project.references}
    add: list[ReferenceSpec] = []
    remove: list[str] = []
    for use in uses:
        name = check_name(use.name)
        description = check_description(use.description)
        ref = current.get(name)
        if ref is not None and ref.content_hash == use.id and ref.description == description:
            continue
        if ref is not None:
            remove.append(name)
        own = next((r for r in project.references if r.content_hash == use.id), None)
        if own is not None:
            image = read_image(storage.resolve(own.file_path), f"reference {name}")
        else:
            image = pool.get(use.id, f"reference {name}")
        add.append(ReferenceSpec(name, image, description))
    check_unique(add, {n for n in current if n not in remove and n not in _names(add)})
    given = {check_name(use.name) for use in uses}
    remove += [name for name in current if name not in given]
    return add, remove


def _names(specs: Sequence[ReferenceSpec]) -> set[str]:
    return {spec.name for spec in specs}


class UploadPool:
    """Uploaded reference images waiting to be named in a project (POST /api/references).

    Stored once per content under the data directory; the id is the content hash, so the same
    upload twice is one file and one id."""

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir / UPLOADS

    def add(self, data: bytes, label: str = "file") -> CheckedImage:
        image = check_image(data, label)
        target = self.root / f"{image.content_hash}.{image.extension}"
        if not target.is_file():
            self.root.mkdir(parents=True, exist_ok=True)
            # unique per call: the same image may be stored by two threads at once
            tmp = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex}.part")
            tmp.write_bytes(image.data)
            os.replace(tmp, target)
        return image

    def get(self, upload_id: str, label: str) -> CheckedImage:
        """The checked image of an upload id; unknown ids are bad input."""
        if _ID.fullmatch(upload_id):
            for extension in ("png", "jpg", "webp"):
                path = self.root / f"{upload_id}.{extension}"
                if path.is_file():
                    data = path.read_bytes()
                    if bytes_hash(data) == upload_id:  # stored as checked: read its header only
                        return _header(data, upload_id) or check_image(data, label)
                    return check_image(data, label)
        raise BadInputError(f"{label}: no uploaded reference with id {upload_id!r}")
