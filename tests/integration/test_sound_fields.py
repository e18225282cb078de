"""Dialogue, narration and sound in the storyboard (local providers): the writer fills what was
asked for, the rows and the storyboard document carry it, and editing it changes no clip of a
model that makes no audio of its own."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from finished_projects import ProjectTemplates
from processes import artifacts
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.config import Settings
from vidpipe.db.queries import load_project
from vidpipe.errors import BadInputError
from vidpipe.orchestrator import run_pipeline
from vidpipe.orchestrator.edits import (
    Editor,
    ProjectEdit,
    SceneEdit,
    dialogue_option,
    parse_storyboard,
    storyboard_document,
)
from vidpipe.orchestrator.pipeline import plan_project
from vidpipe.orchestrator.projects import GenerateOptions, create_project
from vidpipe.pipeline.sound_fields import asked
from vidpipe.providers.registry import load_registry
from vidpipe.storage import ProjectStorage

# the smallest picture: rendering is not the subject
SMALL = {"scenes": 3, "clip_duration": 2.0, "resolution": "360p"}
Made = Callable[..., Awaitable[uuid.UUID]]


async def render(session: AsyncSession, settings: Settings, **options: Any) -> uuid.UUID:
    merged = {**SMALL, **options}
    project = await create_project(session, settings, GenerateOptions.model_validate(merged))
    await run_pipeline(session, project.id, settings=settings, registry=load_registry())
    return project.id


@pytest.fixture
def made(project_templates: ProjectTemplates) -> Made:
    """made(session, settings, prompt, **options): a finished project, rendered once per session
    (for SQLite and PostgreSQL alike) and copied, rows and files, into the test's database."""
    complete = project_templates.maker(render)

    async def copy(
        session: AsyncSession, settings: Settings, prompt: str, **options: Any
    ) -> uuid.UUID:
        return await complete(session, settings, prompt=prompt, **options)

    return copy


def test_the_rule_flags_or_the_prompts_words() -> None:
    assert asked("a fox in the snow") == asked("a fox", narration=False)
    assert not asked("a fox in the snow").narration
    assert asked("a fox", narration=True).narration
    assert asked("a documentary with a Voice-Over about foxes").narration
    assert asked("two friends in conversation at a cafe").dialogue
    assert asked("a storm with sound effects").sound
    assert not asked("a fox", dialogue=True).sound  # no audio model: no sound asked
    assert asked("a fox", dialogue=True, makes_audio=True).sound
    assert not asked("a narrow road").narration  # whole words only


async def test_narration_and_dialogue_are_written_stored_and_printed(
    session: AsyncSession, settings: Settings, made: Made
) -> None:
    project_id = await made(
        session, settings, "Mara and Bo walk along a beach", narration=True, dialogue=True
    )
    project = await load_project(session, project_id)
    assert project.status == "complete" and project.wants_narration and project.wants_dialogue
    for scene in project.scenes:
        words = scene.narration.split()
        assert 1 <= len(words) <= 5, scene.narration  # 2 s at 2.5 words a second
        assert {line["speaker"] for line in scene.dialogue or []} == {"Mara", "Bo"}
        assert scene.sound == ""  # the local video model makes no sound from words
    assert project.scenes[0].narration == "It begins with Mara."  # 5 words at most
    document = storyboard_document(project).as_json()
    assert document["scenes"][1]["dialogue"] == project.scenes[1].dialogue
    assert document["scenes"][2]["narration"] == project.scenes[2].narration
    # the document goes back in unchanged (edit --storyboard-file)
    assert parse_storyboard(document).scenes[0].dialogue[0].speaker in ("Mara", "Bo")

    twin = await Editor(session, settings, load_registry()).fork(project_id)
    assert twin.wants_narration and twin.wants_dialogue
    assert [(s.narration, s.dialogue, s.sound) for s in twin.scenes] == [
        (s.narration, s.dialogue, s.sound) for s in project.scenes
    ]
    twin_plan = await plan_project(session, twin.id, settings=settings, registry=load_registry())
    assert not {item.kind for item in twin_plan.items} & {"keyframe", "clip"}


async def test_without_asking_the_scenes_have_no_sound(
    session: AsyncSession, settings: Settings, made: Made
) -> None:
    project_id = await made(session, settings, "a red kite over green hills")
    project = await load_project(session, project_id)
    assert all(s.narration == "" and not s.dialogue and s.sound == "" for s in project.scenes)


async def test_editing_sound_texts_remakes_nothing_for_a_model_without_audio(
    session: AsyncSession, settings: Settings, caplog: pytest.LogCaptureFixture, made: Made
) -> None:
    project_id = await made(session, settings, "a lighthouse in the narrated night")
    storage = ProjectStorage(settings.projects_dir, project_id)
    before = artifacts(storage.root)
    edits = Editor(session, settings, load_registry())
    await edits.edit(
        project_id,
        scene_number=2,
        scene_edit=SceneEdit(
            narration="The night is long.",
            dialogue=dialogue_option(["Keeper: Who goes there?"]),
            sound="SFX: a foghorn. Ambient noise: waves",
        ),
    )
    project = await load_project(session, project_id)
    scene = project.scenes[1]
    assert scene.narration == "The night is long."
    assert scene.dialogue == [{"speaker": "Keeper", "line": "Who goes there?"}]
    assert scene.sound == "SFX: a foghorn. Ambient noise: waves"
    plan = await plan_project(session, project_id, settings=settings, registry=load_registry())
    assert not {item.kind for item in plan.items} & {"keyframe", "clip"}

    # a clip made for another reason warns once that the sound is ignored
    await edits.edit(project_id, scene_number=3, scene_edit=SceneEdit(video_motion_prompt="pan"))
    with caplog.at_level("WARNING"):
        await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    warnings = [r.getMessage() for r in caplog.records if "is ignored" in r.getMessage()]
    assert warnings == [
        "warning: the local video model makes no sound of its own: the sound of scene 2 is ignored"
    ]
    after = artifacts(storage.root)
    assert {name: after[name] for name in before} == before  # nothing rewritten
    assert set(after) - set(before) == {"clips/scene_02.t2.mp4"}  # only the motion edit's clip


async def test_a_loudness_change_plans_the_mix_alone_and_the_run_only_remixes(
    session: AsyncSession, settings: Settings, made: Made
) -> None:
    project_id = await made(session, settings, "a lighthouse in the narrated night")
    storage = ProjectStorage(settings.projects_dir, project_id)
    before = artifacts(storage.root)
    pictures = {p.name: p.stat().st_mtime_ns for p in storage.root.glob("output/picture-*")}
    lines = {p.name: p.stat().st_mtime_ns for p in storage.root.glob("audio/scene_*")}
    mixes = set(storage.root.glob("audio/mix-*"))
    assert pictures and lines and mixes
    registry = load_registry()
    await Editor(session, settings, registry).edit(
        project_id, project_edit=ProjectEdit(loudness=-20)
    )

    plan = await plan_project(session, project_id, settings=settings, registry=registry)
    (item,) = plan.items
    assert (item.kind, item.cost, plan.estimated_cost) == ("mix", 0.0, 0.0)
    assert item.reason.startswith("mix the sound") and plan.mix and not plan.stitch
    assert plan.stage == "stitching"

    await run_pipeline(session, project_id, settings=settings, registry=registry)
    project = await load_project(session, project_id)
    assert project.status == "complete" and project.runs[-1].log.keys() == {"stitch"}
    assert artifacts(storage.root) == before  # no keyframe or clip made again
    assert {p.name: p.stat().st_mtime_ns for p in storage.root.glob("output/picture-*")} == pictures
    assert {p.name: p.stat().st_mtime_ns for p in storage.root.glob("audio/scene_*")} == lines
    (remixed,) = set(storage.root.glob("audio/mix-*")) - mixes  # one new mix, at the new target
    (mix,) = [row for row in project.audio if row.kind == "mix"]
    assert storage.resolve(mix.file_path) == remixed and mix.details["target_lufs"] == -20
    again = await plan_project(session, project_id, settings=settings, registry=registry)
    assert again.empty


def test_dialogue_options_are_checked() -> None:
    assert dialogue_option(None) is None
    assert dialogue_option([""]) == []
    lines = dialogue_option(["Mara: Where now?", "Bo :  North: always north. "])
    assert [(x.speaker, x.line) for x in lines or []] == [
        ("Mara", "Where now?"),
        ("Bo", "North: always north."),
    ]
    for bad in (["no colon"], [": no speaker"], ["Mara:"], ["x" * 101 + ": hi"]):
        with pytest.raises(BadInputError) as refused:
            dialogue_option(bad)
        assert refused.value.field == "dialogue"  # the CLI shows --dialogue, the API a loc


def test_scene_texts_limits(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        SceneEdit(narration="x" * 4001)
    with pytest.raises(ValueError):
        SceneEdit(sound="x" * 4001)
    assert SceneEdit(narration="").model_dump(exclude_none=True) == {"narration": ""}
