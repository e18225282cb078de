"""Step 3: one clip per scene, scenes in parallel under a cap.

Each clip: submit → commit the operation id → wait → write to a temporary name → rename →
commit `complete`. A resume finds the operation id and waits on it instead of submitting again
(CORE-3). Content-safety rejections and time-outs mark the clip and let the other scenes go on.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.db.models import Project, Scene, VideoClip, utcnow
from vidpipe.errors import ContentFilteredError, OperationFailedError, ProviderTimeoutError
from vidpipe.media.clipcheck import check_clip
from vidpipe.media.probe import is_playable_video
from vidpipe.pipeline.context import PipelineContext, ProgressEvent
from vidpipe.pipeline.keyframes import keyframe_of
from vidpipe.providers.base import (
    ClipOutcome,
    ProgressFn,
    StyleGuide,
    VideoProvider,
    VideoRequest,
    VideoResult,
    frame_size,
)
from vidpipe.storage import ProjectStorage

STEP = "video_gen"
TERMINAL_MISSES = frozenset({ClipOutcome.RAI_FILTERED.value, ClipOutcome.TIMED_OUT.value})


def clip_is_done(scene: Scene, storage: ProjectStorage) -> bool:
    """Finished for this stage: a playable clip, or a miss that the stitch will skip (CORE-8)."""
    clip = scene.clip
    if clip is None:
        return False
    if clip.status in TERMINAL_MISSES:
        return True
    return (
        clip.status == "complete"
        and clip.file_path is not None
        and is_playable_video(storage.resolve(clip.file_path))
    )


async def generate_videos(session: AsyncSession, project: Project, ctx: PipelineContext) -> None:
    """Animate every scene that is not done; each waits until its two keyframes exist."""
    scenes = list(project.scenes)
    provider = ctx.providers.video
    width, height = frame_size(project.aspect_ratio, project.resolution)
    cap = provider.capabilities.concurrency_for(width, height)
    if ctx.settings.video_concurrency is not None:
        cap = min(cap, ctx.settings.video_concurrency)
    gate = asyncio.Semaphore(cap)
    total = len(scenes)
    ctx.report(
        ProgressEvent("item", "video_gen", f"Animating up to {cap} scenes at once", total=total)
    )

    async def one(scene: Scene) -> None:
        await ctx.scenes_ready.wait(scene.scene_index)
        if clip_is_done(scene, ctx.storage):
            return
        async with gate:
            await _make_clip(session, project, scene, ctx)

    async with asyncio.TaskGroup() as group:
        for scene in scenes:
            group.create_task(one(scene))


async def _make_clip(
    session: AsyncSession, project: Project, scene: Scene, ctx: PipelineContext
) -> None:
    provider = ctx.providers.video
    request = _request(project, scene, ctx)
    relative = ctx.storage.clip_name(scene.scene_index)
    index = scene.scene_index

    def progress(fraction: float) -> None:  # called from a worker thread by some providers
        event = ProgressEvent(
            "item", "video_gen", f"Scene {index + 1}", scene_index=index, fraction=fraction
        )
        ctx.report(event)

    async with ctx.db_lock:
        clip = scene.clip
        if clip is None or clip.provider != provider.provider_id:
            clip = scene.clip = VideoClip(status="pending", provider=provider.provider_id)
            await session.commit()
        if clip.operation_id is None:
            cost = provider.estimate_cost(seconds=project.clip_duration)
            await ctx.ensure_budget(session, project, cost)
            clip.operation_id = await provider.submit(request)
            clip.status, clip.submitted_at, clip.error_message = "submitted", utcnow(), None
            ctx.record_call(
                session, project, step=STEP, provider=provider, cost=cost, detail=f"scene {index}"
            )
            await session.commit()  # id and ledger are durable before the first poll (CORE-3)
    progress(0.0)
    tmp = ctx.storage.temporary_path(relative)
    try:
        try:
            result = await _wait(provider, clip.operation_id, request, tmp, progress)
        except OperationFailedError as exc:
            await _forget_operation(session, clip, str(exc), ctx)
            raise
        if result.outcome is not ClipOutcome.COMPLETE:
            await _mark(session, clip, result.outcome.value, result.message, ctx)
            return
        info = check_clip(tmp, request.duration)
        ctx.storage.publish(tmp, relative)
    finally:
        tmp.unlink(missing_ok=True)
    async with ctx.db_lock:
        clip.status, clip.file_path, clip.completed_at = "complete", relative, utcnow()
        clip.duration_seconds, clip.has_audio = info.duration, info.has_audio
        await session.commit()
    ctx.report(ProgressEvent("item", "video_gen", f"Scene {index + 1} done", index, fraction=1.0))


async def _wait(
    provider: VideoProvider,
    operation_id: str,
    request: VideoRequest,
    dest: Path,
    progress: ProgressFn,
) -> VideoResult:
    """The provider's outcome, with rejections and time-outs as outcomes rather than errors."""
    try:
        return await provider.wait(operation_id, request, dest, progress)
    except ContentFilteredError as exc:
        return VideoResult(ClipOutcome.RAI_FILTERED, str(exc))
    except ProviderTimeoutError as exc:
        return VideoResult(ClipOutcome.TIMED_OUT, str(exc))


async def _forget_operation(
    session: AsyncSession, clip: VideoClip, message: str, ctx: PipelineContext
) -> None:
    """The provider's operation failed for good: polling it again cannot help, so resume
    submits the clip afresh (and pays for it again, which the ledger shows)."""
    async with ctx.db_lock:
        clip.status, clip.operation_id, clip.error_message = "failed", None, message
        await session.commit()


async def _mark(
    session: AsyncSession, clip: VideoClip, status: str, message: str, ctx: PipelineContext
) -> None:
    async with ctx.db_lock:
        clip.status, clip.error_message, clip.completed_at = status, message, utcnow()
        await session.commit()


def _request(project: Project, scene: Scene, ctx: PipelineContext) -> VideoRequest:
    start, end = keyframe_of(scene, "start"), keyframe_of(scene, "end")
    if start is None or end is None:
        raise RuntimeError(f"scene {scene.scene_index} has no keyframes; resume redraws them")
    width, height = frame_size(project.aspect_ratio, project.resolution)
    return VideoRequest(
        motion_prompt=scene.video_motion_prompt,
        start_image=ctx.storage.resolve(start.file_path),
        end_image=ctx.storage.resolve(end.file_path),
        duration=project.clip_duration,
        width=width,
        height=height,
        aspect_ratio=project.aspect_ratio,
        fps=project.fps,
        scene_index=scene.scene_index,
        style_guide=StyleGuide.model_validate(project.style_guide),
    )
