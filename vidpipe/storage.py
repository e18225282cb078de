"""Artifact paths for a project and the one place that writes artifacts.

Every artifact is written under a temporary name in its final folder, fsynced, then renamed into
place, before any row pointing at it commits. A reader never sees a partial file under a final name.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

KEYFRAMES = "keyframes"
CLIPS = "clips"
OUTPUT = "output"
REFERENCES = "references"
AUDIO = "audio"  # spoken lines, mixes and the music bed (vidpipe.pipeline.sound)
FINAL_NAME = "final.mp4"
TEMP_MARK = ".part-"
SCRATCH = ".scratch"  # work folders of tools (e.g. the stitcher); wiped at every run start


class ProjectStorage:
    """Folder layout: <data_dir>/projects/<id>/{keyframes,clips,output}/."""

    def __init__(self, projects_dir: Path, project_id: uuid.UUID) -> None:
        self.root = projects_dir / str(project_id)

    def ensure_dirs(self) -> None:
        for name in (KEYFRAMES, CLIPS, OUTPUT):
            (self.root / name).mkdir(parents=True, exist_ok=True)

    # Paths are stored relative to the project folder, so a data directory can move.
    # Take 1 keeps the plain name; later takes sit beside it (files are never overwritten).
    @staticmethod
    def keyframe_name(scene_index: int, position: str, take: int = 1) -> str:
        return f"{KEYFRAMES}/scene_{scene_index:02d}_{position}{_take_suffix(take)}.png"

    @staticmethod
    def clip_name(scene_index: int, take: int = 1) -> str:
        return f"{CLIPS}/scene_{scene_index:02d}{_take_suffix(take)}.mp4"

    @staticmethod
    def reference_name(content_hash: str, extension: str) -> str:
        """Reference images by content hash: the same picture is one file."""
        return f"{REFERENCES}/{content_hash}.{extension}"

    @staticmethod
    def final_name() -> str:
        return f"{OUTPUT}/{FINAL_NAME}"

    def resolve(self, relative: str) -> Path:
        """Absolute path of a stored relative path; refuses anything outside the project folder."""
        root = self.root.resolve()
        path = (root / relative).resolve()
        if not path.is_relative_to(root):
            raise ValueError(f"path {relative!r} leaves the project folder")
        return path

    def write_bytes(self, relative: str, data: bytes) -> Path:
        with self.atomic_path(relative) as tmp:
            tmp.write_bytes(data)
        return self.resolve(relative)

    def temporary_path(self, relative: str) -> Path:
        """A unique temporary name beside the target, for a writer to fill and `publish`."""
        target = self.resolve(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target.with_name(f"{target.stem}{TEMP_MARK}{uuid.uuid4().hex[:8]}{target.suffix}")

    def publish(self, tmp: Path, relative: str) -> Path:
        """fsync the finished temporary file and rename it into place."""
        target = self.resolve(relative)
        _fsync_file(tmp)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
        return target

    @contextlib.contextmanager
    def atomic_path(self, relative: str) -> Iterator[Path]:
        """Yield a temporary path; on clean exit publish it, on error remove it."""
        tmp = self.temporary_path(relative)
        try:
            yield tmp
            self.publish(tmp, relative)
        finally:
            tmp.unlink(missing_ok=True)

    @property
    def scratch_dir(self) -> Path:
        path = self.root / SCRATCH
        path.mkdir(parents=True, exist_ok=True)
        return path

    def remove_temporaries(self) -> int:
        """Delete leftovers of writes a crash interrupted; they are never referenced by a row."""
        removed = 0
        shutil.rmtree(self.root / SCRATCH, ignore_errors=True)
        if self.root.exists():
            for path in self.root.rglob(f"*{TEMP_MARK}*"):
                path.unlink(missing_ok=True)
                removed += 1
        return removed


def _take_suffix(take: int) -> str:
    return "" if take <= 1 else f".t{take}"


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def image_is_usable(path: Path) -> bool:
    """An image file that exists and decodes; a row pointing at anything else counts as not done."""
    from PIL import Image, UnidentifiedImageError  # here: listing projects needs no decoder

    try:
        stat = path.stat()
        known = (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if known in _USABLE:
            return True
        with Image.open(path) as image:
            image.verify()
        if len(_USABLE) >= _USABLE_MAX:
            _USABLE.clear()
        _USABLE.add(known)
        return True
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError):
        return False


# Images found usable, by path, inode, size and modification time: a keyframe is never rewritten
# in place (a new take is a new file), so a plan (made on every view of the review screen) need
# not decode each frame again.
_USABLE: set[tuple[str, int, int, int]] = set()
_USABLE_MAX = 4096
