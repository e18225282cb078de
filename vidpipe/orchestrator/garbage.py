"""`vidpipe gc`: the one place that deletes artifact files.

A file under a project's keyframes/, clips/ or audio/ that no take, keyframe, clip or audio row of
that project points at (nor its music bed) is garbage (e.g. the takes of a deleted scene whose
rows went, a line spoken again after an edit, or a project removed from the database). So is a
joined picture (`output/picture-*.mp4`, the clips before the sound goes under them) other than
the one the selected clips make now: it is only ffmpeg's work, made again if a take comes back.
Running projects and files being written (temporary names) are left alone.

So is an uploaded reference image (`POST /api/references`, in `<data_dir>/uploads/references/`)
that no project uses (no reference of any project has its content hash) once it is older than a
day: younger ones may be about to be named in a `generate` or a storyboard edit. An uploaded
music bed (`POST /api/music`, `<data_dir>/uploads/music/`) goes once it is older than a day: a
project that names it keeps its own copy.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from vidpipe.config import Settings
from vidpipe.db.models import AudioArtifact, Keyframe, Project, Reference, Scene, Take, VideoClip
from vidpipe.orchestrator.leases import is_held
from vidpipe.orchestrator.references import UploadPool
from vidpipe.orchestrator.sound import NAME_SUFFIX, MusicPool
from vidpipe.pipeline.sound import picture_name
from vidpipe.pipeline.stitcher import picture_fingerprint
from vidpipe.storage import AUDIO, CLIPS, KEYFRAMES, OUTPUT, TEMP_MARK

UPLOAD_GRACE_SECONDS = 24 * 3600  # an upload unused for a day is garbage


@dataclass
class GarbageReport:
    """The files gc deletes (or would), and the bytes that frees: only files whose last link
    goes — a fork shares its original's files by hard link, so deleting one project's link to a
    file another project still uses frees nothing."""

    files: list[Path] = field(default_factory=list)
    deleted: bool = False
    uploads: int = 0  # of `files`: uploaded reference images no project uses, old music uploads
    _inodes: dict[tuple[int, int], list[int]] = field(default_factory=dict, repr=False)

    def add(self, path: Path) -> None:
        self.files.append(path)
        info = path.stat()
        entry = self._inodes.setdefault((info.st_dev, info.st_ino), [info.st_nlink, 0, 0])
        entry[1] += 1
        entry[2] = info.st_size

    @property
    def bytes(self) -> int:
        """Bytes freed: the size of each file all of whose links are among `files`."""
        return sum(size for links, listed, size in self._inodes.values() if listed >= links)

    @property
    def shared(self) -> int:
        """Of `files`: links to files another project still uses (deleting them frees nothing)."""
        return sum(listed for links, listed, _ in self._inodes.values() if listed < links)

    def as_dict(self) -> dict[str, object]:
        return {
            "files": [str(path) for path in self.files],
            "bytes": self.bytes,
            "shared": self.shared,
            "deleted": self.deleted,
            "uploads": self.uploads,
        }


async def referenced_files(session: AsyncSession) -> dict[str, set[str]]:
    """Relative paths each project's rows point at, by project id."""
    used: dict[str, set[str]] = defaultdict(set)
    for project_id, path in await session.execute(select(Take.project_id, Take.file_path)):
        used[str(project_id)].add(path)
    keyframes = select(Scene.project_id, Keyframe.file_path).join(Keyframe.scene)
    for project_id, path in await session.execute(keyframes):
        used[str(project_id)].add(path)
    clips = select(Scene.project_id, VideoClip.file_path).join(VideoClip.scene)
    for project_id, clip_path in await session.execute(clips):
        if clip_path:
            used[str(project_id)].add(clip_path)
    audio = select(AudioArtifact.project_id, AudioArtifact.file_path)
    for project_id, path in await session.execute(audio):
        used[str(project_id)].add(path)
    for project_id, options in await session.execute(select(Project.id, Project.sound_options)):
        if options and options.get("music"):
            used[str(project_id)].add(options["music"])
    return used


async def collect_garbage(
    session: AsyncSession, settings: Settings, *, dry_run: bool
) -> GarbageReport:
    used = await referenced_files(session)
    with_clips = selectinload(Project.scenes).selectinload(Scene.clip)
    projects = {str(p.id): p for p in await session.scalars(select(Project).options(with_clips))}
    report = GarbageReport(deleted=not dry_run)
    root = settings.projects_dir
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        if not folder.is_dir() or not _is_uuid(folder.name):
            continue
        project = projects.get(folder.name)
        if project is not None and is_held(project):
            continue
        for kind in (KEYFRAMES, CLIPS, AUDIO):
            for path in sorted((folder / kind).glob("*")):
                relative = f"{kind}/{path.name}"
                if not path.is_file() or TEMP_MARK in path.name:
                    continue
                if relative in used.get(folder.name, set()):
                    continue
                report.add(path)
        current = picture_name(picture_fingerprint(project)) if project is not None else None
        for path in sorted((folder / OUTPUT).glob("picture-*.mp4")):
            if path.is_file() and TEMP_MARK not in path.name and f"{OUTPUT}/{path.name}" != current:
                report.add(path)
    await _unused_uploads(session, settings, report)
    if not dry_run:
        for path in report.files:
            path.unlink(missing_ok=True)
    return report


async def _unused_uploads(session: AsyncSession, settings: Settings, report: GarbageReport) -> None:
    """Uploaded reference images no project uses, older than a day. A project keeps its own
    copy (`references/<hash>.<ext>` in its folder), so an upload is used while any reference
    row has its content hash: such a file is never deleted, however old."""
    used = set(await session.scalars(select(Reference.content_hash)))
    cutoff = time.time() - UPLOAD_GRACE_SECONDS
    # a music bed is copied into the project folder when it is named: none is kept for use
    for pool, kept in (
        (UploadPool(settings.data_dir).root, used),
        (MusicPool(settings.data_dir).root, set()),
    ):
        if not pool.is_dir():
            continue
        for path in sorted(pool.iterdir()):
            if not path.is_file() or path.name.split(".")[0] in kept:
                continue
            if path.stat().st_mtime > cutoff:
                continue
            report.add(path)
            if path.suffix != NAME_SUFFIX:  # a music upload's name goes with it, uncounted
                report.uploads += 1


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
