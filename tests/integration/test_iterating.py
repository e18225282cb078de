"""Iterating: edits, the plan, review gates, takes, select, fork, stop, gc — on real
local runs, asserting rows, the ledger, file identity (inode, mtime, hash) and decoded frames."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from finished_projects import CompleteProject, ProjectTemplates, run_new_project
from processes import artifacts
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.config import Settings
from vidpipe.db.engine import open_database
from vidpipe.db.models import ProviderCall, Take, utcnow
from vidpipe.db.queries import load_project
from vidpipe.errors import BadInputError
from vidpipe.media.frames import psnr, read_frames_at
from vidpipe.orchestrator import run_pipeline
from vidpipe.orchestrator.edits import (
    Editor,
    ProjectEdit,
    ProjectRunningError,
    SceneEdit,
    parse_storyboard,
    storyboard_document,
)
from vidpipe.orchestrator.garbage import collect_garbage
from vidpipe.orchestrator.leases import request_stop
from vidpipe.orchestrator.pipeline import StoppedByUserError, plan_project, restitch_project
from vidpipe.orchestrator.projects import GenerateOptions, create_project
from vidpipe.orchestrator.report import project_document
from vidpipe.providers.registry import load_registry
from vidpipe.storage import ProjectStorage

# the smallest picture: rendering is not the subject
FOUR = {"scenes": 4, "clip_duration": 1.0, "resolution": "360p"}


async def render(session: AsyncSession, settings: Settings, **options: Any) -> uuid.UUID:
    prompt = "a lighthouse on a stormy coast at dawn"
    return await run_new_project(session, settings, prompt, **{**FOUR, **options})


@pytest.fixture
def complete_project(project_templates: ProjectTemplates) -> CompleteProject:
    """A finished project in the test's own database and data directory: rendered once per
    session by `render`, copied here (rows and files) for each test."""
    return project_templates.maker(render)


def editor(session: AsyncSession, settings: Settings) -> Editor:
    return Editor(session, settings, load_registry())


async def calls(session: AsyncSession, project_id: uuid.UUID, step: str) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(ProviderCall)
        .where(ProviderCall.project_id == project_id, ProviderCall.step == step)
    )
    return int(count or 0)


def frames_of(path: Path) -> list[Any]:
    return read_frames_at(path, [0, 5, 12, 20, 30, -1])


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_a_motion_edit_remakes_one_clip_and_select_restores_the_original(
    session: AsyncSession,
    settings: Settings,
    complete_project: CompleteProject,
) -> None:
    project_id = await complete_project(session, settings)
    storage = ProjectStorage(settings.projects_dir, project_id)
    before = artifacts(storage.root)
    original = await load_project(session, project_id)
    original_frames = frames_of(storage.resolve(original.output_path or ""))

    await editor(session, settings).edit(
        project_id, scene_number=3, scene_edit=SceneEdit(video_motion_prompt="a slow dolly in")
    )
    project = await load_project(session, project_id)
    # idle and stale: out of date from the earliest stage with stale work, not "running" it
    assert (project.status, project.stale_stage) == ("out_of_date", "video_gen")
    plan = (
        (await plan_project(session, project_id, settings=settings, registry=load_registry()))
        .document()
        .as_json()
    )
    assert (plan["clips"], plan["keyframes"], plan["stitch"]) == ([3], [], True)
    assert plan["provider_calls"] == {"storyboard": 0, "image": 0, "video": 1}

    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    log = project.runs[-1].log
    assert log["video_gen"]["provider_calls"] == 1 and "keyframes" not in log
    after = artifacts(storage.root)
    assert {name: after[name] for name in before} == before  # nothing rewritten, nothing gone
    assert set(after) - set(before) == {"clips/scene_02.t2.mp4"}  # the new take, beside take 1
    assert project.scenes[2].clip.file_path == "clips/scene_02.t2.mp4"
    assert (
        await plan_project(session, project_id, settings=settings, registry=load_registry())
    ).empty

    await editor(session, settings).select(project_id, 3, 1)
    project = await restitch_project(
        session, project_id, settings=settings, registry=load_registry()
    )
    assert project.scenes[2].clip.take == 1
    restored = frames_of(storage.resolve(project.output_path or ""))
    assert all(psnr(a, b) == float("inf") for a, b in zip(original_frames, restored, strict=True))
    assert await calls(session, project_id, "video_gen") == 5  # 4 first, 1 for the edit


async def test_an_end_prompt_edit_redraws_the_rest_of_the_chain_and_keeps_joins_seamless(
    sqlite: tuple[Settings, AsyncSession],
    complete_project: CompleteProject,
) -> None:
    settings, session = sqlite
    project_id = await complete_project(session, settings)
    storage = ProjectStorage(settings.projects_dir, project_id)
    before = artifacts(storage.root)
    await editor(session, settings).edit(
        project_id,
        scene_number=2,
        scene_edit=SceneEdit(end_frame_prompt="the lighthouse at night, beam sweeping"),
    )
    plan = (
        (await plan_project(session, project_id, settings=settings, registry=load_registry()))
        .document()
        .as_json()
    )
    assert [(k["scene"], k["position"]) for k in plan["keyframes"]] == [
        (2, "end"), (3, "end"), (4, "end"),
    ]  # fmt: skip
    assert plan["clips"] == [2, 3, 4]

    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    log = project.runs[-1].log
    assert log["keyframes"]["provider_calls"] == 3 and log["video_gen"]["provider_calls"] == 3
    after = artifacts(storage.root)
    for name in ("keyframes/scene_00_start.png", "keyframes/scene_00_end.png"):
        assert after[name] == before[name]
    assert after["clips/scene_00.mp4"] == before["clips/scene_00.mp4"]
    assert project.scenes[0].clip.file_path == "clips/scene_00.mp4"  # scene 1 untouched
    clips = [storage.resolve(s.clip.file_path) for s in project.scenes]
    for left, right in zip(clips, clips[1:], strict=False):
        last, first = read_frames_at(left, [-1])[0], read_frames_at(right, [0])[0]
        assert psnr(last, first) >= 30  # the chain still joins
    takes = (await session.scalars(select(Take).where(Take.slot == "clip"))).all()
    assert all(t.fidelity is not None and t.fidelity >= 30 for t in takes)


async def test_a_crossfade_edit_plans_a_stitch_only_and_calls_no_provider(
    sqlite: tuple[Settings, AsyncSession],
    complete_project: CompleteProject,
) -> None:
    settings, session = sqlite
    project_id = await complete_project(session, settings, scenes=2)
    await editor(session, settings).edit(project_id, project_edit=ProjectEdit(crossfade=0.5))
    plan = (
        (await plan_project(session, project_id, settings=settings, registry=load_registry()))
        .document()
        .as_json()
    )
    assert (plan["keyframes"], plan["clips"], plan["stitch"]) == ([], [], True)
    rows_before = await session.scalar(select(func.count()).select_from(ProviderCall))
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete" and project.crossfade == 0.5
    assert await session.scalar(select(func.count()).select_from(ProviderCall)) == rows_before


async def test_pause_after_storyboard_then_edit_then_resume(
    sqlite: tuple[Settings, AsyncSession],
) -> None:
    settings, session = sqlite
    options = GenerateOptions.model_validate(
        {"prompt": "a fox in snow", **FOUR, "scenes": 3, "pause_after": "storyboard"}
    )
    project_id = (await create_project(session, settings, options)).id
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert (project.status, project.paused_before) == ("paused", "keyframing")
    storage = ProjectStorage(settings.projects_dir, project_id)
    assert not list((storage.root / "keyframes").glob("*"))
    assert await calls(session, project_id, "keyframes") == 0
    document = project_document(project, storage).as_json()
    assert document["paused_before"] == "keyframing"

    await editor(session, settings).edit(
        project_id, scene_number=2, scene_edit=SceneEdit(end_frame_prompt="a red barn")
    )
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    assert await calls(session, project_id, "keyframes") == 3 + 1  # N+1 in total
    assert project.scenes[1].end_frame_prompt == "a red barn"


async def test_pause_after_keyframes_calls_no_video(sqlite: tuple[Settings, AsyncSession]) -> None:
    settings, session = sqlite
    options = GenerateOptions.model_validate(
        {"prompt": "a fox in snow", **FOUR, "scenes": 2, "pause_after": "keyframes"}
    )
    project_id = (await create_project(session, settings, options)).id
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert (project.status, project.paused_before) == ("paused", "video_gen")
    assert await calls(session, project_id, "keyframes") == 3
    assert await calls(session, project_id, "video_gen") == 0
    assert (
        await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    ).status == "complete"


async def test_fork_shares_files_and_makes_only_what_its_edit_changed(
    sqlite: tuple[Settings, AsyncSession],
    complete_project: CompleteProject,
) -> None:
    settings, session = sqlite
    project_id = await complete_project(session, settings, scenes=3)
    original = await load_project(session, project_id)
    source = ProjectStorage(settings.projects_dir, project_id)
    final = source.resolve(original.output_path or "")
    final_hash, originals = sha(final), artifacts(source.root)

    twin = await editor(session, settings).fork(project_id)
    twin = await editor(session, settings).edit(
        twin.id, scene_number=2, scene_edit=SceneEdit(video_motion_prompt="tilt up to the sky")
    )
    twin = await run_pipeline(session, twin.id, settings=settings, registry=load_registry())
    assert twin.status == "complete" and twin.forked_from == project_id
    assert await calls(session, twin.id, "video_gen") == 1
    assert await calls(session, twin.id, "keyframes") == 0
    target = ProjectStorage(settings.projects_dir, twin.id)
    for scene in (0, 2):  # unchanged clips: the very same files
        name = f"clips/scene_{scene:02d}.mp4"
        assert target.resolve(name).stat().st_ino == source.resolve(name).stat().st_ino
    assert sha(final) == final_hash and artifacts(source.root) == originals
    assert (
        await plan_project(session, project_id, settings=settings, registry=load_registry())
    ).empty


async def test_stop_from_another_session_stops_the_run_and_resume_completes(
    sqlite: tuple[Settings, AsyncSession],
) -> None:
    settings, session = sqlite
    options = GenerateOptions.model_validate({"prompt": "a slow river", **FOUR, "scenes": 3})
    project_id = (await create_project(session, settings, options)).id
    run = asyncio.create_task(
        run_pipeline(session, project_id, settings=settings, registry=load_registry())
    )
    async with open_database(settings.effective_database_url) as sessions:
        async with sessions() as other:
            while (await load_project(other, project_id)).status in ("pending", "storyboarding"):
                await asyncio.sleep(0.05)
            await request_stop(other, project_id)
    with pytest.raises(StoppedByUserError):
        await asyncio.wait_for(run, timeout=30)
    project = await load_project(session, project_id)
    # a stop is an outcome: `stopped` (resumable), no error, the run `stopped`
    assert project.status == "stopped" and project.error_message is None
    assert project.runs[-1].status == "stopped" and project.runs[-1].error is None
    assert (
        await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    ).status == "complete"


async def test_a_stop_whose_step_fails_while_cancelled_is_still_a_stop(
    sqlite: tuple[Settings, AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A clip step cancelled by the stop can end in another error (its clean-up meets a session
    the cancelled write left rolled back; seen under load). The project still ends `stopped`,
    with no error, and resumes."""
    from vidpipe.providers.local.providers import LocalVideoProvider

    settings, session = sqlite
    waiting = asyncio.Event()

    async def wait_then_fail_on_cancel(*args: Any, **kwargs: Any) -> Any:
        waiting.set()
        try:
            await asyncio.Event().wait()  # a render that never ends by itself
        except asyncio.CancelledError:
            raise RuntimeError("clean-up failed after the cancellation") from None

    original = LocalVideoProvider.wait
    monkeypatch.setattr(LocalVideoProvider, "wait", wait_then_fail_on_cancel)
    options = GenerateOptions.model_validate({"prompt": "a slow river", **FOUR, "scenes": 2})
    project_id = (await create_project(session, settings, options)).id
    run = asyncio.create_task(
        run_pipeline(session, project_id, settings=settings, registry=load_registry())
    )
    await asyncio.wait_for(waiting.wait(), timeout=60)
    async with open_database(settings.effective_database_url) as sessions:
        async with sessions() as other:
            await request_stop(other, project_id)
    with pytest.raises(StoppedByUserError):
        await asyncio.wait_for(run, timeout=30)
    project = await load_project(session, project_id)
    assert project.status == "stopped" and project.error_message is None
    assert project.runs[-1].status == "stopped" and project.runs[-1].error is None
    monkeypatch.setattr(LocalVideoProvider, "wait", original)
    resumed = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert resumed.status == "complete"


async def test_bad_edits_change_nothing(
    sqlite: tuple[Settings, AsyncSession], complete_project: CompleteProject
) -> None:
    settings, session = sqlite
    project_id = await complete_project(session, settings, scenes=3)
    storage = ProjectStorage(settings.projects_dir, project_id)
    document = project_document(await load_project(session, project_id), storage).as_json()
    document.pop("updated_at")  # the test's own lease writes below change it
    files = artifacts(storage.root)
    edit = editor(session, settings)
    board = storyboard_document(await load_project(session, project_id)).as_json()

    with pytest.raises(BadInputError, match="scenes 1 to 3"):
        await edit.edit(project_id, scene_number=7, scene_edit=SceneEdit(video_motion_prompt="x"))
    with pytest.raises(BadInputError, match="edit scene 2's end frame prompt instead") as refused:
        await edit.edit(project_id, scene_number=3, scene_edit=SceneEdit(start_frame_prompt="x"))
    assert refused.value.field == "start_frame_prompt"
    for broken in (
        {**board, "scenes": []},
        {**board, "scenes": board["scenes"] * 7},
        {**board, "scenes": [{k: v for k, v in s.items() if k != "video_motion_prompt"}
                             for s in board["scenes"]]},
    ):  # fmt: skip
        with pytest.raises(BadInputError, match="invalid storyboard"):
            parse_storyboard(broken)
    changed_start = json.loads(json.dumps(board))
    changed_start["scenes"][2]["start_frame_prompt"] = "something else"
    with pytest.raises(BadInputError, match="start_frame_prompt"):
        await edit.edit(project_id, storyboard=parse_storyboard(changed_start))

    await session.rollback()
    project = await load_project(session, project_id)
    project.lease_owner, project.lease_expires_at = "elsewhere:1:x", None

    project.lease_expires_at = utcnow() + timedelta(seconds=60)
    await session.commit()
    with pytest.raises(ProjectRunningError, match="stop it first"):
        await edit.edit(project_id, project_edit=ProjectEdit(crossfade=0.2))
    project.lease_owner = project.lease_expires_at = None
    await session.commit()

    after = project_document(await load_project(session, project_id), storage).as_json()
    after.pop("updated_at")
    assert json.dumps(after) == json.dumps(document)
    assert artifacts(storage.root) == files


async def test_removed_scenes_become_garbage_only_for_gc(
    sqlite: tuple[Settings, AsyncSession],
    complete_project: CompleteProject,
) -> None:
    settings, session = sqlite
    project_id = await complete_project(session, settings, scenes=3)
    storage = ProjectStorage(settings.projects_dir, project_id)
    board = storyboard_document(await load_project(session, project_id)).as_json()
    board["scenes"] = board["scenes"][:2]
    await editor(session, settings).edit(project_id, storyboard=parse_storyboard(board))
    assert (storage.root / "clips" / "scene_02.mp4").exists()  # nothing deleted by the edit

    dry = await collect_garbage(session, settings, dry_run=True)
    names = sorted(p.name for p in dry.files)
    assert names == ["scene_02.mp4", "scene_02_end.png"] and dry.bytes > 0
    assert (storage.root / "clips" / "scene_02.mp4").exists()
    done = await collect_garbage(session, settings, dry_run=False)
    assert sorted(p.name for p in done.files) == names
    assert not (storage.root / "clips" / "scene_02.mp4").exists()
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete" and len(project.scenes) == 2


async def test_a_project_made_before_fingerprints_stays_complete(
    tmp_path: Path, complete_project: CompleteProject
) -> None:
    """A database at the previous schema (made by migrations up to 0002) holding a complete
    project upgrades to head; the project stays complete and its plan is empty (rows without
    fingerprints are adopted), and an edit afterwards is planned like any other."""
    from alembic import command

    from vidpipe.db.engine import create_engine
    from vidpipe.db.migrate import alembic_config

    made = tmp_path / "made.db"
    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite+aiosqlite:///{made}")
    async with open_database(settings.effective_database_url) as sessions:
        async with sessions() as session:
            project_id = await complete_project(session, settings, scenes=2)
    old = tmp_path / "old.db"
    engine = create_engine(f"sqlite+aiosqlite:///{old}")
    async with engine.begin() as connection:
        await connection.run_sync(lambda c: command.upgrade(alembic_config(c), "0002"))
    await engine.dispose()
    with sqlite3.connect(old) as connection:  # the same rows, as the old schema holds them
        connection.execute("ATTACH DATABASE ? AS made", (str(made),))
        for table in ("projects", "scenes", "keyframes", "video_clips", "pipeline_runs"):
            columns = ", ".join(
                r[1] for r in connection.execute(f"PRAGMA main.table_info({table})")
            )
            connection.execute(
                f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM made.{table}"
            )
    settings = settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{old}"})

    async with open_database(settings.effective_database_url) as sessions:  # upgrades to head
        async with sessions() as session:
            project = await load_project(session, project_id)
            assert project.status == "complete"
            assert all(k.fingerprint is None for s in project.scenes for k in s.keyframes)
            assert (
                await plan_project(session, project_id, settings=settings, registry=load_registry())
            ).empty
            takes = (await session.scalars(select(Take))).all()
            assert sorted((t.scene_index, t.slot) for t in takes) == [
                (0, "clip"), (0, "end"), (0, "start"), (1, "clip"), (1, "end"),
            ]  # fmt: skip
            await editor(session, settings).edit(
                project_id, scene_number=2, scene_edit=SceneEdit(video_motion_prompt="pan")
            )
            plan = await plan_project(
                session, project_id, settings=settings, registry=load_registry()
            )
            assert (plan.clips, plan.keyframes) == ([2], [])


async def test_a_fork_shares_the_reference_images(
    sqlite: tuple[Settings, AsyncSession], tmp_path: Path
) -> None:
    """A fork's reference images are the original's files (hard links, same inode)."""
    from PIL import Image

    from vidpipe.orchestrator.projects import reference_specs
    from vidpipe.orchestrator.references import parse_option

    settings, session = sqlite
    Image.new("RGB", (40, 60), "red").save(tmp_path / "mara.png")
    options = GenerateOptions.model_validate(
        {"prompt": "Mara at the harbour", **FOUR, "scenes": 2, "pause_after": "storyboard"}
    )
    specs = reference_specs(options, settings, [parse_option(f"Mara={tmp_path / 'mara.png'}")])
    project = await create_project(session, settings, options, None, specs)
    await run_pipeline(session, project.id, settings=settings, registry=load_registry())
    twin = await editor(session, settings).fork(project.id)

    original = await load_project(session, project.id)
    (mine,), (theirs,) = original.references, twin.references
    assert (theirs.name, theirs.content_hash) == (mine.name, mine.content_hash)
    path = ProjectStorage(settings.projects_dir, original.id).resolve(mine.file_path)
    forked = ProjectStorage(settings.projects_dir, twin.id).resolve(theirs.file_path)
    assert forked != path and forked.stat().st_ino == path.stat().st_ino
    assert [s.references for s in twin.scenes] == [s.references for s in original.scenes]


async def test_gc_counts_only_bytes_it_really_frees_across_forks(
    sqlite: tuple[Settings, AsyncSession],
    complete_project: CompleteProject,
) -> None:
    """A fork shares its original's files by hard link: when the original drops a scene, gc
    deletes the original's links but frees no byte of what the fork still uses."""
    settings, session = sqlite
    project_id = await complete_project(session, settings, scenes=3)
    storage = ProjectStorage(settings.projects_dir, project_id)
    twin = await editor(session, settings).fork(project_id)
    board = storyboard_document(await load_project(session, project_id)).as_json()
    board["scenes"] = board["scenes"][:2]
    await editor(session, settings).edit(project_id, storyboard=parse_storyboard(board))
    dropped = [
        storage.root / "clips" / "scene_02.mp4",
        storage.root / "keyframes" / "scene_02_end.png",
    ]
    assert all(path.stat().st_nlink == 2 for path in dropped)  # the fork holds the other link

    dry = await collect_garbage(session, settings, dry_run=True)
    assert sorted(dry.files) == sorted(dropped)
    assert dry.bytes == 0 and dry.as_dict()["shared"] == 2
    done = await collect_garbage(session, settings, dry_run=False)
    assert done.bytes == 0 and not any(path.exists() for path in dropped)
    fork = ProjectStorage(settings.projects_dir, twin.id)
    assert (fork.root / "clips" / "scene_02.mp4").stat().st_nlink == 1  # the fork's file stays

    # the fork drops it too: now its last link goes, and gc frees exactly its bytes
    board = storyboard_document(await load_project(session, twin.id)).as_json()
    board["scenes"] = board["scenes"][:2]
    await editor(session, settings).edit(twin.id, storyboard=parse_storyboard(board))
    sizes = sum(
        (fork.root / name).stat().st_size
        for name in ("clips/scene_02.mp4", "keyframes/scene_02_end.png")
    )
    last = await collect_garbage(session, settings, dry_run=False)
    assert last.bytes == sizes and last.as_dict()["shared"] == 0


async def test_a_storyboard_edit_racing_a_scene_edit_ends_in_one_edit_not_a_deadlock(
    sessions: Any,
    settings: Settings,
    complete_project: CompleteProject,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A whole-storyboard edit writes its scene rows before it claims the storyboard version; a
    scene edit against the same version claims first, then writes its scene. Held at that
    moment, the two used to deadlock on PostgreSQL (a 500 from the API under load). Now one edit
    is made and the other refused as changed elsewhere, on both databases."""
    async with sessions() as session:
        project_id = await complete_project(session, settings, scenes=2)
        board = storyboard_document(await load_project(session, project_id)).as_json()
    version = board["version"]
    board["scenes"][1]["scene_description"] = "the whole storyboard, replaced"
    scene_claimed = asyncio.Event()
    claim = Editor._claim_version
    whole: list[Editor] = []

    async def held_claim(self: Editor, project: Any, expected: int) -> None:
        if self in whole:  # wait (a while) for the scene edit to claim the version first
            try:
                await asyncio.wait_for(scene_claimed.wait(), timeout=1.5)
            except TimeoutError:
                pass
            await claim(self, project, expected)
            return
        await claim(self, project, expected)
        scene_claimed.set()

    monkeypatch.setattr(Editor, "_claim_version", held_claim)

    async def replace_storyboard() -> object:
        async with sessions() as session:
            whole.append(edit := editor(session, settings))
            return await edit.edit(
                project_id, storyboard=parse_storyboard(board), expected_version=version
            )

    async def edit_scene() -> object:
        await asyncio.sleep(0.3)  # the storyboard edit has written its scenes by now
        async with sessions() as session:
            return await editor(session, settings).edit(
                project_id,
                scene_number=2,
                scene_edit=SceneEdit(transition_notes="cut"),
                expected_version=version,
            )

    results = await asyncio.gather(replace_storyboard(), edit_scene(), return_exceptions=True)
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(refused) == 1, results
    assert type(refused[0]).__name__ == "StoryboardChangedError", repr(refused[0])
    async with sessions() as session:
        project = await load_project(session, project_id)
        assert project.storyboard_version == version + 1


async def test_an_edit_to_the_values_a_project_has_writes_nothing(
    sqlite: tuple[Settings, AsyncSession], complete_project: CompleteProject
) -> None:
    """Options, a scene's texts or the whole storyboard set to what they are: the storyboard
    version stays (no client's ETag goes stale), the status and every stale mark too."""
    settings, session = sqlite
    project_id = await complete_project(session, settings, scenes=2)
    storage = ProjectStorage(settings.projects_dir, project_id)
    project = await load_project(session, project_id)
    version, crossfade = project.storyboard_version, project.crossfade
    scene = project.scenes[1]
    document = project_document(project, storage).as_json()
    board = storyboard_document(project).as_json()
    edit = editor(session, settings)
    await edit.edit(project_id, project_edit=ProjectEdit(crossfade=crossfade))
    await edit.edit(
        project_id,
        scene_number=2,
        scene_edit=SceneEdit(
            video_motion_prompt=scene.video_motion_prompt, narration=scene.narration or ""
        ),
    )
    await edit.edit(project_id, storyboard=parse_storyboard(board))
    project = await load_project(session, project_id)
    assert project.storyboard_version == version
    assert (project.status, project.stale_stage) == ("complete", None)
    after = project_document(project, storage).as_json()
    assert json.dumps(after) == json.dumps(document)
    # a real change still moves it on
    await edit.edit(project_id, project_edit=ProjectEdit(crossfade=crossfade + 0.25))
    assert (await load_project(session, project_id)).storyboard_version == version + 1
