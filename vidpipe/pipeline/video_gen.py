"""Step 3: one clip per scene, scenes in parallel under a cap.

Each take: submit → commit the operation id → wait → write to a temporary name → rename →
commit `complete`. A resume finds the operation id and waits on it instead of submitting again
(paid once). Content-safety rejections and time-outs mark the clip and let the other scenes go on.

A clip is made in a *round* of K takes (`--takes K`), one after another; the round's
take numbers are committed as each lands, so a resume counts them toward K instead of paying for
them again; the round ends by selecting the take with the best fidelity.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from vidpipe.db.models import (
    Project,
    ProviderCall,
    Scene,
    Take,
    VideoClip,
    clip_seconds,
    keyframe_of,
    utcnow,
)
from vidpipe.db.statuses import ClipStatus, ProjectStatus
from vidpipe.errors import (
    ContentFilteredError,
    OperationFailedError,
    PipelineError,
    ProviderTimeoutError,
)
from vidpipe.media.clipcheck import UnusableClipError, check_clip
from vidpipe.media.probe import MediaReadError, is_playable_video
from vidpipe.pipeline.context import (
    PipelineContext,
    ProgressEvent,
    maybe_sent,
    settle_dropped_request,
    settle_ok,
    settle_unbilled_failure,
)
from vidpipe.pipeline.fingerprints import clip_fingerprint, file_hash
from vidpipe.pipeline.sound_fields import clip_sound, ignored_sound_warning
from vidpipe.pipeline.takes import (
    best_take,
    next_take_number,
    point_clip_at,
    takes_wanted,
    with_direction,
)
from vidpipe.providers.base import (
    ClipOutcome,
    ProgressFn,
    StyleGuide,
    VideoProvider,
    VideoRequest,
    VideoResult,
    frame_size,
)
from vidpipe.providers.billing import Outcome, outcome_of
from vidpipe.providers.catalog import model_key_of
from vidpipe.storage import ProjectStorage

log = logging.getLogger(__name__)

STEP = "video_gen"
STAGE = ProjectStatus.VIDEO_GEN  # the project's status while clips are made
TERMINAL_MISSES = frozenset({ClipStatus.RAI_FILTERED, ClipStatus.TIMED_OUT})


def clip_is_done(
    scene: Scene,
    storage: ProjectStorage,
    expected: str | None = None,
) -> bool:
    """Finished for this stage: a playable clip, or a miss that the stitch will skip,
    made from the current inputs (`expected`: its fingerprint now; None skips that check)."""
    clip = scene.clip
    if clip is None or clip.round_takes is not None:  # none yet, or a round of takes under way
        return False
    if expected is not None and clip.fingerprint is not None and clip.fingerprint != expected:
        return False  # stale: its frames, motion prompt or options changed
    if clip.status in TERMINAL_MISSES:
        return True
    return (
        clip.status == ClipStatus.COMPLETE
        and clip.file_path is not None
        and is_playable_video(storage.resolve(clip.file_path))
    )


def expected_clip_fingerprint(
    project: Project, scene: Scene, storage: ProjectStorage, provider: VideoProvider
) -> str | None:
    """The fingerprint a current clip of `scene` has; None while its keyframes are missing.
    A model without an end frame is given none: its clip depends on the start frame alone."""
    start, end = keyframe_of(scene, "start"), keyframe_of(scene, "end")
    if start is None or (end is None and provider.takes_end_frame):
        return None
    try:
        start_hash = start.content_hash or file_hash(storage.resolve(start.file_path))
        end_hash = ""
        if provider.takes_end_frame and end is not None:
            end_hash = end.content_hash or file_hash(storage.resolve(end.file_path))
    except OSError:
        return None
    return clip_fingerprint(project, provider, scene, start_hash, end_hash)


async def generate_videos(session: AsyncSession, project: Project, ctx: PipelineContext) -> None:
    """Animate the scenes the run's plan lists; each waits until its two keyframes exist.

    A clip whose submission got no answer (`submit_unknown`) is not sent again until the user
    agrees (orchestrator.projects.approve_resubmissions): the other scenes go on, then the step
    fails naming it.
    """
    planned = ctx.planned().clip_scene_indexes
    scenes = [scene for scene in project.scenes if scene.scene_index in planned]
    provider = ctx.providers.video
    width, height = frame_size(project.aspect_ratio, project.resolution)
    cap = provider.capabilities.concurrency_for(width, height)
    if ctx.settings.video_concurrency is not None:
        cap = min(cap, ctx.settings.video_concurrency)
    gate = asyncio.Semaphore(cap)
    total = len(project.scenes)
    at_once = min(cap, len(scenes))  # never "up to 256 at once" for 2 scenes
    said = f"up to {at_once} scenes at once" if at_once > 1 else "one scene at a time"
    ctx.report(ProgressEvent("item", STAGE, f"Animating {said}", total=total))
    await _settle_interrupted_submissions(session, project, provider, ctx)
    _warn_of_ignored_sound(project, provider, ctx)
    if not provider.takes_end_frame:
        await _generate_chained(session, project, ctx)
        return
    unknown: list[Scene] = []

    async def one(scene: Scene) -> None:
        await ctx.scenes_ready.wait(scene.scene_index)
        video = ctx.providers.video_for(scene.scene_index)
        expected = expected_clip_fingerprint(project, scene, ctx.storage, video)
        await _start_new_take_if_stale(session, scene, expected, ctx)
        if _awaits_consent(scene):
            unknown.append(scene)
            return
        async with gate, _global_slot(session, provider, cap, ctx):
            await _make_clip(session, project, scene, ctx)
        if _awaits_consent(scene):
            unknown.append(scene)

    async with asyncio.TaskGroup() as group:
        for scene in scenes:
            group.create_task(one(scene))
    if unknown:
        raise SubmissionUnknownError(_unknown_message(sorted(s.scene_index for s in unknown)))


async def _generate_chained(session: AsyncSession, project: Project, ctx: PipelineContext) -> None:
    """A model without an end frame: scene by scene, each clip from its start frame, and the
    next scene's start frame is this clip's real last frame (so every cut is seamless). A clip
    made anew makes every later one stale (its start frame changed), so the plan lists them all;
    one whose start frame came out the same as before is current again when its turn comes and
    is not bought twice (ninja's "restat": the plan cannot know the new frame in advance)."""
    from vidpipe.pipeline.keyframes import chain_from_clip

    provider = ctx.providers.video
    width, height = frame_size(project.aspect_ratio, project.resolution)
    cap = provider.capabilities.concurrency_for(width, height)
    planned = ctx.planned().clip_scene_indexes
    await ctx.scenes_ready.wait(0)
    for scene in list(project.scenes):
        expected = expected_clip_fingerprint(project, scene, ctx.storage, provider)
        if expected is None:
            raise RuntimeError(
                f"scene {scene.scene_index + 1} has no start frame; resume redraws the chain"
            )
        if scene.scene_index in planned and not clip_is_done(scene, ctx.storage, expected):
            await _start_new_take_if_stale(session, scene, expected, ctx)
            if not _awaits_consent(scene):
                async with _global_slot(session, provider, cap, ctx):
                    await _make_clip(session, project, scene, ctx)
            if _awaits_consent(scene):
                raise SubmissionUnknownError(_unknown_message([scene.scene_index]))
        clip = scene.clip
        assert clip is not None
        if clip.status != ClipStatus.COMPLETE:
            raise OperationFailedError(
                f"the clip of scene {scene.scene_index + 1} is {clip.status}: the next scene "
                "starts from its last frame, so make a new take of that clip (redo) to go on"
            )
        await chain_from_clip(session, project, scene, ctx)


def _warn_of_ignored_sound(project: Project, provider: VideoProvider, ctx: PipelineContext) -> None:
    """Once per run: the scenes' sound texts that this video model cannot make."""
    warning = ignored_sound_warning(project, provider)
    if warning is not None:
        log.warning("warning: %s", warning)
        ctx.report(ProgressEvent("item", STAGE, f"warning: {warning}"))


def _global_slot(
    session: AsyncSession, provider: VideoProvider, cap: int, ctx: PipelineContext
) -> contextlib.AbstractAsyncContextManager[object]:
    """In queue mode the cap holds across every worker: one PostgreSQL slot per clip
    being made, freed when it is done, or when the lease of a holder that died runs out."""
    if ctx.settings.execution != "queue":
        return contextlib.nullcontext()
    from vidpipe.db.limits import global_slot

    engine = session.bind
    assert isinstance(engine, AsyncEngine)
    return global_slot(
        engine,
        f"{provider.provider_id}:video",
        cap,
        holder=f"run:{ctx.run_id}",
        lease_seconds=ctx.settings.slot_lease_seconds,
    )


class SubmissionUnknownError(RuntimeError):
    """A clip's submission got no answer; it may have been accepted and billed."""


def _unknown_message(indexes: list[int]) -> str:
    which = ", ".join(str(i + 1) for i in indexes)
    noun = "scene" if len(indexes) == 1 else "scenes"
    return (
        f"the clip submission of {noun} {which} got no answer: it may have been accepted and "
        "billed, so vidpipe did not send it again; resume and confirm to resubmit (it may be "
        "billed twice)"
    )


async def _start_new_take_if_stale(
    session: AsyncSession, scene: Scene, expected: str | None, ctx: PipelineContext
) -> None:
    """A clip made (or being made) from other inputs: its row starts a new take; the old take's
    file and Take row stay. An operation still running for old inputs is abandoned."""
    clip = scene.clip
    if clip is None or clip.fingerprint is None or clip.fingerprint == expected:
        return
    async with ctx.db_lock:
        clip.status, clip.operation_id, clip.file_path = ClipStatus.PENDING, None, None
        clip.error_message, clip.fingerprint, clip.round_takes = None, None, None
        clip.duration_seconds = clip.has_audio = clip.submitted_at = clip.completed_at = None
        await session.commit()


def _awaits_consent(scene: Scene) -> bool:
    clip = scene.clip
    return clip is not None and clip.status == ClipStatus.SUBMIT_UNKNOWN


async def _settle_interrupted_submissions(
    session: AsyncSession, project: Project, provider: VideoProvider, ctx: PipelineContext
) -> None:
    """Clips a previous run left mid-submission or waiting (we hold the lease: nobody else is
    sending).

    An id the service gave or the client chose is asked about: known → wait on it; unknown →
    send it again (the same id, when client-chosen): it never arrived, or the service dropped it
    unmade (a stop cancelled it while queued), so its ledger row is settled as not billed.
    Without an id, the ledger tells: no attempt recorded → it was never sent (sent now); an
    attempt recorded → the outcome is unknown: `submit_unknown`, re-sent only with consent.
    """
    # A free provider (local, sim) cannot bill twice: its interrupted submissions are just re-sent.
    billed = provider.estimate_cost(seconds=project.clip_duration) > 0
    async with ctx.db_lock:
        for scene in project.scenes:
            clip = scene.clip
            if clip is None or clip.provider != provider.provider_id:
                continue
            if (
                not billed
                and clip.status in (ClipStatus.SUBMITTING, ClipStatus.SUBMIT_UNKNOWN)
                and not clip.operation_id
            ):
                # nothing to look up, and sending again costs nothing
                clip.status = ClipStatus.PENDING
                continue
            if clip.status not in (ClipStatus.SUBMITTING, ClipStatus.SUBMITTED):
                continue
            if clip.operation_id is None:
                if clip.status == ClipStatus.SUBMITTING:
                    await _settle_unanswered_submission(session, project, scene)
                continue
            state = await provider.operation_state(clip.operation_id)
            if state in ("pending", "done"):
                clip.status = ClipStatus.SUBMITTED
            elif state == "unknown":
                await settle_dropped_request(session, project.id, operation_id=clip.operation_id)
                clip.status = ClipStatus.PENDING  # re-sent (with the same id, if client-chosen)
            elif clip.status == ClipStatus.SUBMITTING:  # the id cannot be looked up
                await _settle_unanswered_submission(session, project, scene)
        await session.commit()


async def _settle_unanswered_submission(
    session: AsyncSession, project: Project, scene: Scene
) -> None:
    """A submission stopped before its answer came, with no id to ask about: sent again at once
    when the ledger shows no attempt of it left (it was stopped before sending), else it waits
    for the user's consent (it may have been accepted and billed)."""
    clip = scene.clip
    assert clip is not None
    if clip.submission is not None and not await maybe_sent(session, project.id, clip.submission):
        clip.status, clip.error_message = ClipStatus.PENDING, None
        return
    clip.status, clip.error_message = ClipStatus.SUBMIT_UNKNOWN, _interrupted(scene)


def _interrupted(scene: Scene) -> str:
    return (
        f"vidpipe stopped while sending the clip of scene {scene.scene_index + 1}; the request "
        "may have been accepted and billed"
    )


async def _make_clip(
    session: AsyncSession, project: Project, scene: Scene, ctx: PipelineContext
) -> None:
    """A round of K takes, then the best by fidelity is selected. Takes already made in this
    round count toward K; a submitted take is collected, not sent again. A miss (rejection,
    time-out) ends the round with the takes made so far; an unknown outcome leaves it open."""
    provider = ctx.providers.video_for(scene.scene_index)
    async with ctx.db_lock:
        clip = scene.clip
        if clip is None:
            clip = scene.clip = VideoClip(status=ClipStatus.PENDING, provider=provider.provider_id)
        elif clip.provider != provider.provider_id:
            # another provider makes this scene's clip now (a take on another model): the row
            # starts over in place (its takes stay in the takes table)
            clip.provider, clip.operation_id = provider.provider_id, None
            clip.status = ClipStatus.PENDING
            clip.file_path = clip.submitted_at = clip.completed_at = None
            clip.error_message = None
        if clip.round_takes is None:
            clip.round_takes = []
        await session.commit()
    while len(clip.round_takes or []) < takes_wanted(project, clip):
        if clip.status == ClipStatus.COMPLETE:  # the round's previous take is in: the next one
            async with ctx.db_lock:
                clip.status, clip.operation_id, clip.file_path = ClipStatus.PENDING, None, None
                clip.submitted_at = clip.completed_at = None
                await session.commit()
        await _make_take(session, project, scene, ctx)
        if clip.status == ClipStatus.SUBMIT_UNKNOWN:
            return  # re-sent only with the user's consent; the round goes on after it
        if clip.status != ClipStatus.COMPLETE:
            break
    await _finish_round(session, project, scene, ctx)


async def _finish_round(
    session: AsyncSession, project: Project, scene: Scene, ctx: PipelineContext
) -> None:
    """Select the round's best take (by fidelity) and close the round."""
    clip = scene.clip
    assert clip is not None
    async with ctx.db_lock:
        numbers = list(clip.round_takes or [])
        if numbers:
            made = list(
                await session.scalars(
                    select(Take).where(
                        Take.project_id == project.id,
                        Take.scene_index == scene.scene_index,
                        Take.slot == "clip",
                        Take.number.in_(numbers),
                    )
                )
            )
            if made:
                best = best_take(made)
                if best.number != clip.take or clip.status != ClipStatus.COMPLETE:
                    point_clip_at(clip, best)  # else the row is that take (operation id kept)
                if len(made) > 1:
                    best.auto_selected = True
        clip.round_takes = clip.takes_wanted = clip.direction = None  # direction: this round only
        await session.commit()


def made_from(project: Project, scene: Scene) -> dict[str, Any]:
    """What a clip take is made from, kept with it so `select` can tell whether it still fits
    the frames and options in use."""
    start, end = keyframe_of(scene, "start"), keyframe_of(scene, "end")
    return {
        "start": start.content_hash if start is not None else None,
        "end": end.content_hash if end is not None else None,
        "duration": project.clip_duration,
        "size": list(frame_size(project.aspect_ratio, project.resolution)),
        "fps": project.fps,
    }


async def _make_take(
    session: AsyncSession, project: Project, scene: Scene, ctx: PipelineContext
) -> None:
    """One take: submit (or collect the submitted one), wait, publish, record it."""
    provider = ctx.providers.video_for(scene.scene_index)
    request = _request(project, scene, ctx)
    index = scene.scene_index
    clip = scene.clip
    assert clip is not None
    wanted, made = takes_wanted(project, clip), len(clip.round_takes or [])
    label = f"Scene {index + 1}" + (f", take {made + 1}/{wanted}" if wanted > 1 else "")

    def progress(fraction: float) -> None:  # called from a worker thread by some providers
        overall = (made + fraction) / wanted  # the scene's item spans its K takes
        event = ProgressEvent("item", STAGE, label, scene_index=index, fraction=overall)
        ctx.report(event)

    if clip.status not in (ClipStatus.SUBMITTED, ClipStatus.COMPLETE) or clip.operation_id is None:
        if not await _submit(session, project, scene, request, ctx):
            return
        request = _request(project, scene, ctx)  # with the take number it was given
    relative = ctx.storage.clip_name(index, clip.take)
    progress(0.0)
    assert clip.operation_id is not None
    tmp = ctx.storage.temporary_path(relative)
    try:
        try:
            result = await _wait(provider, clip.operation_id, request, tmp, progress)
        except OperationFailedError as exc:
            await _forget_operation(session, project, clip, str(exc), ctx, billed=exc.billed)
            raise
        except asyncio.CancelledError:  # a stop: a request the service dropped costs nothing
            if provider.was_dropped(clip.operation_id):
                ctx.dropped.add(clip.operation_id)
            raise
        if result.outcome is not ClipOutcome.COMPLETE:
            await _mark(session, clip, result.outcome.value, result.message, ctx)
            return
        try:
            info = check_clip(tmp, request.duration)
        except UnusableClipError as exc:  # waiting on it again cannot help; a new take can
            await _forget_operation(session, project, clip, f"the clip is unusable: {exc}", ctx)
            raise
        ctx.storage.publish(tmp, relative)
    finally:
        tmp.unlink(missing_ok=True)
    path = ctx.storage.resolve(relative)
    content_hash = await asyncio.to_thread(file_hash, path)
    score = await asyncio.to_thread(_fidelity, path, request)
    async with ctx.db_lock:
        clip.status, clip.file_path, clip.completed_at = ClipStatus.COMPLETE, relative, utcnow()
        clip.duration_seconds, clip.has_audio = info.duration, info.has_audio
        clip.content_hash = content_hash
        session.add(
            Take(
                project_id=project.id,
                scene_index=index,
                slot="clip",
                number=clip.take,
                file_path=relative,
                fingerprint=clip.fingerprint,
                content_hash=content_hash,
                provider=provider.provider_id,
                model=model_key_of(provider),
                cost=provider.estimate_cost(seconds=clip_seconds(project, scene)),
                direction=clip.direction,
                fidelity=score,
                duration_seconds=info.duration,
                has_audio=info.has_audio,
                prompt=scene.video_motion_prompt,
                made_from=made_from(project, scene),
            )
        )
        clip.round_takes = [*(clip.round_takes or []), clip.take]
        await session.commit()
    ctx.report(ProgressEvent("item", STAGE, f"{label} done", index, fraction=(made + 1) / wanted))


def _fidelity(clip: Path, request: VideoRequest) -> float | None:
    from vidpipe.media.frames import fidelity  # NumPy: loaded only when a clip is made

    try:
        return fidelity(clip, request.start_image, request.end_image)
    except (MediaReadError, OSError, ValueError):
        return None


async def _submit(
    session: AsyncSession,
    project: Project,
    scene: Scene,
    request: VideoRequest,
    ctx: PipelineContext,
) -> bool:
    """Send the clip's submission; True when it was accepted and its id is committed.

    `submitting` (with the client-chosen id, if any) is committed before the request leaves and
    the ledger row before each attempt, so a crash in between is found by the next run. A lost
    answer leaves `submit_unknown` (False): never sent again here.
    """
    provider = ctx.providers.video_for(scene.scene_index)
    clip = scene.clip
    assert clip is not None
    async with ctx.db_lock:
        reuse = clip.status == ClipStatus.PENDING and clip.operation_id is not None
        chosen = clip.operation_id if reuse else provider.new_operation_id()
        if not reuse:
            clip.take = await next_take_number(session, project.id, scene.scene_index, "clip")
        request = dataclasses.replace(request, take=clip.take)
        clip.fingerprint = expected_clip_fingerprint(project, scene, ctx.storage, provider)
        clip.operation_id, clip.status, clip.error_message = chosen, ClipStatus.SUBMITTING, None
        clip.submission = uuid.uuid4().hex  # on the ledger row of each attempt
        await session.commit()

    async def send() -> str:
        if chosen is not None:
            return await provider.submit(request, operation_id=chosen)  # type: ignore[call-arg]
        return await provider.submit(request)

    accepted: list[ProviderCall] = []
    try:
        operation_id = await ctx.paid(
            session,
            project,
            provider,
            send,
            step=STEP,
            cost=provider.estimate_cost(seconds=clip_seconds(project, scene)),
            detail=f"scene {request.scene_index + 1} clip",
            settle_with=accepted,
            submission=clip.submission,
        )
    except Exception as exc:
        unknown = outcome_of(exc) is Outcome.UNKNOWN
        async with ctx.db_lock:
            clip.status = ClipStatus.SUBMIT_UNKNOWN if unknown else ClipStatus.PENDING
            clip.error_message = f"{exc}" if unknown else None
            await session.commit()
        if unknown:
            return False
        raise
    async with ctx.db_lock:
        for row in accepted:  # the ledger names the request it paid for
            row.operation_id = operation_id
        settle_ok(accepted)
        clip.operation_id, clip.status = operation_id, ClipStatus.SUBMITTED
        clip.submitted_at = utcnow()
        await session.commit()  # the id is durable before the first poll (never pay twice)
    return True


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
    session: AsyncSession,
    project: Project,
    clip: VideoClip,
    message: str,
    ctx: PipelineContext,
    *,
    billed: bool = True,
) -> None:
    """The provider's operation failed for good: polling it again cannot help, so resume
    submits the clip afresh (and pays for it again, which the ledger shows). A failure the
    service does not bill (`billed` False: its own server error) settles the attempt that
    started the operation as not billed, in the same commit."""
    async with ctx.db_lock:
        if not billed and clip.operation_id is not None:
            await settle_unbilled_failure(
                session, project.id, operation_id=clip.operation_id, note=message
            )
        clip.status, clip.operation_id, clip.error_message = ClipStatus.FAILED, None, message
        await session.commit()


async def _mark(
    session: AsyncSession, clip: VideoClip, status: str, message: str, ctx: PipelineContext
) -> None:
    async with ctx.db_lock:
        clip.status, clip.error_message, clip.completed_at = status, message, utcnow()
        await session.commit()


def _request(project: Project, scene: Scene, ctx: PipelineContext) -> VideoRequest:
    start, end = keyframe_of(scene, "start"), keyframe_of(scene, "end")
    if start is not None and not ctx.providers.video.takes_end_frame:
        end = start  # the model takes no end frame: nothing is sent for it
    if start is None or end is None:
        raise PipelineError(f"scene {scene.scene_index + 1} has no keyframes; resume redraws them")
    width, height = frame_size(project.aspect_ratio, project.resolution)
    direction = scene.clip.direction if scene.clip is not None else None
    dialogue, sound = clip_sound(scene, ctx.providers.video)
    return VideoRequest(
        motion_prompt=with_direction(scene.video_motion_prompt, direction),
        start_image=ctx.storage.resolve(start.file_path),
        end_image=ctx.storage.resolve(end.file_path),
        duration=clip_seconds(project, scene),
        width=width,
        height=height,
        aspect_ratio=project.aspect_ratio,
        fps=project.fps,
        scene_index=scene.scene_index,
        style_guide=StyleGuide.model_validate(project.style_guide),
        take=scene.clip.take if scene.clip is not None else 1,
        dialogue=dialogue,
        sound=sound,
    )
