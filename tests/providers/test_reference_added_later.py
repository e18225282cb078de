"""A reference added after the storyboard was written, through the real
google-genai client against the fake: the next run describes it once, before any keyframe is
drawn (a billed storyboard call in the ledger, listed by `plan` with its cost); the scenes that
show it are the user's choice (`references` of a scene edit, checked against the names); the
keyframes of those scenes carry its bytes, and nothing else is redrawn."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from fake_google import FakeGoogle
from provider_env import google_settings
from remote_projects import ledger_rows, new_project, with_providers
from sqlalchemy.ext.asyncio import AsyncSession
from test_references_google import inline_images, mara

from vidpipe.config import Settings
from vidpipe.db.queries import load_project
from vidpipe.errors import BadInputError
from vidpipe.orchestrator import run_pipeline
from vidpipe.orchestrator.edits import Editor, SceneEdit
from vidpipe.orchestrator.pipeline import plan_project
from vidpipe.orchestrator.references import parse_option
from vidpipe.providers.registry import load_registry

SMALL = {"scenes": 2, "clip_duration": 1.0, "resolution": "480p"}


async def test_a_reference_added_later_is_described_once_before_its_keyframes(
    session: AsyncSession,
    settings: Settings,
    google_fake: tuple[FakeGoogle, str],
    tmp_path: Path,
) -> None:
    fake, url = google_fake
    settings = with_providers(
        google_settings(settings, url, vertex=False), "google", "google", "local"
    )
    project_id = await new_project(session, settings, SMALL)
    done = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert done.status == "complete", done.error_message
    assert fake.count("generateContent:image") == 3
    editor = Editor(session, settings, load_registry())
    image = mara(tmp_path / "bo.png")

    await editor.edit(project_id, add_references=[parse_option(f"Bo={image}", "--add-reference")])
    plan = await plan_project(session, project_id, settings=settings, registry=load_registry())
    writer = load_registry().build(settings, "google", "google", "local").storyboard
    assert plan.descriptions == ["Bo"] and not plan.storyboard
    assert plan.provider_calls() == {"storyboard": 1, "image": 0, "video": 0}
    assert plan.estimated_cost == pytest.approx(writer.estimate_cost(calls=1))
    assert plan.estimated_cost > 0
    assert [item.kind for item in plan.items] == ["storyboard"]  # no stitch: no video changes
    edited = await load_project(session, project_id)
    assert (edited.status, edited.stale_stage) == ("out_of_date", "storyboarding")
    assert fake.count("generateContent:describe") == 0  # an edit calls no provider

    before = await _snapshot(session, project_id)
    with pytest.raises(BadInputError, match=r"no reference named 'Mara' \(the project's: Bo\)"):
        await editor.edit(project_id, scene_number=2, scene_edit=SceneEdit(references=["Mara"]))
    assert await _snapshot(session, project_id) == before  # refused: nothing written

    # names are unique regardless of case, and looked up so: "bo" is the project's "Bo"
    await editor.edit(project_id, scene_number=2, scene_edit=SceneEdit(references=["bo", "Bo"]))
    project = await load_project(session, project_id)
    assert [scene.references for scene in project.scenes] == [[], ["Bo"]]
    plan = await plan_project(session, project_id, settings=settings, registry=load_registry())
    assert plan.descriptions == ["Bo"]
    assert [(k.scene, k.position) for k in plan.keyframes] == [(1, "end"), (2, "end")]
    assert plan.provider_calls() == {"storyboard": 1, "image": 2, "video": 2}

    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete", project.error_message
    described = fake.of_kind("generateContent:describe")
    assert len(described) == 1 and inline_images(described[0].body) == [image.read_bytes()]
    assert project.references[0].description == "a figure in blue and red"
    assert project.references[0].description_source == "google"
    rows = [r for r in await ledger_rows(session, project_id) if r.run_id != _first_run(project)]
    assert rows[0].detail == "describe reference Bo"  # in the ledger before any keyframe
    assert sorted(r.step for r in rows) == ["keyframes"] * 2 + ["storyboard"] + ["video_gen"] * 2
    assert rows[0].cost > 0 and rows[0].status == "ok"
    redrawn = fake.of_kind("generateContent:image")[3:]
    assert [image.read_bytes() in inline_images(r.body) for r in redrawn] == [True, True]
    assert "Bo (a figure in blue and red)" in str(redrawn[0].body)
    assert (
        await plan_project(session, project_id, settings=settings, registry=load_registry())
    ).empty

    # the same image in another project is not described again: the description is adopted
    other = await new_project(session, settings, {**SMALL, "pause_after": "storyboard"})
    await run_pipeline(session, other, settings=settings, registry=load_registry())
    await editor.edit(other, add_references=[parse_option(f"Bo={image}", "--add-reference")])
    assert (
        await plan_project(session, other, settings=settings, registry=load_registry())
    ).descriptions == []
    assert (await load_project(session, other)).references[0].description == (
        "a figure in blue and red"
    )
    assert fake.count("generateContent:describe") == 1


def _first_run(project) -> uuid.UUID:  # type: ignore[no-untyped-def]
    return min(project.runs, key=lambda run: run.started_at).id


async def _snapshot(session: AsyncSession, project_id: uuid.UUID) -> tuple:
    project = await load_project(session, project_id)
    return (
        project.storyboard_version,
        project.status,
        [list(scene.references or []) for scene in project.scenes],
    )
