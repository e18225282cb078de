"""Selecting a take: point a scene's clip or keyframe at an older (or newer) take.

A chosen take is accepted for the inputs of now (the user picked it). Choosing another keyframe
changes the inputs of everything drawn or animated from it; where a take made from exactly those
inputs already exists (e.g. going back after a `redo --end-frame`), it is selected again instead
of being paid for twice; the rest is stale and `plan` shows it. Nothing is ever deleted.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vidpipe.db.models import Keyframe, Project, Scene, Take, VideoClip, keyframe_of
from vidpipe.db.statuses import ClipStatus
from vidpipe.errors import BadInputError, GuidedError, NextStep
from vidpipe.pipeline.fingerprints import file_hash, keyframe_fingerprint
from vidpipe.pipeline.keyframes import chain_keyframe, chain_slot
from vidpipe.pipeline.takes import best_take, point_clip_at, split_direction
from vidpipe.pipeline.video_gen import expected_clip_fingerprint
from vidpipe.providers.base import ProviderSet, frame_size
from vidpipe.storage import ProjectStorage


async def find_take(
    session: AsyncSession,
    project: Project,
    storage: ProjectStorage,
    scene: Scene,
    slot: str,
    number: int,
) -> Take:
    """Take `number` of a scene's slot, whose file is still there; BadInputError otherwise."""
    scene_number = scene.scene_index + 1
    if slot == "start" and scene.scene_index > 0:
        raise GuidedError(
            f"scene {scene_number}'s start frame is scene {scene.scene_index}'s end frame; "
            "select that instead: ",
            NextStep("select", str(project.id), scene.scene_index, "end"),
        )
    take = await session.scalar(
        select(Take).where(
            Take.project_id == project.id,
            Take.scene_index == scene.scene_index,
            Take.slot == slot,
            Take.number == number,
        )
    )
    what = "clip" if slot == "clip" else f"{slot} frame"
    if take is None:
        raise BadInputError(f"scene {scene_number} has no {what} take {number}", field="take")
    if not storage.resolve(take.file_path).is_file():
        raise BadInputError(f"the file of take {number} ({take.file_path}) is gone")
    return take


class TakeDoesNotFitError(GuidedError):
    """A clip take made from other frames or options than those now in use: selecting it would
    put a jump at a cut (or a clip of the wrong length) into a project that says it is current."""


def check_clip_take(project: Project, scene: Scene, take: Take, takes: list[Take]) -> None:
    """Refuse a clip take whose recorded inputs (`made_from`) differ from the frames and
    options now in use, naming the difference and the command that would make it fit. Takes
    made before inputs were recorded are accepted as before."""
    made = take.made_from
    if not made:
        return
    number, ref = scene.scene_index + 1, str(project.id)
    start, end = keyframe_of(scene, "start"), keyframe_of(scene, "end")
    tail = (
        f"; or keep take {take.number} anyway ",
        NextStep("force", ref, number, "clip", take.number),
        " (the project then goes out of date and `resume` remakes the clip)",
    )
    for position, row, label in (("end", end, "end frame"), ("start", start, "start frame")):
        wanted = made.get(position)
        if not wanted or row is None or row.content_hash == wanted:
            continue
        owner, slot = (
            (scene.scene_index, "end")
            if position == "end"
            else (0, "start")
            if scene.scene_index == 0
            else (scene.scene_index - 1, "end")
        )
        source = next(
            (
                t
                for t in sorted(takes, key=lambda t: -t.number)
                if t.scene_index == owner and t.slot == slot and t.content_hash == wanted
            ),
            None,
        )
        fix = (
            ("select that frame first: ", NextStep("select", ref, owner + 1, slot, source.number))
            if source is not None
            else ("that frame is gone; make a new clip instead: ", NextStep("redo", ref, number))
        )
        raise TakeDoesNotFitError(
            f"clip take {take.number} of scene {number} was made from another {label} than the "
            "one now in use, so the cut would jump; ",
            *fix,
            *tail,
        )
    duration = made.get("duration")
    if duration is not None and abs(float(duration) - project.clip_duration) > 1e-6:
        raise TakeDoesNotFitError(
            f"clip take {take.number} of scene {number} was made {float(duration):g} s long; the "
            f"project's clips are now {project.clip_duration:g} s. Set it back first: ",
            NextStep("edit", ref, clip_duration=float(duration)),
            *tail,
        )
    size, fps = made.get("size"), made.get("fps")
    now = list(frame_size(project.aspect_ratio, project.resolution))
    if (size is not None and list(size) != now) or (fps is not None and fps != project.fps):
        raise TakeDoesNotFitError(
            f"clip take {take.number} of scene {number} was made at another size or frame rate "
            "than the project's now; make a new clip instead: ",
            NextStep("redo", ref, number),
            *tail,
        )


def restore_prompt(scenes: list[Scene], scene: Scene, take: Take) -> bool:
    """Bring the prompt a take was made with back into the storyboard, so the text describes
    what is used. True when a text changed (the caller bumps the storyboard version)."""
    if not take.prompt:
        return False
    if take.slot == "clip":
        if scene.video_motion_prompt == take.prompt:
            return False
        scene.video_motion_prompt = take.prompt
        return True
    owner = scenes[0] if take.slot == "start" else scene
    field = "start_frame_prompt" if take.slot == "start" else "end_frame_prompt"
    if getattr(owner, field) == take.prompt:
        return False
    setattr(owner, field, take.prompt)
    return True


def select_clip_take(
    project: Project,
    scene: Scene,
    take: Take,
    storage: ProjectStorage,
    providers: ProviderSet,
) -> None:
    clip = scene.clip
    if clip is None:
        scene.clip = clip = VideoClip(status=ClipStatus.COMPLETE, provider=take.provider)
    point_clip_at(clip, take)
    clip.direction = clip.round_takes = clip.takes_wanted = None  # a round under way ends
    clip.fingerprint = expected_clip_fingerprint(
        project, scene, storage, providers.video_for(scene.scene_index)
    )


async def select_keyframe_take(
    session: AsyncSession,
    project: Project,
    scene: Scene,
    take: Take,
    storage: ProjectStorage,
    providers: ProviderSet,
) -> None:
    """Point the keyframe (and the next scene's inherited start) at `take`, then re-select
    what was already made from the frames now in use."""
    scenes = list(project.scenes)
    position = 0 if take.slot == "start" else scene.scene_index + 1
    content = take.content_hash or file_hash(storage.resolve(take.file_path))
    previous = chain_keyframe(scenes, position - 1) if position > 0 else None
    previous_hash = _hash_of(previous, storage)
    _, _, prompt = chain_slot(scenes, position)
    fingerprint = keyframe_fingerprint(project, providers.image, prompt, previous_hash)
    _point_keyframe(scenes, position, take, content, fingerprint)
    if split_direction(scene.frame_direction, take.slot) is not None:
        scene.frame_direction = None  # a pending redo of this frame is superseded
    await _reselect_downstream(session, project, scenes, position, content, storage, providers)


def _point_keyframe(
    scenes: list[Scene], position: int, take: Take, content: str, fingerprint: str
) -> None:
    """The generated row at `position` and its inherited twin (the next scene's start)."""
    owner, slot, prompt = chain_slot(scenes, position)
    rows: list[Keyframe] = []
    generated = keyframe_of(owner, slot)
    if generated is not None:
        rows.append(generated)
    if slot == "end" and position < len(scenes):
        twin = keyframe_of(scenes[position], "start")
        if twin is not None:
            rows.append(twin)
    for row in rows:
        row.file_path, row.take, row.prompt = take.file_path, take.number, prompt
        row.content_hash, row.fingerprint = content, fingerprint


async def _reselect_downstream(
    session: AsyncSession,
    project: Project,
    scenes: list[Scene],
    position: int,
    content: str,
    storage: ProjectStorage,
    providers: ProviderSet,
) -> None:
    """Later frames of the chain, then clips: where the selected one no longer fits its inputs
    but a take made from exactly those inputs exists, select that take."""
    takes = list(await session.scalars(select(Take).where(Take.project_id == project.id)))
    previous_hash: str | None = content
    for later in range(position + 1, len(scenes) + 1):
        row = chain_keyframe(scenes, later)
        if row is None:
            break
        _, slot, prompt = chain_slot(scenes, later)
        expected = keyframe_fingerprint(project, providers.image, prompt, previous_hash)
        if row.fingerprint != expected:
            match = _newest(takes, later - 1, slot, expected, storage)
            if match is None:
                break  # stale from here on: the plan redraws it
            _point_keyframe(scenes, later, match, match.content_hash or "", expected)
        previous_hash = _hash_of(row, storage)
    for scene in scenes:
        clip = scene.clip
        clip_expected = expected_clip_fingerprint(
            project, scene, storage, providers.video_for(scene.scene_index)
        )
        if clip is None or clip_expected is None or clip.fingerprint == clip_expected:
            continue
        fitting = [
            t
            for t in takes
            if t.slot == "clip"
            and t.scene_index == scene.scene_index
            and t.fingerprint == clip_expected
            and storage.resolve(t.file_path).is_file()
        ]
        if fitting:
            select_clip_take(project, scene, best_take(fitting), storage, providers)


def _newest(
    takes: list[Take], scene_index: int, slot: str, fingerprint: str, storage: ProjectStorage
) -> Take | None:
    fitting = [
        t
        for t in takes
        if t.scene_index == scene_index
        and t.slot == slot
        and t.fingerprint == fingerprint
        and t.content_hash
        and storage.resolve(t.file_path).is_file()
    ]
    return max(fitting, key=lambda t: t.number, default=None)


def _hash_of(row: Keyframe | None, storage: ProjectStorage) -> str | None:
    if row is None:
        return None
    return row.content_hash or file_hash(storage.resolve(row.file_path))
