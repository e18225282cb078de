"""Selections that keep the chain: a clip take made from another end frame (or at another clip
length) than the one in use is refused with the reason and the command that makes it fit;
`force` keeps it and the project goes out of date; selecting a keyframe take brings its prompt
back into the storyboard (one version bump). Real local runs; asserted on rows, plan and PSNR."""

from __future__ import annotations

import uuid

import pytest
from finished_projects import run_new_project
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.cli.flags import flagged
from vidpipe.config import Settings
from vidpipe.db.queries import load_project
from vidpipe.orchestrator import run_pipeline
from vidpipe.orchestrator.edits import Editor, ProjectEdit, SceneEdit
from vidpipe.orchestrator.pipeline import plan_project
from vidpipe.orchestrator.selection import TakeDoesNotFitError
from vidpipe.providers.registry import load_registry

# the smallest picture: rendering is not the subject
THREE = {"scenes": 3, "clip_duration": 1.0, "resolution": "360p"}


async def complete(session: AsyncSession, settings: Settings, **options: object) -> uuid.UUID:
    prompt = "a paper boat on a rainy street"
    return await run_new_project(session, settings, prompt, **{**THREE, **options})


async def test_a_clip_take_from_another_end_frame_is_refused_and_force_marks_it_stale(
    sqlite: tuple[Settings, AsyncSession],
) -> None:
    settings, session = sqlite
    project_id = await complete(session, settings)
    edit = Editor(session, settings, load_registry())
    original = (await load_project(session, project_id)).scenes[1].end_frame_prompt
    await edit.edit(
        project_id, scene_number=2, scene_edit=SceneEdit(end_frame_prompt="the boat capsizes")
    )
    await run_pipeline(
        session, project_id, settings=settings, registry=load_registry()
    )  # end frame 2 and clip 2: take 2
    project = await load_project(session, project_id)
    assert project.scenes[1].clip.take == 2
    version = project.storyboard_version

    # an older end frame: its prompt comes back into the storyboard, with one version bump
    project = await edit.select(project_id, 2, 1, "end")
    assert project.scenes[1].end_frame_prompt == original
    assert project.storyboard_version == version + 1
    assert project.scenes[1].clip.take == 1  # the clip made from that frame, selected again
    assert (
        await plan_project(session, project_id, settings=settings, registry=load_registry())
    ).clips == []

    # clip take 2 was made from end frame take 2: refused, naming the fix
    with pytest.raises(TakeDoesNotFitError) as refused:
        await edit.select(project_id, 2, 2)
    message = str(refused.value)  # as the API and the page say it
    assert "another end frame" in message
    assert "select that frame first: select take 2 of scene 2's end frame" in message
    assert "by forcing the selection" in message and "--" not in message
    command_line = flagged(refused.value)  # as the CLI says it: the commands to type
    assert f"vidpipe select {project_id} --scene 2 --end-frame --take 2" in command_line
    assert "with --force" in command_line
    after = await load_project(session, project_id)
    assert after.scenes[1].clip.take == 1 and after.storyboard_version == version + 1  # unwritten

    # --force keeps it; the project is then out of date, and the plan says what resume does:
    # go back to the take that fits the frames in use (it exists: nothing is bought)
    project = await edit.select(project_id, 2, 2, force=True)
    assert project.scenes[1].clip.take == 2
    assert (project.status, project.stale_stage) == ("out_of_date", "video_gen")
    plan = (
        (await plan_project(session, project_id, settings=settings, registry=load_registry()))
        .document()
        .as_json()
    )
    assert plan["reuse"] == [{"scene": 2, "slot": "clip", "take": 1}] and plan["stitch"]


async def test_a_clip_take_of_another_length_is_refused_with_the_command_that_fits_it(
    sqlite: tuple[Settings, AsyncSession],
) -> None:
    settings, session = sqlite
    project_id = await complete(session, settings, scenes=1)
    edit = Editor(session, settings, load_registry())
    await edit.edit(project_id, project_edit=ProjectEdit(clip_duration=2.0))
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.scenes[0].clip.take == 2
    with pytest.raises(TakeDoesNotFitError, match=r"made 1 s long; .* now 2 s") as refused:
        await edit.select(project_id, 1, 1)
    assert f"vidpipe edit {project_id} --clip-duration 1" in flagged(refused.value)
    assert "Set it back first: set the clip duration back to 1 s" in str(refused.value)
    assert (await load_project(session, project_id)).scenes[0].clip.take == 2
