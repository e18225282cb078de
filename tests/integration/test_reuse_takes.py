"""An identical take is never bought twice: after an edit and its undo, `plan` says "reuse take
N" and `resume` selects the existing take (no provider call, a ledger note) — clips and the
keyframe chain alike — on real local runs, asserted on the ledger, the rows and file identity."""

from __future__ import annotations

import os
import uuid

import pytest
from finished_projects import CompleteProject, ProjectTemplates, run_new_project
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.config import Settings
from vidpipe.db.models import ProviderCall
from vidpipe.db.queries import load_project
from vidpipe.orchestrator import run_pipeline
from vidpipe.orchestrator.edits import Editor, SceneEdit
from vidpipe.orchestrator.pipeline import plan_project
from vidpipe.providers.registry import load_registry
from vidpipe.storage import ProjectStorage

# the smallest picture: rendering is not the subject
THREE = {"scenes": 3, "clip_duration": 1.0, "resolution": "360p"}


async def render(session: AsyncSession, settings: Settings) -> uuid.UUID:
    return await run_new_project(session, settings, "a kite over green hills", **THREE)


@pytest.fixture
def complete_project(project_templates: ProjectTemplates) -> CompleteProject:
    """A finished project, rendered once per session by `render` and copied for each test."""
    return project_templates.maker(render)


async def ledger(session: AsyncSession, project_id: uuid.UUID) -> list[ProviderCall]:
    return list(
        await session.scalars(
            select(ProviderCall)
            .where(ProviderCall.project_id == project_id)
            .order_by(ProviderCall.created_at)
        )
    )


def sent(rows: list[ProviderCall], role: str) -> int:
    return sum(1 for row in rows if row.role == role and row.status != "reused")


async def test_undoing_a_motion_edit_reuses_the_clip_take_instead_of_buying_it(
    sqlite: tuple[Settings, AsyncSession], complete_project: CompleteProject
) -> None:
    settings, session = sqlite
    project_id = await complete_project(session, settings)
    storage = ProjectStorage(settings.projects_dir, project_id)
    edit = Editor(session, settings, load_registry())
    original = (await load_project(session, project_id)).scenes[1].video_motion_prompt
    first_clip = (await load_project(session, project_id)).scenes[1].clip.file_path

    await edit.edit(project_id, scene_number=2, scene_edit=SceneEdit(video_motion_prompt="orbit"))
    await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert (await load_project(session, project_id)).scenes[1].clip.take == 2
    before = await ledger(session, project_id)

    await edit.edit(
        project_id, scene_number=2, scene_edit=SceneEdit(video_motion_prompt=original)
    )  # the undo: scene 2's clip inputs are those of take 1 again
    plan = await plan_project(session, project_id, settings=settings, registry=load_registry())
    document = plan.document().as_json()
    assert document["clips"] == [] and document["reuse"] == [
        {"scene": 2, "slot": "clip", "take": 1}
    ]
    assert document["provider_calls"] == {"storyboard": 0, "image": 0, "video": 0}
    assert [i["reason"].split(" (")[0] for i in document["items"]] == [
        "reuse take 1",
        "join the clips",
    ]
    assert plan.estimated_cost == 0

    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    after = await ledger(session, project_id)
    assert sent(after, "video") == sent(before, "video")  # nothing bought
    notes = [row for row in after if row.status == "reused"]
    assert [(n.step, n.request, n.cost) for n in notes] == [("video_gen", "reuse take 1", 0.0)]
    clip = project.scenes[1].clip
    assert (clip.take, clip.file_path) == (1, first_clip)
    assert os.stat(storage.resolve(clip.file_path)).st_size > 0
    assert (
        await plan_project(session, project_id, settings=settings, registry=load_registry())
    ).empty


async def test_undoing_an_end_prompt_edit_reuses_the_whole_chain_and_its_clips(
    sqlite: tuple[Settings, AsyncSession], complete_project: CompleteProject
) -> None:
    settings, session = sqlite
    project_id = await complete_project(session, settings)
    edit = Editor(session, settings, load_registry())
    first = await load_project(session, project_id)
    original = first.scenes[0].end_frame_prompt
    files = {(k.scene_id, k.position): k.file_path for s in first.scenes for k in s.keyframes}
    clips = [s.clip.file_path for s in first.scenes]

    await edit.edit(
        project_id, scene_number=1, scene_edit=SceneEdit(end_frame_prompt="the kite lands")
    )
    await run_pipeline(
        session, project_id, settings=settings, registry=load_registry()
    )  # 3 frames and 3 clips redrawn
    before = await ledger(session, project_id)
    await edit.edit(project_id, scene_number=1, scene_edit=SceneEdit(end_frame_prompt=original))
    document = (
        (await plan_project(session, project_id, settings=settings, registry=load_registry()))
        .document()
        .as_json()
    )
    assert document["provider_calls"] == {"storyboard": 0, "image": 0, "video": 0}
    assert document["keyframes"] == [] and document["clips"] == []
    assert document["reuse"] == [
        {"scene": 1, "slot": "end", "take": 1},
        {"scene": 2, "slot": "end", "take": 1},
        {"scene": 3, "slot": "end", "take": 1},
        {"scene": 1, "slot": "clip", "take": 1},
        {"scene": 2, "slot": "clip", "take": 1},
        {"scene": 3, "slot": "clip", "take": 1},
    ]

    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    after = await ledger(session, project_id)
    assert sent(after, "image") == sent(before, "image")
    assert sent(after, "video") == sent(before, "video")
    assert len([row for row in after if row.status == "reused"]) == 6
    assert {(k.scene_id, k.position): k.file_path for s in project.scenes for k in s.keyframes} == (
        files
    )
    assert [s.clip.file_path for s in project.scenes] == clips
    assert project.status == "complete"


async def test_progress_counts_what_this_run_makes(
    sqlite: tuple[Settings, AsyncSession], complete_project: CompleteProject
) -> None:
    settings, session = sqlite
    project_id = await complete_project(session, settings)
    await Editor(session, settings, load_registry()).edit(
        project_id, scene_number=2, scene_edit=SceneEdit(end_frame_prompt="the kite dives")
    )
    said: list[str] = []
    await run_pipeline(
        session, project_id, said.append, settings=settings, registry=load_registry()
    )  # type: ignore[arg-type]
    drawing = [str(e) for e in said if str(e).startswith(("Drawing keyframe", "Keyframes:"))]
    assert drawing == ["Drawing keyframe 1/2", "Drawing keyframe 2/2", "Keyframes: 2 drawn"]


async def test_a_run_fingerprints_each_keyframe_and_clip_once(
    sqlite: tuple[Settings, AsyncSession],
    complete_project: CompleteProject,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The plan's walk of the chain also finds the takes to reuse: nothing walks it again."""
    import vidpipe.pipeline.fingerprints as fingerprints

    settings, session = sqlite
    project_id = await complete_project(session, settings)
    edit = Editor(session, settings, load_registry())
    original = (await load_project(session, project_id)).scenes[1].video_motion_prompt
    await edit.edit(project_id, scene_number=2, scene_edit=SceneEdit(video_motion_prompt="orbit"))
    await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    await edit.edit(project_id, scene_number=2, scene_edit=SceneEdit(video_motion_prompt=original))
    kinds: list[str] = []
    digest = fingerprints.digest

    def counted(*parts: object) -> str:
        kinds.append(str(parts[0]))
        return digest(*parts)

    monkeypatch.setattr(fingerprints, "digest", counted)
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.scenes[1].clip.take == 1  # reused, as the plan said
    assert (kinds.count("keyframe"), kinds.count("clip")) == (4, 3)  # 3 scenes: 4 frames, 3 clips
