"""The real pipeline on small projects, in process, on SQLite and PostgreSQL.

Asserts real outcomes: database rows, files on disk (inode and mtime), and the probed MP4.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from finished_projects import ProjectTemplates
from processes import artifacts
from remote_projects import runs_of
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vidpipe.config import Settings
from vidpipe.db.models import Keyframe, Project, ProviderCall, utcnow
from vidpipe.db.queries import load_project
from vidpipe.errors import (
    ContentFilteredError,
    NotResumableError,
    OperationFailedError,
    ProjectBusyError,
)
from vidpipe.media.probe import probe
from vidpipe.orchestrator import run_pipeline
from vidpipe.orchestrator.pipeline import restitch_project
from vidpipe.orchestrator.projects import GenerateOptions, create_project
from vidpipe.pipeline.context import ProgressEvent
from vidpipe.providers.base import ImageRequest, VideoRequest, VideoResult
from vidpipe.providers.local import LocalImageProvider, LocalVideoProvider
from vidpipe.providers.registry import ProviderRegistry, load_registry
from vidpipe.storage import ProjectStorage

# the smallest picture: rendering is not the subject
SMALL = {"scenes": 2, "clip_duration": 1.0, "resolution": "360p"}


async def new_project(session: AsyncSession, settings: Settings, **options: object) -> uuid.UUID:
    merged = {"prompt": "a red fox runs through a snowy forest at dawn", **SMALL, **options}
    project = await create_project(session, settings, GenerateOptions.model_validate(merged))
    return project.id


def failing_ffmpeg(tmp_path: Path) -> str:
    script = tmp_path / "broken-ffmpeg"
    script.write_text("#!/bin/sh\necho 'broken on purpose' >&2\nexit 1\n")
    script.chmod(0o755)
    return str(script)


async def test_generate_runs_to_complete_with_rows_files_and_a_real_mp4(
    session: AsyncSession, settings: Settings
) -> None:
    project_id = await new_project(session, settings)
    events: list[str] = []
    project = await run_pipeline(
        session,
        project_id,
        lambda e: events.append(str(e)),
        settings=settings,
        registry=load_registry(),
    )

    assert project.status == "complete" and project.error_message is None
    assert [s.scene_index for s in project.scenes] == [0, 1]
    assert project.style_guide and project.style_guide["color_palette"]
    storage = ProjectStorage(settings.projects_dir, project_id)
    # the keyframe chain: 3 generated images; scene 1 starts on scene 0's end file
    rows = (await session.scalars(select(Keyframe))).all()
    assert sorted((r.source, r.position) for r in rows) == [
        ("generated", "end"), ("generated", "end"), ("generated", "start"), ("inherited", "start"),
    ]  # fmt: skip
    s0_end = next(k for k in project.scenes[0].keyframes if k.position == "end")
    s1_start = next(k for k in project.scenes[1].keyframes if k.position == "start")
    assert s1_start.file_path == s0_end.file_path and s1_start.source == "inherited"
    for scene in project.scenes:
        assert scene.clip is not None and scene.clip.status == "complete"
        assert scene.clip.operation_id and scene.clip.duration_seconds == pytest.approx(
            1.0, abs=0.05
        )
    final = storage.resolve(project.output_path or "")
    assert final == storage.root.resolve() / "output" / "final.mp4"
    info = probe(final)
    assert (info.video_codec, info.width, info.height) == ("h264", 640, 360)
    assert not info.has_audio  # VIDPIPE_LOCAL_AUDIO is off by default
    assert info.duration == pytest.approx(2.0, abs=0.1)
    # the run is recorded with per-step timing, calls and cost
    (run,) = project.runs
    assert run.status == "complete" and run.completed_at and run.total_duration_seconds
    assert set(run.log) == {"storyboard", "keyframes", "video_gen", "stitch"}
    assert run.log["keyframes"]["provider_calls"] == 3
    assert run.log["video_gen"]["provider_calls"] == 2
    calls = (await session.scalars(select(ProviderCall))).all()
    assert len(calls) == 1 + 3 + 2 and all(c.cost == 0 for c in calls)
    assert any("Storyboard" in e for e in events)
    with pytest.raises(NotResumableError):
        await run_pipeline(session, project_id, settings=settings, registry=load_registry())


async def test_a_stitch_failure_is_recorded_and_resume_regenerates_nothing(
    session: AsyncSession, settings: Settings, tmp_path: Path
) -> None:
    project_id = await new_project(session, settings)
    broken = settings.model_copy(update={"ffmpeg": failing_ffmpeg(tmp_path)})
    with pytest.raises(Exception, match="broken on purpose|exit"):
        await run_pipeline(session, project_id, settings=broken, registry=load_registry())
    project = await load_project(session, project_id)
    assert project.status == "failed"
    assert project.error_message and project.error_message.startswith("stitch failed: FFmpegError:")
    assert project.runs[-1].status == "failed" and project.runs[-1].error == project.error_message

    root = ProjectStorage(settings.projects_dir, project_id).root
    before = artifacts(root)
    assert len(before) == 3 + 2
    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    assert artifacts(root) == before
    assert len(project.runs) == 2 and "keyframes" not in project.runs[-1].log


class ScriptedVideo(LocalVideoProvider):
    """The local renderer, with scripted faults and a record of every submission."""

    provider_id = "scripted"
    submissions: list[int] = []
    waits: list[str] = []
    reject: set[int] = set()
    fail_once: set[int] = set()
    hold: asyncio.Event | None = None
    entered: asyncio.Event | None = None

    async def submit(self, request: VideoRequest) -> str:
        type(self).submissions.append(request.scene_index)
        return await super().submit(request)

    async def wait(self, operation_id, request, dest, on_progress=None) -> VideoResult:  # type: ignore[no-untyped-def]
        cls = type(self)
        cls.waits.append(operation_id)
        if request.scene_index in cls.reject:
            raise ContentFilteredError("blocked by the safety filter (scripted)")
        if request.scene_index in cls.fail_once:
            cls.fail_once.discard(request.scene_index)
            raise OperationFailedError("the operation failed on the server (scripted)")
        if cls.hold is not None and request.scene_index == 1:
            assert cls.entered is not None
            cls.entered.set()
            await cls.hold.wait()
        return await super().wait(operation_id, request, dest, on_progress)


@pytest.fixture
def scripted(settings: Settings) -> tuple[ProviderRegistry, Settings]:
    ScriptedVideo.submissions, ScriptedVideo.waits, ScriptedVideo.reject = [], [], set()
    ScriptedVideo.fail_once = set()
    ScriptedVideo.hold = ScriptedVideo.entered = None
    registry = load_registry()
    registry.register(ScriptedVideo)
    return registry, settings.model_copy(update={"video_provider": "scripted"})


async def test_a_submitted_operation_is_polled_on_resume_never_submitted_again(
    session: AsyncSession, scripted: tuple[ProviderRegistry, Settings]
) -> None:
    registry, settings = scripted
    project_id = await new_project(session, settings)
    ScriptedVideo.hold, ScriptedVideo.entered = asyncio.Event(), asyncio.Event()
    run = asyncio.create_task(
        run_pipeline(session, project_id, settings=settings, registry=registry)
    )
    await asyncio.wait_for(ScriptedVideo.entered.wait(), 60)
    run.cancel()  # the process dies while scene 1's operation is being polled
    with pytest.raises(asyncio.CancelledError):
        await run
    project = await load_project(session, project_id)
    assert project.status == "failed" and "interrupted" in (project.error_message or "")
    clip = project.scenes[1].clip
    assert clip is not None and clip.status == "submitted" and clip.operation_id
    pending_operation = clip.operation_id

    ScriptedVideo.hold = None
    project = await run_pipeline(session, project_id, settings=settings, registry=registry)
    assert project.status == "complete"
    assert sorted(ScriptedVideo.submissions) == [0, 1]  # one submission per scene, ever
    assert ScriptedVideo.waits.count(pending_operation) == 2
    assert project.scenes[1].clip and project.scenes[1].clip.operation_id == pending_operation


async def test_a_content_filtered_scene_is_marked_and_the_rest_is_stitched(
    session: AsyncSession, scripted: tuple[ProviderRegistry, Settings]
) -> None:
    registry, settings = scripted
    ScriptedVideo.reject = {1}
    project_id = await new_project(session, settings, scenes=3)
    project = await run_pipeline(session, project_id, settings=settings, registry=registry)
    assert project.status == "complete"
    statuses = [s.clip.status if s.clip else None for s in project.scenes]
    assert statuses == ["complete", "rai_filtered", "complete"]
    assert "safety" in (project.scenes[1].clip.error_message or "")  # type: ignore[union-attr]
    storage = ProjectStorage(settings.projects_dir, project_id)
    assert probe(storage.resolve(project.output_path or "")).duration == pytest.approx(2.0, abs=0.1)
    from vidpipe.orchestrator.report import project_document

    document = project_document(project, storage).as_json()
    assert document["missing_scenes"] == [
        {
            "index": 1,
            "scene": 2,  # 1-based, as people read it; `index` stays 0-based
            "clip_status": "rai_filtered",
            "reason": "blocked by the safety filter (scripted)",
        }
    ]


async def test_one_runner_per_project(
    sessions: async_sessionmaker[AsyncSession], scripted: tuple[ProviderRegistry, Settings]
) -> None:
    registry, settings = scripted
    async with sessions() as first, sessions() as second:
        project_id = await new_project(first, settings)
        ScriptedVideo.hold, ScriptedVideo.entered = asyncio.Event(), asyncio.Event()
        run = asyncio.create_task(
            run_pipeline(first, project_id, settings=settings, registry=registry)
        )
        await asyncio.wait_for(ScriptedVideo.entered.wait(), 60)
        with pytest.raises(ProjectBusyError, match="already being run by pid"):
            await run_pipeline(second, project_id, settings=settings, registry=registry)
        ScriptedVideo.hold.set()
        assert (await run).status == "complete"
        project = await load_project(second, project_id)
        assert project.lease_owner is None and len(project.runs) == 1


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.parametrize(
    ("holder", "expires_in", "taken_over"),
    [
        ("dead-here", 3600, True),  # same host, pid gone: taken over at once
        ("elsewhere", 3600, False),  # another host, lease live: refused
        ("elsewhere", -1, True),  # another host, lease expired: taken over
    ],
)
async def test_a_dead_runners_lease_is_taken_over(
    session: AsyncSession, settings: Settings, holder: str, expires_in: int, taken_over: bool
) -> None:
    project_id = await new_project(session, settings)
    owner = (
        f"{socket.gethostname()}:{dead_pid()}:x"
        if holder == "dead-here"
        else f"far-away:{os.getpid()}:x"
    )
    await session.execute(
        update(Project)
        .where(Project.id == project_id)
        .values(lease_owner=owner, lease_expires_at=utcnow() + timedelta(seconds=expires_in))
    )
    await session.commit()
    if taken_over:
        assert (
            await run_pipeline(session, project_id, settings=settings, registry=load_registry())
        ).status == "complete"
    else:
        with pytest.raises(ProjectBusyError, match="far-away"):
            await run_pipeline(session, project_id, settings=settings, registry=load_registry())
        assert (await load_project(session, project_id)).status == "pending"


async def test_a_lost_keyframe_is_redrawn_with_everything_after_it(
    session: AsyncSession, settings: Settings, tmp_path: Path
) -> None:
    project_id = await new_project(session, settings, scenes=3)
    broken = settings.model_copy(update={"ffmpeg": failing_ffmpeg(tmp_path)})
    with pytest.raises(Exception):  # noqa: B017 - any stitch error will do
        await run_pipeline(session, project_id, settings=broken, registry=load_registry())
    root = ProjectStorage(settings.projects_dir, project_id).root
    before = artifacts(root)
    (root / "keyframes" / "scene_01_end.png").unlink()  # chain position 2 of 0..3

    project = await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    assert project.status == "complete"
    after = artifacts(root)
    kept = ["keyframes/scene_00_start.png", "keyframes/scene_00_end.png", "clips/scene_00.mp4"]
    for name in kept:
        assert after[name] == before[name], name
    # what depends on the lost frame is made again as new takes; old takes are never overwritten
    for name in ["keyframes/scene_02_end.png", "clips/scene_01.mp4", "clips/scene_02.mp4"]:
        assert after[name] == before[name], name
    new_takes = ["keyframes/scene_01_end.t2.png", "keyframes/scene_02_end.t2.png"]
    new_takes += ["clips/scene_01.t2.mp4", "clips/scene_02.t2.mp4"]
    assert set(new_takes) <= set(after) and not set(new_takes) & set(before)
    used = {k.file_path for s in project.scenes for k in s.keyframes}
    used |= {s.clip.file_path for s in project.scenes if s.clip}
    assert set(new_takes) <= used


async def render(session: AsyncSession, settings: Settings, **options: object) -> uuid.UUID:
    project_id = await new_project(session, settings, **options)
    await run_pipeline(session, project_id, settings=settings, registry=load_registry())
    return project_id


async def test_restitch_changes_only_the_output(
    session: AsyncSession, settings: Settings, project_templates: ProjectTemplates
) -> None:
    # a finished project rendered once (for SQLite and PostgreSQL alike), copied here
    complete_project = project_templates.maker(render)
    project_id = await complete_project(session, settings, scenes=3, clip_duration=2.0)
    project = await load_project(session, project_id)
    storage = ProjectStorage(settings.projects_dir, project_id)
    final = storage.resolve(project.output_path or "")
    assert probe(final).duration == pytest.approx(6.0, abs=0.1)
    before = artifacts(storage.root)

    project = await restitch_project(
        session, project_id, 0.5, settings=settings, registry=load_registry()
    )
    assert project.crossfade == 0.5 and project.status == "complete"
    assert probe(final).duration == pytest.approx(5.0, abs=0.1)
    assert artifacts(storage.root) == before
    runs = await runs_of(session, project_id)
    assert len(runs) == 2 and set(runs[-1].log) == {"stitch"}


async def test_a_failed_restitch_is_recorded_on_its_run_and_the_project_keeps_its_final(
    session: AsyncSession, settings: Settings, project_templates: ProjectTemplates, tmp_path: Path
) -> None:
    complete_project = project_templates.maker(render)
    project_id = await complete_project(session, settings, scenes=3, clip_duration=2.0)
    output = (await load_project(session, project_id)).output_path
    broken = settings.model_copy(update={"ffmpeg": failing_ffmpeg(tmp_path)})
    with pytest.raises(Exception, match="broken on purpose|exit"):
        await restitch_project(session, project_id, 0.5, settings=broken, registry=load_registry())
    project = await load_project(session, project_id)
    assert (project.status, project.crossfade, project.output_path) == ("complete", 0.0, output)
    run = project.runs[-1]
    assert run.status == "failed" and run.completed_at is not None
    assert run.error and run.error.startswith("stitch failed: FFmpegError:")


class SlowImage(LocalImageProvider):
    """Local images that take a while, to show clips starting before the chain is drawn."""

    provider_id = "slow"
    drawn_at: list[float] = []

    async def generate_image(self, request: ImageRequest) -> bytes:
        await asyncio.sleep(0.3)
        png = await super().generate_image(request)
        type(self).drawn_at.append(time.monotonic())
        return png


async def test_a_clip_starts_as_soon_as_its_keyframes_exist(
    session: AsyncSession, scripted: tuple[ProviderRegistry, Settings]
) -> None:
    registry, settings = scripted
    registry.register(SlowImage)
    SlowImage.drawn_at = []
    submitted_at: dict[int, float] = {}
    statuses: list[str] = []

    def progress(event: ProgressEvent) -> None:
        if event.kind == "stage":
            statuses.append(event.stage)
        if event.stage == "video_gen" and event.fraction == 0.0 and event.scene_index is not None:
            submitted_at.setdefault(event.scene_index, time.monotonic())

    settings = settings.model_copy(update={"image_provider": "slow"})
    project_id = await new_project(session, settings, scenes=4)
    project = await run_pipeline(
        session, project_id, progress, settings=settings, registry=registry
    )
    assert project.status == "complete"
    last_keyframe = max(SlowImage.drawn_at)
    assert len(SlowImage.drawn_at) == 5
    # scene 0's clip started after its two keyframes and before keyframe 3 of 5 was drawn (each
    # takes ≥ 0.3 s), long before the chain was finished; an order, not a timing bound
    assert SlowImage.drawn_at[1] < submitted_at[0] < SlowImage.drawn_at[2] < last_keyframe
    # status named the earliest unfinished stage: keyframing, then video_gen, then stitching
    assert statuses == ["storyboarding", "keyframing", "video_gen", "stitching", "complete"]


async def test_a_failed_operation_is_submitted_afresh_on_resume(
    session: AsyncSession, scripted: tuple[ProviderRegistry, Settings]
) -> None:
    registry, settings = scripted
    ScriptedVideo.fail_once = {1}
    project_id = await new_project(session, settings)
    with pytest.raises(OperationFailedError):
        await run_pipeline(session, project_id, settings=settings, registry=registry)
    project = await load_project(session, project_id)
    assert project.error_message == (
        "video_gen failed: OperationFailedError: the operation failed on the server (scripted)"
    )
    clip = project.scenes[1].clip
    assert clip is not None and clip.status == "failed" and clip.operation_id is None
    project = await run_pipeline(session, project_id, settings=settings, registry=registry)
    assert project.status == "complete"
    assert sorted(ScriptedVideo.submissions) == [0, 1, 1]  # scene 1 again, scene 0 never
    calls = (
        await session.scalars(select(ProviderCall).where(ProviderCall.step == "video_gen"))
    ).all()
    assert len(calls) == 3  # the ledger shows the second submission
