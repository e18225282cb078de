"""`vidpipe gc` and the pool of uploaded reference images (`POST /api/references`): an upload no
project uses is deleted once it is older than a day (`gc --dry-run` says how many such files it
found); a younger one may be about to be named, and one whose image a project uses is never
deleted, however old — nor is the project's own copy."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image
from processes import user_env
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.config import Settings
from vidpipe.orchestrator.garbage import collect_garbage
from vidpipe.orchestrator.projects import GenerateOptions, create_project, reference_specs
from vidpipe.orchestrator.references import UploadPool
from vidpipe.storage import ProjectStorage

TWO_DAYS = 2 * 24 * 3600


def png(colour: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 60), colour).save(buf, format="PNG")
    return buf.getvalue()


def upload(pool: UploadPool, colour: str, *, age: float = 0.0) -> Path:
    image = pool.add(png(colour))
    path = pool.root / f"{image.content_hash}.png"
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


async def test_gc_deletes_only_unused_uploads_older_than_a_day(
    session: AsyncSession, settings: Settings
) -> None:
    pool = UploadPool(settings.data_dir)
    used_old = upload(pool, "red", age=TWO_DAYS)
    unused_old = upload(pool, "blue", age=TWO_DAYS)
    unused_young = upload(pool, "green", age=3600)
    options = GenerateOptions.model_validate(
        {"prompt": "Mara rides", "references": [{"name": "Mara", "id": used_old.stem}]}
    )
    project = await create_project(
        session, settings, options, None, reference_specs(options, settings)
    )
    own_copy = ProjectStorage(settings.projects_dir, project.id).resolve(
        project.references[0].file_path
    )

    shown = subprocess.run(
        [sys.executable, "-m", "vidpipe", "--database-url", settings.database_url, "gc"]
        + ["--dry-run"],
        env=user_env(settings.data_dir),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines() == [
        str(unused_old),
        "would free 0.0 MB in 1 files (1 unused uploads)",
    ]
    dry = await collect_garbage(session, settings, dry_run=True)
    assert (dry.files, dry.uploads) == ([unused_old], 1)
    assert dry.bytes == len(png("blue"))
    assert unused_old.is_file()  # a dry run deletes nothing

    done = await collect_garbage(session, settings, dry_run=False)
    assert done.files == [unused_old] and done.as_dict()["uploads"] == 1
    assert not unused_old.exists()
    assert used_old.read_bytes() == png("red") and own_copy.read_bytes() == png("red")
    assert unused_young.read_bytes() == png("green")
    assert (await collect_garbage(session, settings, dry_run=True)).files == []


async def test_gc_deletes_music_uploads_older_than_a_day_the_project_keeping_its_copy(
    session: AsyncSession, settings: Settings
) -> None:
    from vidpipe.orchestrator.sound import MusicPool

    pool = MusicPool(settings.data_dir)
    data = (Path(__file__).resolve().parents[1] / "data" / "music_bed.mp3").read_bytes()
    music = pool.add(data, name="bed.mp3")
    named = music.path.with_suffix(".name")  # the name it was uploaded with, beside it
    assert named.read_text() == "bed.mp3"
    options = GenerateOptions.model_validate(
        {"prompt": "a lighthouse", "music": music.content_hash}
    )
    project = await create_project(session, settings, options, None, music=music)
    own = ProjectStorage(settings.projects_dir, project.id).resolve(
        project.sound_options["music"]  # type: ignore[index]
    )
    assert (await collect_garbage(session, settings, dry_run=True)).files == []  # young
    stamp = time.time() - TWO_DAYS
    for path in (music.path, named):
        os.utime(path, (stamp, stamp))
    done = await collect_garbage(session, settings, dry_run=False)
    assert (sorted(done.files), done.uploads) == (sorted([music.path, named]), 1)
    assert not music.path.exists() and not named.exists() and own.read_bytes() == data
    assert project.sound_options["music_name"] == "bed.mp3"  # type: ignore[index]
