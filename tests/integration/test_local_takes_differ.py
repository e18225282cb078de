"""The offline provider varies takes by take number (camera path, grain): `--takes 3` makes three
different files, their fidelities differ, and the pick by fidelity selects the best one."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.config import Settings
from vidpipe.db.models import Take
from vidpipe.db.queries import load_project
from vidpipe.orchestrator import run_pipeline
from vidpipe.orchestrator.edits import Editor
from vidpipe.orchestrator.projects import GenerateOptions, create_project
from vidpipe.providers.registry import load_registry
from vidpipe.storage import ProjectStorage


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_local_takes_differ_and_the_fidelity_pick_is_not_a_tie(
    session: AsyncSession, settings: Settings
) -> None:
    options = GenerateOptions(
        prompt="a heron lifting off a misty lake", scenes=1, clip_duration=1, resolution="480p",
        takes=3,
    )  # fmt: skip
    project = await create_project(session, settings, options)
    project = await run_pipeline(session, project.id, settings=settings, registry=load_registry())
    storage = ProjectStorage(settings.projects_dir, project.id)
    takes = list(
        await session.scalars(
            select(Take).where(Take.project_id == project.id, Take.slot == "clip")
        )
    )
    assert sorted(t.number for t in takes) == [1, 2, 3]
    hashes = {sha(storage.resolve(t.file_path)) for t in takes}
    assert len(hashes) == 3  # three different files, not one file three times
    fidelities = [t.fidelity for t in takes]
    assert all(f is not None for f in fidelities) and len(set(fidelities)) == 3
    best = max(takes, key=lambda t: t.fidelity or 0.0)
    assert project.scenes[0].clip.take == best.number
    assert [t.number for t in takes if t.auto_selected] == [best.number]

    # a redo of two more takes: new files again
    await Editor(session, settings, load_registry()).redo(project.id, 1, "clip", None, 2)
    project = await run_pipeline(session, project.id, settings=settings, registry=load_registry())
    project = await load_project(session, project.id)
    again = list(
        await session.scalars(
            select(Take).where(Take.project_id == project.id, Take.slot == "clip")
        )
    )
    assert len({sha(storage.resolve(t.file_path)) for t in again}) == 5
