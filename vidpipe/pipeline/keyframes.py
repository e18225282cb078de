"""Step 2: the keyframe chain.

Chain position 0 is scene 0's start frame, drawn from its prompt; position k+1 is scene k's end
frame, drawn from the image at position k and scene k's end prompt, and is also scene k+1's start
frame (the same file, `source = inherited`). N scenes → N+1 generated images.

A position is redrawn when its row or file is missing, or its fingerprint (of inputs) differs from
the one computed from the current prompt, style and the previous image's content: then every
later position is redrawn too (each is drawn from the one before), as a new take.
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.db.models import Keyframe, Project, ProviderCall, Scene, Take, keyframe_of
from vidpipe.db.statuses import ProjectStatus
from vidpipe.pipeline.context import PipelineContext, ProgressEvent, settle_ok
from vidpipe.pipeline.fingerprints import bytes_hash, digest, file_hash, keyframe_fingerprint
from vidpipe.pipeline.references import reference_images, reference_inputs
from vidpipe.pipeline.takes import next_take_number, split_direction, with_direction
from vidpipe.providers.base import ImageRequest, Provider, StyleGuide, VideoProvider, frame_size
from vidpipe.providers.catalog import model_key_of
from vidpipe.storage import image_is_usable

STEP = "keyframes"


def chain_keyframe(scenes: list[Scene], position: int) -> Keyframe | None:
    """The generated keyframe at a chain position (0..N)."""
    return (
        keyframe_of(scenes[0], "start")
        if position == 0
        else keyframe_of(scenes[position - 1], "end")
    )


def drawn_positions(scenes: list[Scene], video: VideoProvider) -> int:
    """How many chain positions are drawn: all N+1, or only the first when the video model takes
    no end frame (each later position is then the previous clip's real last frame)."""
    return len(scenes) + 1 if video.takes_end_frame else 1


async def generate_keyframes(session: AsyncSession, project: Project, ctx: PipelineContext) -> None:
    """Draw the chain positions the run's plan lists (the first stale one and every later one),
    opening each scene's gate for its clip as its end frame lands."""
    scenes = list(project.scenes)
    total = drawn_positions(scenes, ctx.providers.video)
    positions = ctx.planned().keyframe_positions
    first_missing = positions[0] if positions else None
    done = total if first_missing is None else first_missing
    async with ctx.db_lock:
        _restore_inherited(scenes, upto=done)
        if first_missing is not None:
            _invalidate_from(scenes, first_missing)
        await session.commit()
    chained = not ctx.providers.video.takes_end_frame  # later start frames come from clips
    ready = min(done, 1) if chained else done - 1
    for scene_index in range(ready):  # scene s is ready once chain position s+1 is drawn
        ctx.scenes_ready.mark(scene_index)
    if first_missing is None:
        return
    for count, position in enumerate(positions, start=1):
        ctx.report(
            ProgressEvent(
                "item",
                ProjectStatus.KEYFRAMING,
                f"Drawing keyframe {count}/{len(positions)}",
                scene_index=max(position - 1, 0),
                fraction=position / total,
                total=total,
            )
        )
        await _draw(session, project, scenes, position, ctx)
        if position > 0 or chained:
            ctx.scenes_ready.mark(max(position - 1, 0))
    ctx.report(
        ProgressEvent(
            "done", ProjectStatus.KEYFRAMING, f"Keyframes: {len(positions)} drawn", fraction=1.0
        )
    )


def chain_slot(scenes: list[Scene], position: int) -> tuple[Scene, str, str]:
    """(scene, slot, prompt) of a chain position."""
    if position == 0:
        return scenes[0], "start", scenes[0].start_frame_prompt
    scene = scenes[position - 1]
    return scene, "end", scene.end_frame_prompt


def _restore_inherited(scenes: list[Scene], upto: int) -> None:
    """Put back any missing `inherited` start row whose source end frame is done."""
    for position in range(1, min(upto, len(scenes))):
        end_frame = chain_keyframe(scenes, position)
        if end_frame is not None and keyframe_of(scenes[position], "start") is None:
            scenes[position].keyframes.append(_inherited(end_frame))


def _invalidate_from(scenes: list[Scene], position: int) -> None:
    """Drop every keyframe and clip that depends on chain position `position` or later.

    A keyframe whose file is gone is not done; everything drawn from it downstream in the
    chain, and the clips animating between those frames, would no longer join seamlessly.
    """
    for index, scene in enumerate(scenes):
        stale = [
            k
            for k in scene.keyframes
            if (k.position == "start" and index >= position)
            or (k.position == "end" and index + 1 >= position)
        ]
        for keyframe in stale:
            scene.keyframes.remove(keyframe)
        if index + 1 >= position and scene.clip is not None:
            scene.clip = None


async def _draw(
    session: AsyncSession,
    project: Project,
    scenes: list[Scene],
    position: int,
    ctx: PipelineContext,
) -> None:
    provider = ctx.providers.image
    width, height = frame_size(project.aspect_ratio, project.resolution)
    scene, slot, prompt = chain_slot(scenes, position)
    reference, reference_hash = None, None
    if position > 0:
        previous = chain_keyframe(scenes, position - 1)
        assert previous is not None
        reference = ctx.storage.resolve(previous.file_path)
        reference_hash = previous.content_hash or file_hash(reference)
    direction = split_direction(scene.frame_direction, slot)
    references = reference_inputs(project, scenes, position, provider)
    cost = provider.estimate_cost(calls=1)
    request = ImageRequest(
        prompt=with_direction(prompt, direction),
        style_guide=StyleGuide.model_validate(project.style_guide),
        width=width,
        height=height,
        aspect_ratio=project.aspect_ratio,
        scene_index=scene.scene_index,
        reference_image=reference,
        references=reference_images(project, scenes, position, ctx.storage) if references else (),
    )
    fingerprint = keyframe_fingerprint(project, provider, prompt, reference_hash, references)
    request_id = await _request_id(session, scene, slot, fingerprint, provider, ctx)

    async def draw() -> bytes:
        if request_id is None:
            return await provider.generate_image(request)
        return await provider.generate_image(request, operation_id=request_id)  # type: ignore[call-arg]

    held: list[ProviderCall] = []  # its ledger row: settled `ok` in the commit of its rows
    png = await ctx.paid(
        session,
        project,
        provider,
        draw,
        step=STEP,
        cost=cost,
        detail=f"scene {scene.scene_index + 1} {slot} frame",
        settle_with=held,
    )
    async with ctx.db_lock:
        take = await next_take_number(session, project.id, scene.scene_index, slot)
    relative = ctx.storage.keyframe_name(scene.scene_index, slot, take)
    ctx.storage.write_bytes(relative, png)
    async with ctx.db_lock:
        keyframe = Keyframe(
            position=slot,
            source="generated",
            prompt=prompt,
            file_path=relative,
            width=width,
            height=height,
            take=take,
            fingerprint=fingerprint,
            content_hash=bytes_hash(png),
        )
        scene.keyframes.append(keyframe)
        if slot == "end" and position < len(scenes):
            scenes[position].keyframes.append(_inherited(keyframe))
        if direction is not None:
            scene.frame_direction = None  # used by this take only
        scene.pending_frame_request = None
        settle_ok(held)  # the image, its rows and its ledger settlement: one commit
        session.add(
            Take(
                project_id=project.id,
                scene_index=scene.scene_index,
                slot=slot,
                number=take,
                file_path=relative,
                fingerprint=keyframe.fingerprint,
                content_hash=keyframe.content_hash,
                provider=provider.provider_id,
                model=model_key_of(provider),
                cost=cost,
                direction=direction,
                prompt=prompt,
            )
        )
        await session.commit()


async def _request_id(
    session: AsyncSession,
    scene: Scene,
    slot: str,
    fingerprint: str,
    provider: Provider,
    ctx: PipelineContext,
) -> str | None:
    """For providers that take client-chosen ids (ComfyUI): the id of this frame's request,
    committed before it is sent; a run killed meanwhile left one, which is used again, so the
    provider collects that request instead of making (and billing) it twice."""
    choose = getattr(provider, "new_operation_id", None)
    if choose is None:
        return None
    left = split_direction(scene.pending_frame_request, slot)  # "<fingerprint>|<id>"
    if left and left.partition("|")[0] == fingerprint:  # the same request: collect it
        return left.partition("|")[2]
    chosen = choose()
    if chosen is None:
        return None
    async with ctx.db_lock:
        scene.pending_frame_request = f"{slot}:{fingerprint}|{chosen}"
        await session.commit()
    return chosen


def _inherited(end_frame: Keyframe) -> Keyframe:
    return Keyframe(
        position="start",
        source="inherited",
        prompt=end_frame.prompt,
        file_path=end_frame.file_path,
        width=end_frame.width,
        height=end_frame.height,
        take=end_frame.take,
        fingerprint=end_frame.fingerprint,
        content_hash=end_frame.content_hash,
    )


async def chain_from_clip(
    session: AsyncSession, project: Project, scene: Scene, ctx: PipelineContext
) -> None:
    """For a video model without an end frame: scene k's end keyframe is its clip's real last
    frame (extracted, fingerprinted by the clip's content), and scene k+1 starts from it, so the
    cut between them is seamless however far the clip strayed. Nothing is done when the frames
    already come from this clip."""
    clip = scene.clip
    assert clip is not None and clip.file_path is not None and clip.content_hash is not None
    fingerprint = digest("extracted", clip.content_hash)
    current = keyframe_of(scene, "end")
    scenes = list(project.scenes)
    following = scenes[scene.scene_index + 1] if scene.scene_index + 1 < len(scenes) else None
    if (
        current is not None
        and current.fingerprint == fingerprint
        and image_is_usable(ctx.storage.resolve(current.file_path))
        and (following is None or keyframe_of(following, "start") is not None)
    ):
        return
    png = await asyncio.to_thread(_last_frame_png, ctx.storage.resolve(clip.file_path))
    width, height = frame_size(project.aspect_ratio, project.resolution)
    async with ctx.db_lock:
        take = await next_take_number(session, project.id, scene.scene_index, "end")
    relative = ctx.storage.keyframe_name(scene.scene_index, "end", take)
    ctx.storage.write_bytes(relative, png)
    async with ctx.db_lock:
        keyframe = Keyframe(
            position="end",
            source="extracted",
            prompt=scene.end_frame_prompt,
            file_path=relative,
            width=width,
            height=height,
            take=take,
            fingerprint=fingerprint,
            content_hash=bytes_hash(png),
        )
        for old in [k for k in scene.keyframes if k.position == "end"]:
            scene.keyframes.remove(old)
        if following is not None:
            for old in [k for k in following.keyframes if k.position == "start"]:
                following.keyframes.remove(old)
        await session.flush()  # the old rows go before the new ones (one row per position)
        scene.keyframes.append(keyframe)
        if following is not None:
            following.keyframes.append(_inherited(keyframe))
        session.add(
            Take(
                project_id=project.id,
                scene_index=scene.scene_index,
                slot="end",
                number=take,
                file_path=relative,
                fingerprint=fingerprint,
                content_hash=keyframe.content_hash,
                provider="extracted",
                cost=0.0,
            )
        )
        await session.commit()


def _last_frame_png(clip: Path) -> bytes:
    from PIL import Image

    from vidpipe.media.frames import read_frames_at  # NumPy: loaded only when used

    (last,) = read_frames_at(clip, [-1])
    out = io.BytesIO()
    Image.fromarray(last).save(out, format="PNG")
    return out.getvalue()
