"""Selecting keyframe takes: going back to an older end frame re-selects the frames and
clips already made from it (nothing is paid for twice, nothing deleted); where none was made
from the frames now in use, they are stale and the plan says so."""

from __future__ import annotations

import uuid

import pytest
from processes import artifacts
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.config import Settings
from vidpipe.db.models import ProviderCall
from vidpipe.db.queries import load_project
from vidpipe.errors import BadInputError
from vidpipe.media.frames import psnr, read_frames_at
from vidpipe.orchestrator import run_pipeline
from vidpipe.orchestrator.edits import Editor, SceneEdit
from vidpipe.orchestrator.pipeline import plan_project, restitch_project
from vidpipe.orchestrator.projects import GenerateOptions, create_project
from vidpipe.providers.registry import load_registry
from vidpipe.storage import ProjectStorage

# the smallest picture: rendering is not the subject
TWO = {"scenes": 2, "clip_duration": 1.0, "resolution": "360p"}


@pytest.fixture
def database_url(sqlite_database_url: str) -> str:
    """SQLite only: selection is row and file logic, the same on both databases."""
    return sqlite_database_url


async def attempts(session: AsyncSession, project_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count()).select_from(ProviderCall).where(ProviderCall.project_id == project_id)
    )
    return int(count or 0)


def chosen(project: object) -> list[tuple[str, int]]:
    """(slot, take) of every generated keyframe and clip, in chain order."""
    rows: list[tuple[str, int]] = []
    for scene in project.scenes:  # type: ignore[attr-defined]
        for keyframe in sorted(scene.keyframes, key=lambda k: k.position != "start"):
            if keyframe.source == "generated":
                rows.append((f"{scene.scene_index + 1}:{keyframe.position}", keyframe.take))
        rows.append((f"{scene.scene_index + 1}:clip", scene.clip.take))
    return rows


async def test_selecting_an_older_end_frame_restores_or_marks_stale_and_deletes_nothing(
    session: AsyncSession, settings: Settings
) -> None:
    options = GenerateOptions.model_validate({"prompt": "a kite over green hills", **TWO})
    project_id = (await create_project(session, settings, options)).id
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    storage = ProjectStorage(settings.projects_dir, project_id)
    original = read_frames_at(storage.resolve(project.output_path or ""), [0, 12, -1])
    editor = Editor(session, settings, load_registry())

    # a new end frame for scene 1: everything after it is redrawn and re-animated (take 2)
    await editor.redo(project_id, 1, "end", "at night")
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert chosen(project) == [
        ("1:start", 1), ("1:end", 2), ("1:clip", 2), ("2:end", 2), ("2:clip", 2),
    ]  # fmt: skip
    files, paid = artifacts(storage.root), await attempts(session, project_id)

    # back to end-frame take 1: the frame and clips made from it are selected again
    project = await editor.select(project_id, 1, 1, "end")
    assert chosen(project) == [
        ("1:start", 1), ("1:end", 1), ("1:clip", 1), ("2:end", 1), ("2:clip", 1),
    ]  # fmt: skip
    assert project.scenes[1].keyframes[0].file_path == project.scenes[0].keyframes[1].file_path
    plan = (
        (await plan_project(session, project_id, settings=settings, registry=load_registry()))
        .document()
        .as_json()
    )
    assert (plan["keyframes"], plan["clips"], plan["stitch"]) == ([], [], True)
    project = await restitch_project(
        session, project_id, settings=settings, registry=load_registry()
    )
    restored = read_frames_at(storage.resolve(project.output_path or ""), [0, 12, -1])
    assert all(psnr(a, b) == float("inf") for a, b in zip(original, restored, strict=True))
    assert await attempts(session, project_id) == paid  # no provider call
    assert artifacts(storage.root) == files  # nothing rewritten, nothing deleted

    # scene 2's end prompt changes: its end frame and clip are made again (take 3) ...
    await editor.edit(
        project_id, scene_number=2, scene_edit=SceneEdit(end_frame_prompt="the kite lands")
    )
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    files, paid = artifacts(storage.root), await attempts(session, project_id)
    # ... so end-frame take 2 of scene 1 now has no scene-2 end frame drawn from it: stale
    project = await editor.select(project_id, 1, 2, "end")
    assert (project.status, project.stale_stage) == ("out_of_date", "keyframing")
    assert chosen(project)[:3] == [("1:start", 1), ("1:end", 2), ("1:clip", 2)]  # restored
    plan = (
        (await plan_project(session, project_id, settings=settings, registry=load_registry()))
        .document()
        .as_json()
    )
    assert [(k["scene"], k["position"]) for k in plan["keyframes"]] == [(2, "end")]
    assert plan["clips"] == [2] and plan["provider_calls"]["video"] == 1
    assert await attempts(session, project_id) == paid
    assert artifacts(storage.root) == files

    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    assert chosen(project)[3:] == [("2:end", 4), ("2:clip", 4)]
    assert (
        await plan_project(session, project_id, settings=settings, registry=load_registry())
    ).empty

    for scene, number, slot, message in (
        (2, 1, "start", "scene 2's start frame is scene 1's end frame"),
        (1, 9, "end", "scene 1 has no end frame take 9"),
    ):
        with pytest.raises(BadInputError, match=message):
            await editor.select(project_id, scene, number, slot)
    assert (await load_project(session, project_id)).status == "complete"
